variable "name" {
  description = "Cluster identifier (stack-environment-store)."
  type        = string
}

variable "engine_version" {
  description = "DocumentDB engine version."
  type        = string
  default     = "5.0.0"
}

variable "instance_class" {
  description = "DocumentDB instance class."
  type        = string
}

variable "instances" {
  description = "Number of instances (spread over the zones)."
  type        = number
}

variable "database" {
  description = "Database the url names."
  type        = string
}

variable "username" {
  description = "Master user name."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cluster."
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

variable "deletion_protection" {
  description = "Refuse to delete the cluster."
  type        = bool
  default     = true
}

variable "final_snapshot" {
  description = "Take a final snapshot when the cluster is deleted."
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
