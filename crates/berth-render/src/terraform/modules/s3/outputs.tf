output "endpoint" {
  description = "Regional endpoint of the bucket."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = aws_secretsmanager_secret.connection.name
}
