variable "name" {
  description = "Replication group ID (stack-environment-store, at most 40 characters)."
  type        = string
}

variable "engine_version" {
  description = "Redis engine version (major.minor)."
  type        = string
}

variable "node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "multi_az" {
  description = "A replica in a second zone with automatic failover."
  type        = bool
}

variable "members" {
  description = "Nodes of the replication group, or of each shard in cluster mode: the primary and its read replicas (the store's replicas)."
  type        = number
  default     = 1
}

variable "shards" {
  description = "Shards (node groups); more than 1 runs the replication group in cluster mode."
  type        = number
  default     = 1
}

variable "vpc_id" {
  description = "VPC of the cache."
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
  description = "KMS key for storage and the secrets."
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

variable "backup_retention_days" {
  description = "Days automated backups are kept (the store's `backup.retain`, at most 35)."
  type        = number
  default     = 7
}
