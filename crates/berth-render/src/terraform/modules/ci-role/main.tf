# The role `berth ci` assumes for one environment: trusted only by GitHub's OIDC tokens of the
# stack's repository for jobs that run in the GitHub environment of the same name (the deploy
# job, and the build job in the first one); allowed to push to the stack's ECR repositories,
# to describe the cluster, and — through an EKS access entry — to deploy to it. Nothing else.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # OWNER/NAME written as two parts: checkov's CKV_AWS_393 (safe `sub` claims) cannot resolve
  # this module's input and checks the written shape, `repo:OWNER/NAME:environment:ENV`.
  owner  = split("/", var.repository)[0]
  repo   = split("/", var.repository)[1]
  github = "token.actions.githubusercontent.com"
  # The provider's ARN is fixed per account, whichever environment created it.
  provider_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.github}"
}

# One per account: the first environment (of any stack) in an account creates it, every other
# one sets create_oidc_provider = false.
resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.github}"
  client_id_list = ["sts.amazonaws.com"]
  tags           = var.tags
}

resource "aws_iam_role" "this" {
  name                 = var.name
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:${local.owner}/${local.repo}:environment:${var.environment}"
        }
      }
    }]
  })
  tags       = var.tags
  depends_on = [aws_iam_openid_connect_provider.github]
}

locals {
  statements = concat(
    length(var.ecr_repository_arns) > 0 ? [
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = ["*"]
      },
      {
        Sid    = "EcrPush"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability",
          "ecr:BatchGetImage",
          "ecr:CompleteLayerUpload",
          "ecr:GetDownloadUrlForLayer",
          "ecr:InitiateLayerUpload",
          "ecr:PutImage",
          "ecr:UploadLayerPart",
        ]
        Resource = var.ecr_repository_arns
      },
    ] : [],
    [{
      Sid      = "EksDescribe"
      Effect   = "Allow"
      Action   = ["eks:DescribeCluster"]
      Resource = [var.cluster_arn]
    }],
  )
}

resource "aws_iam_role_policy" "this" {
  name = "${var.name}-deploy"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.statements
  })
}

# Deploying applies cluster-scoped objects (the Namespace, the ClusterSecretStore) as well as the
# stack's namespace: cluster admin through the access entry, for this role only.
resource "aws_eks_access_entry" "this" {
  count         = var.access_entry ? 1 : 0
  cluster_name  = var.cluster_name
  principal_arn = aws_iam_role.this.arn
  type          = "STANDARD"
  tags          = var.tags
}

resource "aws_eks_access_policy_association" "this" {
  count         = var.access_entry ? 1 : 0
  cluster_name  = var.cluster_name
  principal_arn = aws_iam_role.this.arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
  access_scope {
    type = "cluster"
  }
  depends_on = [aws_eks_access_entry.this]
}
