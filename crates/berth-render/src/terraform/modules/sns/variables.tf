variable "name" {
  description = "Topic name (stack-environment-store)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the topic and the connection secret."
  type        = string
}

variable "queue_arns" {
  description = "Subscribed queues: spec store name -> queue ARN."
  type        = map(string)
  default     = {}
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
