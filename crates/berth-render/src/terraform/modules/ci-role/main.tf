# The roles `berth ci` assumes for one environment.
# - deploy (var.name): trusted only by GitHub's OIDC tokens of the stack's repository for jobs
#   that run in the GitHub environment of the same name (the deploy job, and the build job in
#   the first one); allowed to push to the stack's ECR repositories, to describe the cluster,
#   and — through an EKS access entry — to deploy to it. Nothing else.
# - plan (var.plan_name): trusted only by the repository's pull-request jobs (`berth infra
#   plan`); reads the state and the configuration `terraform plan` refreshes, and writes
#   nothing but the state's lock object.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

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

# The plan role: each trust is written out in full (checkov reads the `sub` as written).
resource "aws_iam_role" "plan" {
  name                 = var.plan_name
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
          "token.actions.githubusercontent.com:sub" = "repo:${local.owner}/${local.repo}:pull_request"
        }
      }
    }]
  })
  tags       = var.tags
  depends_on = [aws_iam_openid_connect_provider.github]
}

# Refreshing reads the configuration of every resource the root manages. SecurityAudit is AWS's
# managed policy for exactly that: Describe/List/Get of configuration and metadata in every
# service the root uses (EC2, EKS, IAM, KMS, RDS, ElastiCache, DocumentDB, Amazon MQ,
# OpenSearch, S3 bucket settings, SQS/SNS attributes, Secrets Manager descriptions, ECR,
# CloudWatch, SES), and no data: no s3:GetObject, no secret values, no queue messages — unlike
# ReadOnlyAccess. ViewOnlyAccess is too narrow (no iam:GetRole, no bucket settings) to refresh.
resource "aws_iam_role_policy_attachment" "plan_audit" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/SecurityAudit"
}

locals {
  partition   = data.aws_partition.current.partition
  account_id  = data.aws_caller_identity.current.account_id
  region      = data.aws_region.current.name
  state       = "arn:${local.partition}:s3:::${var.state_bucket}"
  secret_arns = [for name in var.secret_names : "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${name}-??????"]
  plan_statements = concat(
    [
      {
        Sid      = "StateList"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [local.state]
      },
      {
        Sid      = "StateRead"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.state}/${var.state_key}", "${local.state}/${var.state_key}.tflock"]
      },
      {
        # S3-native locking (use_lockfile): the lock is an object beside the state.
        Sid      = "StateLock"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:DeleteObject"]
        Resource = ["${local.state}/${var.state_key}.tflock"]
      },
      {
        # data "aws_secretsmanager_random_password" is read on every plan.
        Sid      = "RandomPassword"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetRandomPassword"]
        Resource = ["*"]
      },
      {
        # The cluster's add-ons and pod identities, which SecurityAudit does not cover.
        Sid    = "EksRead"
        Effect = "Allow"
        Action = ["eks:DescribeAddon", "eks:DescribePodIdentityAssociation"]
        Resource = [
          "arn:${local.partition}:eks:${local.region}:${local.account_id}:addon/${var.cluster_name}/*",
          "arn:${local.partition}:eks:${local.region}:${local.account_id}:podidentityassociation/${var.cluster_name}/*",
        ]
      },
      {
        # The metrics workspace (observability), which SecurityAudit does not cover.
        Sid      = "PrometheusRead"
        Effect   = "Allow"
        Action   = ["aps:DescribeWorkspace", "aps:ListTagsForResource"]
        Resource = ["arn:${local.partition}:aps:${local.region}:${local.account_id}:workspace/*"]
      },
    ],
    # Refreshing a secret version reads its value (the state holds it already): only the
    # secrets this root writes, decrypted with the stack's key.
    length(var.secret_names) > 0 ? [
      {
        Sid      = "SecretVersions"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = local.secret_arns
      },
      {
        Sid      = "SecretKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [var.kms_key_arn]
      },
    ] : [],
  )
}

resource "aws_iam_role_policy" "plan" {
  name = "${var.plan_name}-read"
  role = aws_iam_role.plan.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.plan_statements
  })
}
