variable "name" {
  description = "Identifier of the instance (stack-environment-store)."
  type        = string
}

variable "engine" {
  description = "mysql or mariadb."
  type        = string
}

variable "engine_version" {
  description = "Engine version (major.minor)."
  type        = string
}

variable "read_replicas" {
  description = "Read replicas beside the primary (their address is the connection's read_url)."
  type        = number
  default     = 0
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "allocated_storage" {
  description = "Storage in GiB (autoscaling up to four times this)."
  type        = number
}

variable "multi_az" {
  description = "A standby in a second availability zone."
  type        = bool
}

variable "database" {
  description = "Name of the database created with the instance."
  type        = string
}

variable "username" {
  description = "Master user name."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instance."
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
  description = "KMS key for storage, Performance Insights and the secrets."
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

variable "deletion_protection" {
  description = "Refuse to delete the instance."
  type        = bool
  default     = true
}

variable "final_snapshot" {
  description = "Take a final snapshot when the instance is deleted."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "backup_retention_days" {
  description = "Days automated backups are kept (the store's `backup.retain`, at most 35)."
  type        = number
  default     = 7
}
