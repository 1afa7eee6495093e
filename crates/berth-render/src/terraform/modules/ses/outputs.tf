output "endpoint" {
  description = "SMTP endpoint of SES in the region."
  value       = "email-smtp.${data.aws_region.current.name}.amazonaws.com"
}

output "dkim_tokens" {
  description = "DKIM tokens: publish TOKEN._domainkey.DOMAIN CNAME TOKEN.dkim.amazonses.com."
  value       = aws_sesv2_email_identity.this.dkim_signing_attributes[0].tokens
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = aws_secretsmanager_secret.connection.name
}
