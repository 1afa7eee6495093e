# Amazon DocumentDB (MongoDB-compatible) for mongodb stores: a cluster in the database subnets,
# encrypted with the environment's key, TLS required, audit and profiler logs exported, backups.
# One instance, or several across zones when the environment is Multi-AZ. DocumentDB speaks the
# MongoDB API of its engine version (5.0), not every feature of a newer MongoDB; the url asks for
# TLS, the replica set rs0 and no retryable writes, as DocumentDB requires.

data "aws_secretsmanager_random_password" "this" {
  password_length     = 32
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "password" {
  name                    = "${var.secret_name}/password"
  description             = "Master password of ${var.name} (generated once)."
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

resource "aws_docdb_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-docdb"
  description = "DocumentDB ${var.name}: reachable from the cluster's private subnets only"
  vpc_id      = var.vpc_id

  ingress {
    description = "MongoDB protocol (TLS) from the private subnets"
    from_port   = 27017
    to_port     = 27017
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidrs
  }

  tags = var.tags
}

resource "aws_docdb_cluster_parameter_group" "this" {
  name   = var.name
  family = "docdb5.0"

  parameter {
    name  = "tls"
    value = "enabled"
  }

  parameter {
    name  = "audit_logs"
    value = "enabled"
  }

  parameter {
    name  = "profiler"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_docdb_cluster" "this" {
  cluster_identifier              = var.name
  engine                          = "docdb"
  engine_version                  = var.engine_version
  master_username                 = var.username
  master_password                 = aws_secretsmanager_secret_version.password.secret_string
  port                            = 27017
  db_subnet_group_name            = aws_docdb_subnet_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  db_cluster_parameter_group_name = aws_docdb_cluster_parameter_group.this.name
  storage_encrypted               = true
  kms_key_id                      = var.kms_key_arn
  backup_retention_period         = 7
  preferred_backup_window         = "03:00-05:00"
  enabled_cloudwatch_logs_exports = ["audit", "profiler"]
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = !var.final_snapshot
  final_snapshot_identifier       = var.final_snapshot ? "${var.name}-final" : null
  tags                            = var.tags
}

resource "aws_docdb_cluster_instance" "this" {
  count                      = var.instances
  identifier                 = "${var.name}-${count.index}"
  cluster_identifier         = aws_docdb_cluster.this.id
  instance_class             = var.instance_class
  auto_minor_version_upgrade = true
  tags                       = var.tags
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
    url      = "mongodb://${var.username}:${aws_secretsmanager_secret_version.password.secret_string}@${aws_docdb_cluster.this.endpoint}:27017/${var.database}?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false"
    host     = aws_docdb_cluster.this.endpoint
    port     = "27017"
    user     = var.username
    password = aws_secretsmanager_secret_version.password.secret_string
  })
}
