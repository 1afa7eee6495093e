# An SQS queue with its dead-letter queue: messages received `max_receive_count` times move to
# the DLQ (redrive policy; the DLQ only accepts this queue's redrives). Both are encrypted with a
# key of their own whose policy also lets SNS deliver (topics subscribed to this queue,
# `sender_topic_arns`, may send to it and nothing else may). The connection secret holds url,
# queue_url, dlq_url, endpoint, region, host and port; workloads' IAM roles grant access.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

resource "aws_kms_key" "this" {
  description             = "${var.name}: messages of the queue and its dead-letter queue"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "SnsDelivers"
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
    ]
  })
  tags = var.tags
}

resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

resource "aws_sqs_queue" "this" {
  name                              = var.name
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = var.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count     = var.restrict_redrive ? 1 : 0
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

resource "aws_sqs_queue_policy" "this" {
  count     = length(var.sender_topic_arns) > 0 ? 1 : 0
  queue_url = aws_sqs_queue.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "SubscribedTopicsSend"
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.this.arn
      Condition = { ArnEquals = { "aws:SourceArn" = var.sender_topic_arns } }
    }]
  })
}

resource "aws_secretsmanager_secret" "connection" {
  #checkov:skip=CKV2_AWS_57:Holds no credential (queue URLs only); nothing to rotate.
  name                    = var.secret_name
  description             = "Queue ${var.name} (url, queue_url, dlq_url, endpoint, region, host, port), read by External Secrets."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode({
    url       = aws_sqs_queue.this.url
    host      = "sqs.${data.aws_region.current.name}.amazonaws.com"
    port      = "443"
    queue_url = aws_sqs_queue.this.url
    dlq_url   = aws_sqs_queue.dlq.url
    endpoint  = "https://sqs.${data.aws_region.current.name}.amazonaws.com"
    region    = data.aws_region.current.name
  })
}
