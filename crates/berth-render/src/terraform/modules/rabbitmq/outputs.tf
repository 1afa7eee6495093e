output "endpoint" {
  description = "Host name of the broker."
  value       = local.host
}

output "port" {
  description = "AMQPS port of the broker."
  value       = 5671
}

output "secret_name" {
  description = "Secrets Manager name of the connection secret."
  value       = module.access.secret_name
}
