variable "name" {
  description = "Broker name (stack-environment-store)."
  type        = string
}

variable "engine_version" {
  description = "RabbitMQ version (major.minor)."
  type        = string
}

variable "instance_type" {
  description = "Broker instance type."
  type        = string
}

variable "cluster" {
  description = "A three-node cluster across zones instead of a single instance."
  type        = bool
}

variable "username" {
  description = "Broker user."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the broker."
  type        = string
}

variable "subnet_ids" {
  description = "Database subnets (the first one for a single instance)."
  type        = list(string)
}

variable "allowed_cidrs" {
  description = "CIDRs allowed to connect (the cluster's private subnets)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for the secrets."
  type        = string
}

variable "secret_name" {
  description = "Secrets Manager name of the connection secret ({stack}/{env}/{store})."
  type        = string
}

variable "secret_recovery_days" {
  description = "Days a deleted secret stays recoverable (0 deletes at once)."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
