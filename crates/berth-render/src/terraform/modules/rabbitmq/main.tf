# Amazon MQ for RabbitMQ: a private broker in the database subnets, general logs to CloudWatch,
# minor versions upgraded automatically. A Multi-AZ cluster (three nodes) when the environment
# is Multi-AZ and the instance type allows it (mq.t3.micro runs single-instance brokers only).
# The broker speaks AMQP over TLS on 5671: the url scheme is amqps://.

data "aws_secretsmanager_random_password" "this" {
  password_length     = 32
  exclude_punctuation = true
}

locals {
  endpoint = try(aws_mq_broker.this.instances[0].endpoints[0], "")
  host     = try(regex("^amqps://([^:/]+)", local.endpoint)[0], "")
}

resource "aws_secretsmanager_secret" "password" {
  name                    = "${var.secret_name}/password"
  description             = "Broker password of ${var.name} (generated once)."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_days
  tags                    = var.tags
  #checkov:skip=CKV2_AWS_57:Berth generates the password once; rotation needs a rotation Lambda the stack does not run.
}

resource "aws_secretsmanager_secret_version" "password" {
  secret_id     = aws_secretsmanager_secret.password.id
  secret_string = data.aws_secretsmanager_random_password.this.random_password

  # The data source draws a new password on every run: keep the first one.
  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_security_group" "this" {
  name        = "${var.name}-mq"
  description = "RabbitMQ ${var.name}: reachable from the cluster's private subnets only"
  vpc_id      = var.vpc_id

  ingress {
    description = "AMQPS from the private subnets"
    from_port   = 5671
    to_port     = 5671
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidrs
  }

  tags = var.tags
}

resource "aws_mq_broker" "this" {
  #checkov:skip=CKV_AWS_197:Audit logs exist only for ActiveMQ brokers; RabbitMQ brokers export general logs.
  #checkov:skip=CKV_AWS_209:Amazon MQ for RabbitMQ supports only AWS-owned keys for encryption at rest.
  broker_name                = var.name
  engine_type                = "RabbitMQ"
  engine_version             = var.engine_version
  host_instance_type         = var.instance_type
  deployment_mode            = var.cluster ? "CLUSTER_MULTI_AZ" : "SINGLE_INSTANCE"
  subnet_ids                 = var.cluster ? var.subnet_ids : [var.subnet_ids[0]]
  security_groups            = [aws_security_group.this.id]
  publicly_accessible        = false
  auto_minor_version_upgrade = true
  apply_immediately          = true

  encryption_options {
    use_aws_owned_key = true
  }

  logs {
    general = true
  }

  user {
    username = var.username
    password = aws_secretsmanager_secret_version.password.secret_string
  }

  tags = var.tags
}

resource "aws_secretsmanager_secret" "connection" {
  name                    = var.secret_name
  description             = "Connection to ${var.name} (url, host, port, user, password), read by External Secrets."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_days
  tags                    = var.tags
  #checkov:skip=CKV2_AWS_57:Written by Terraform from the endpoint and the generated password; rotation needs a rotation Lambda the stack does not run.
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode({
    url      = "amqps://${var.username}:${aws_secretsmanager_secret_version.password.secret_string}@${local.host}:5671"
    host     = local.host
    port     = "5671"
    user     = var.username
    password = aws_secretsmanager_secret_version.password.secret_string
  })
}
