output "endpoint" {
  description = "Host name of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the instance."
  value       = 3306
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = module.access.secret_name
}
