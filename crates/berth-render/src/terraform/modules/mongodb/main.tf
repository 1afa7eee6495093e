# Amazon DocumentDB (MongoDB-compatible) for mongodb stores: a cluster in the database subnets,
# encrypted with the environment's key, TLS required, audit and profiler logs exported, backups.
# One instance, or several across zones when the environment is Multi-AZ. DocumentDB speaks the
# MongoDB API of its engine version (5.0), not every feature of a newer MongoDB; the url asks for
# TLS, the replica set rs0 and no retryable writes, as DocumentDB requires.

resource "aws_docdb_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
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
  master_password                 = module.access.password
  port                            = 27017
  db_subnet_group_name            = aws_docdb_subnet_group.this.name
  vpc_security_group_ids          = [module.access.security_group_id]
  db_cluster_parameter_group_name = aws_docdb_cluster_parameter_group.this.name
  storage_encrypted               = true
  kms_key_id                      = var.kms_key_arn
  backup_retention_period         = var.backup_retention_days
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

# Password, security group and connection secret (modules/store-access).
module "access" {
  source                = "../store-access"
  name                  = var.name
  engine_label          = "DocumentDB"
  protocol_label        = "MongoDB protocol (TLS)"
  password_label        = "Master password"
  security_group_suffix = "docdb"
  port                  = 27017
  vpc_id                = var.vpc_id
  allowed_cidrs         = var.allowed_cidrs
  kms_key_arn           = var.kms_key_arn
  secret_name           = var.secret_name
  secret_recovery_days  = var.secret_recovery_days
  scheme                = "mongodb"
  user                  = var.username
  host                  = aws_docdb_cluster.this.endpoint
  url_suffix            = "/${var.database}?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false"
  tags                  = var.tags
}
