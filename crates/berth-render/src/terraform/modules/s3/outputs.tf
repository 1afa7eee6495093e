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

output "cdn_domain_name" {
  description = "Domain name of the CloudFront distribution (null without cdn)."
  value       = one(aws_cloudfront_distribution.this[*].domain_name)
}

output "cdn_distribution_arn" {
  description = "ARN of the CloudFront distribution (null without cdn); the KMS key policy lets it decrypt."
  value       = one(aws_cloudfront_distribution.this[*].arn)
}
