variable "name" {
  description = "Name of the store (stack-environment-store)."
  type        = string
}

variable "engine_label" {
  description = "The store's engine as people say it (in the security group description)."
  type        = string
}

variable "protocol_label" {
  description = "What the ingress rule admits (in its description)."
  type        = string
}

variable "password_label" {
  description = "What the generated password is (in its secret's description)."
  type        = string
}

variable "security_group_suffix" {
  description = "Suffix of the security group name."
  type        = string
}

variable "port" {
  description = "The store's port."
  type        = number
}

variable "vpc_id" {
  description = "VPC of the store."
  type        = string
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

variable "scheme" {
  description = "URL scheme of the connection url."
  type        = string
}

variable "user" {
  description = "User of the connection."
  type        = string
}

variable "host" {
  description = "Host name of the store's endpoint (known after the store is created)."
  type        = string
}

variable "read_host" {
  description = "Host of a read replica (adds the key read_url), or null."
  type        = string
  default     = null
}

variable "url_suffix" {
  description = "What follows host:port in the url (path and query)."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
