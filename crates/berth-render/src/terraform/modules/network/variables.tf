variable "name" {
  description = "Name prefix (stack-environment)."
  type        = string
}

variable "cidr" {
  description = "CIDR block of the VPC."
  type        = string
}

variable "public_subnets" {
  description = "Three public subnet CIDRs, one per availability zone."
  type        = list(string)
}

variable "private_subnets" {
  description = "Three private subnet CIDRs (nodes and pods), one per availability zone."
  type        = list(string)
}

variable "database_subnets" {
  description = "Three database subnet CIDRs (managed stores), one per availability zone."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper) instead of one per zone."
  type        = bool
  default     = false
}

variable "enable_flow_logs" {
  description = "Write VPC flow logs to CloudWatch Logs."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the flow log group."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow log group."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
