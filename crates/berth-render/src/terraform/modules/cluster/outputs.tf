output "name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "endpoint" {
  description = "Endpoint of the Kubernetes API."
  value       = aws_eks_cluster.this.endpoint
}

output "oidc_issuer" {
  description = "OIDC issuer of the cluster (IRSA)."
  value       = local.oidc_issuer
}

output "external_secrets_role_arn" {
  description = "IAM role for the service account external-secrets/external-secrets (annotation eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.external_secrets.arn
}

output "arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}
