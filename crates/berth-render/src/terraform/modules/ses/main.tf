# SES for outgoing mail: the sending domain as an identity (DKIM; the DNS records are outputs to
# publish), a configuration set, and SMTP credentials for the workloads: an IAM user, through a
# group whose policy allows sending from this identity only, whose access key becomes the SES
# SMTP password. SMTP needs a user and password, so this is the one credential Berth keeps in
# Secrets Manager for an AWS API (keys url, host, port, user, password).

data "aws_region" "current" {}

resource "aws_sesv2_email_identity" "this" {
  email_identity         = var.domain
  configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name
  tags                   = var.tags
}

resource "aws_sesv2_configuration_set" "this" {
  configuration_set_name = var.name
  delivery_options {
    tls_policy = "REQUIRE"
  }
  reputation_options {
    reputation_metrics_enabled = true
  }
  tags = var.tags
}

resource "aws_iam_group" "smtp" {
  name = "${var.name}-smtp"
}

resource "aws_iam_group_policy" "smtp" {
  name  = "${var.name}-send"
  group = aws_iam_group.smtp.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["ses:SendRawEmail", "ses:SendEmail"]
      Resource = [aws_sesv2_email_identity.this.arn, aws_sesv2_configuration_set.this.arn]
    }]
  })
}

resource "aws_iam_user" "smtp" {
  #checkov:skip=CKV_AWS_273:SES SMTP authenticates with an IAM user's key; it is scoped to sending from one identity.
  name = "${var.name}-smtp"
  tags = var.tags
}

resource "aws_iam_user_group_membership" "smtp" {
  user   = aws_iam_user.smtp.name
  groups = [aws_iam_group.smtp.name]
}

resource "aws_iam_access_key" "smtp" {
  user = aws_iam_user.smtp.name
}

resource "aws_secretsmanager_secret" "connection" {
  #checkov:skip=CKV2_AWS_57:SMTP credentials derive from an IAM access key; rotate by replacing the key (terraform taint).
  name                    = var.secret_name
  description             = "SES SMTP for ${var.domain} (url, host, port, user, password), read by External Secrets."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode({
    url      = "smtp://${urlencode(aws_iam_access_key.smtp.id)}:${urlencode(aws_iam_access_key.smtp.ses_smtp_password_v4)}@email-smtp.${data.aws_region.current.name}.amazonaws.com:587"
    host     = "email-smtp.${data.aws_region.current.name}.amazonaws.com"
    port     = "587"
    user     = aws_iam_access_key.smtp.id
    password = aws_iam_access_key.smtp.ses_smtp_password_v4
  })
}
