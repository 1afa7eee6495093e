output "arn" {
  description = "ARN of the CI role (role-to-assume in the workflow)."
  value       = aws_iam_role.this.arn
}
