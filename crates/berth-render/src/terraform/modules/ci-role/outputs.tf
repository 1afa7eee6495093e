output "arn" {
  description = "ARN of the CI role (role-to-assume in the workflow)."
  value       = aws_iam_role.this.arn
}

output "plan_arn" {
  description = "ARN of the read-only role `berth infra plan` assumes on pull requests."
  value       = aws_iam_role.plan.arn
}
