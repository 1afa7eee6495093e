output "password" {
  description = "The generated password."
  value       = aws_secretsmanager_secret_version.password.secret_string
  sensitive   = true
}

output "security_group_id" {
  description = "Security group admitting the store's port from the cluster."
  value       = aws_security_group.this.id
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = aws_secretsmanager_secret.connection.name
}
