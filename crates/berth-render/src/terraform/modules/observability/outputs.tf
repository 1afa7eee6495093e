output "log_group_names" {
  description = "Names of the CloudWatch log groups."
  value       = [for g in aws_cloudwatch_log_group.this : g.name]
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (subscribe the on-call here)."
  value       = aws_sns_topic.alarms.arn
}

output "key_arn" {
  description = "KMS key of the log groups and the alarm topic."
  value       = aws_kms_key.this.arn
}

output "prometheus_endpoint" {
  description = "Remote-write and query endpoint of the managed Prometheus workspace (null without one)."
  value       = one(aws_prometheus_workspace.this[*].prometheus_endpoint)
}
