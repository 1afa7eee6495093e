variable "name" {
  description = "Name of the configuration set and the SMTP user (stack-environment-store)."
  type        = string
}

variable "domain" {
  description = "The domain mail is sent from."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the connection secret."
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
