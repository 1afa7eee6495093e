variable "name" {
  description = "Domain name (stack-environment-store, at most 28 characters)."
  type        = string
}

variable "engine_version" {
  description = "OpenSearch version (major.minor)."
  type        = string
}

variable "instance_type" {
  description = "Data node instance type."
  type        = string
  default     = "t3.small.search"
}

variable "volume_size" {
  description = "EBS volume per node in GiB."
  type        = number
  default     = 10
}

variable "multi_az" {
  description = "Two nodes in two availability zones."
  type        = bool
}

variable "master_role_arn" {
  description = "IAM role mapped as the domain's master user (null: an admin role of this module)."
  type        = string
  default     = null
}

variable "vpc_id" {
  description = "VPC of the domain."
  type        = string
}

variable "subnet_ids" {
  description = "Database subnets."
  type        = list(string)
}

variable "allowed_cidrs" {
  description = "CIDRs allowed to connect (the cluster's private subnets)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for the data, the logs and the connection secret."
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
