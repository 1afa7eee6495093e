variable "name" {
  description = "Bucket name (stack-environment-store)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the objects and the connection secret."
  type        = string
}

variable "noncurrent_days" {
  description = "Days an overwritten or deleted object version is kept."
  type        = number
  default     = 30
}

variable "expire_prefixes" {
  description = "Key prefixes whose objects expire, with their days (backups/STORE/ -> the store's backup retention)."
  type        = map(number)
  default     = {}
}

variable "log_days" {
  description = "Days access logs are kept."
  type        = number
  default     = 365
}

variable "cdn" {
  description = "Serve the objects through a CloudFront distribution (the only reader besides the workloads' roles)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to delete a bucket that holds objects."
  type        = bool
  default     = true
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
