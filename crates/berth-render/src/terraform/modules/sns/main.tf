# An SNS topic encrypted with the environment's key, subscribed to by the queues the spec lists
# (`subscribers`, raw message delivery; each queue's policy admits this topic). The connection
# secret holds url, topic_arn, endpoint, region, host and port; workloads' IAM roles grant
# sns:Publish on this topic only.

data "aws_region" "current" {}

resource "aws_sns_topic" "this" {
  name              = var.name
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "queue" {
  for_each             = var.queue_arns
  topic_arn            = aws_sns_topic.this.arn
  protocol             = "sqs"
  endpoint             = each.value
  raw_message_delivery = true
}

resource "aws_secretsmanager_secret" "connection" {
  #checkov:skip=CKV2_AWS_57:Holds no credential (the topic ARN only); nothing to rotate.
  name                    = var.secret_name
  description             = "Topic ${var.name} (url, topic_arn, endpoint, region, host, port), read by External Secrets."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode({
    url       = "https://sns.${data.aws_region.current.name}.amazonaws.com"
    host      = "sns.${data.aws_region.current.name}.amazonaws.com"
    port      = "443"
    topic_arn = aws_sns_topic.this.arn
    endpoint  = "https://sns.${data.aws_region.current.name}.amazonaws.com"
    region    = data.aws_region.current.name
  })
}
