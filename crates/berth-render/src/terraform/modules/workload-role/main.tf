# The IAM role of one workload (EKS Pod Identity): assumed only by the EKS Pod Identity agent for
# the workload's ServiceAccount, with one inline policy that names only the actions the workload
# needs on only the buckets, queues, topics and domains it `uses` (statements from Berth). No
# static keys: the SDKs in the pod get credentials from the agent.

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
  tags = var.tags
}

locals {
  # A statement whose store is switched off (emulator mode) names no resource: left out.
  statements = [for sid, actions in var.actions : {
    Sid      = sid
    Effect   = "Allow"
    Action   = actions
    Resource = var.resources[sid]
  } if length(var.resources[sid]) > 0]
}

resource "aws_iam_role_policy" "this" {
  count = length(local.statements) > 0 ? 1 : 0
  name  = "${var.name}-uses"
  role  = aws_iam_role.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.statements
  })
}

resource "aws_eks_pod_identity_association" "this" {
  count           = var.associate ? 1 : 0
  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.this.arn
  tags            = var.tags
}
