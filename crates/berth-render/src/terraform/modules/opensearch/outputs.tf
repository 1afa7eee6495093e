output "endpoint" {
  description = "Endpoint of the domain (HTTPS)."
  value       = aws_opensearch_domain.this.endpoint
}

output "arn" {
  description = "ARN of the domain."
  value       = aws_opensearch_domain.this.arn
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = aws_secretsmanager_secret.connection.name
}
