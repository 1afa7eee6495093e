output "arn" {
  description = "ARN of the workload's role."
  value       = aws_iam_role.this.arn
}

output "policy" {
  description = "The role's inline policy document (JSON)."
  value       = one(aws_iam_role_policy.this[*].policy)
}
