variable "name" {
  description = "Name of the key's alias (stack-environment)."
  type        = string
}

variable "cloudfront_distribution_arns" {
  description = "CloudFront distributions (of buckets with a CDN) that may decrypt objects encrypted with the key."
  type        = list(string)
  default     = []
}

variable "deletion_window_in_days" {
  description = "Days a deleted key stays recoverable."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
