output "endpoint" {
  description = "Primary endpoint of the replication group."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "port" {
  description = "Port of the replication group."
  value       = 6379
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = module.access.secret_name
}
