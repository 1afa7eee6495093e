variable "repositories" {
  description = "Repository names (one per built image)."
  type        = list(string)
}

variable "immutable_tags" {
  description = "Refuse to overwrite a pushed tag."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
