# Amazon MQ for RabbitMQ: a private broker in the database subnets, general logs to CloudWatch,
# minor versions upgraded automatically. A Multi-AZ cluster (three nodes) when the environment
# is Multi-AZ and the instance type allows it (mq.t3.micro runs single-instance brokers only).
# The broker speaks AMQP over TLS on 5671: the url scheme is amqps://.

locals {
  endpoint = try(aws_mq_broker.this.instances[0].endpoints[0], "")
  host     = try(regex("^amqps://([^:/]+)", local.endpoint)[0], "")
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
  security_groups            = [module.access.security_group_id]
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
    password = module.access.password
  }

  tags = var.tags
}

# Password, security group and connection secret (modules/store-access).
module "access" {
  source                = "../store-access"
  name                  = var.name
  engine_label          = "RabbitMQ"
  protocol_label        = "AMQPS"
  password_label        = "Broker password"
  security_group_suffix = "mq"
  port                  = 5671
  vpc_id                = var.vpc_id
  allowed_cidrs         = var.allowed_cidrs
  kms_key_arn           = var.kms_key_arn
  secret_name           = var.secret_name
  secret_recovery_days  = var.secret_recovery_days
  scheme                = "amqps"
  user                  = var.username
  host                  = local.host
  tags                  = var.tags
}
