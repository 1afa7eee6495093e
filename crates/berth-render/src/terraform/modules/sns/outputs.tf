output "endpoint" {
  description = "ARN of the topic."
  value       = aws_sns_topic.this.arn
}

output "arn" {
  description = "ARN of the topic."
  value       = aws_sns_topic.this.arn
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = aws_secretsmanager_secret.connection.name
}
