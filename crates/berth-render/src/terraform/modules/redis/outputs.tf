output "endpoint" {
  description = "Primary endpoint of the replication group (configuration endpoint in cluster mode)."
  value       = local.endpoint
}

output "port" {
  description = "Port of the replication group."
  value       = 6379
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = module.access.secret_name
}
