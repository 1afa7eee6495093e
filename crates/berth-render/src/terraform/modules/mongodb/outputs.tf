output "endpoint" {
  description = "Cluster endpoint."
  value       = aws_docdb_cluster.this.endpoint
}

output "port" {
  description = "Port of the cluster."
  value       = 27017
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = module.access.secret_name
}
