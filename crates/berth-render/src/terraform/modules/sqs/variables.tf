variable "name" {
  description = "Queue name (stack-environment-store); the DLQ is NAME-dlq."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the connection secret."
  type        = string
}

variable "max_receive_count" {
  description = "Receives after which a message moves to the dead-letter queue."
  type        = number
  default     = 5
}

variable "visibility_timeout_seconds" {
  description = "Seconds a received message stays invisible to other consumers."
  type        = number
  default     = 30
}

variable "message_retention_seconds" {
  description = "Seconds a message is kept."
  type        = number
  default     = 345600
}

variable "sender_topic_arns" {
  description = "SNS topics subscribed to this queue (allowed to send to it)."
  type        = list(string)
  default     = []
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

variable "restrict_redrive" {
  description = "Whether the dead-letter queue accepts redrives from this queue only (off only for emulators that do not keep the policy)."
  type        = bool
  default     = true
}
