# What the environment observes on AWS: CloudWatch log groups (retention from the spec, encrypted
# with this module's key), alarms on the managed stores the root creates, an SNS topic the alarms
# notify (encrypted with the same key) and, when metrics are on, an Amazon Managed Service for
# Prometheus workspace. The key lets CloudWatch Logs encrypt this account's log groups and
# CloudWatch alarms publish to the encrypted topic.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  arn     = "arn:${data.aws_partition.current.partition}"
  region  = data.aws_region.current.name

  # One alarm per (store, signal): namespace, metric, dimension, comparison, threshold.
  alarms = merge(
    merge([for id, db in var.rds_instances : {
      "${id}-cpu"         = { namespace = "AWS/RDS", metric = "CPUUtilization", dimension = "DBInstanceIdentifier", id = id, statistic = "Average", operator = "GreaterThanThreshold", threshold = var.cpu_threshold, what = "CPU above ${var.cpu_threshold}%" }
      "${id}-storage"     = { namespace = "AWS/RDS", metric = "FreeStorageSpace", dimension = "DBInstanceIdentifier", id = id, statistic = "Minimum", operator = "LessThanThreshold", threshold = db.storage_gib * 1073741824 / 10, what = "less than 10% of the storage free" }
      "${id}-connections" = { namespace = "AWS/RDS", metric = "DatabaseConnections", dimension = "DBInstanceIdentifier", id = id, statistic = "Maximum", operator = "GreaterThanThreshold", threshold = floor(db.max_connections * 0.8), what = "connections above 80% of max_connections" }
    }]...),
    { for id in var.rds_replicas : "${id}-lag" => { namespace = "AWS/RDS", metric = "ReplicaLag", dimension = "DBInstanceIdentifier", id = id, statistic = "Maximum", operator = "GreaterThanThreshold", threshold = 60, what = "replica more than 60 s behind" } },
    merge([for id in var.cache_clusters : {
      "${id}-cpu"       = { namespace = "AWS/ElastiCache", metric = "EngineCPUUtilization", dimension = "CacheClusterId", id = id, statistic = "Average", operator = "GreaterThanThreshold", threshold = var.cpu_threshold, what = "engine CPU above ${var.cpu_threshold}%" }
      "${id}-memory"    = { namespace = "AWS/ElastiCache", metric = "DatabaseMemoryUsagePercentage", dimension = "CacheClusterId", id = id, statistic = "Average", operator = "GreaterThanThreshold", threshold = 80, what = "memory above 80%" }
      "${id}-evictions" = { namespace = "AWS/ElastiCache", metric = "Evictions", dimension = "CacheClusterId", id = id, statistic = "Sum", operator = "GreaterThanThreshold", threshold = 0, what = "keys evicted for lack of memory" }
    }]...),
    merge([for id in var.docdb_clusters : {
      "${id}-cpu"    = { namespace = "AWS/DocDB", metric = "CPUUtilization", dimension = "DBClusterIdentifier", id = id, statistic = "Average", operator = "GreaterThanThreshold", threshold = var.cpu_threshold, what = "CPU above ${var.cpu_threshold}%" }
      "${id}-memory" = { namespace = "AWS/DocDB", metric = "FreeableMemory", dimension = "DBClusterIdentifier", id = id, statistic = "Minimum", operator = "LessThanThreshold", threshold = 268435456, what = "less than 256 MiB of memory free" }
    }]...),
    merge([for id in var.mq_brokers : {
      "${id}-cpu"    = { namespace = "AWS/AmazonMQ", metric = "SystemCpuUtilization", dimension = "Broker", id = id, statistic = "Average", operator = "GreaterThanThreshold", threshold = var.cpu_threshold, what = "CPU above ${var.cpu_threshold}%" }
      "${id}-memory" = { namespace = "AWS/AmazonMQ", metric = "RabbitMQMemUsed", dimension = "Broker", id = id, statistic = "Maximum", operator = "GreaterThanThreshold", threshold = 805306368, what = "more than 768 MiB of memory used" }
    }]...),
  )
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: log groups and the alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "${local.arn}:iam::${local.account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "${local.arn}:logs:${local.region}:${local.account}:*" }
        }
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account }
        }
      },
    ]
  })
  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-observability"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the spec's observability.retention, a choice of the team.
  for_each          = toset(var.log_groups)
  name              = each.value
  retention_in_days = var.retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.id}: ${each.value.what}."
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = { (each.value.dimension) = each.value.id }
  statistic           = each.value.statistic
  comparison_operator = each.value.operator
  threshold           = each.value.threshold
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_prometheus_workspace" "this" {
  count       = var.managed_prometheus ? 1 : 0
  alias       = var.name
  kms_key_arn = aws_kms_key.this.arn
  tags        = var.tags
}
