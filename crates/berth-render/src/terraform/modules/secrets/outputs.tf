output "names" {
  description = "Names of the generated secrets."
  value       = [for s in aws_secretsmanager_secret.this : s.name]
}
