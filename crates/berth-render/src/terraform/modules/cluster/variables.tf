variable "name" {
  description = "Cluster name (stack-environment)."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes version of the control plane."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the control plane ENIs and the nodes."
  type        = list(string)
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint; empty keeps the endpoint private."
  type        = list(string)
  default     = []
}

variable "node_instance_type" {
  description = "Instance type of the managed node group."
  type        = string
}

variable "node_min" {
  description = "Minimum number of nodes."
  type        = number
}

variable "node_max" {
  description = "Maximum number of nodes."
  type        = number
}

variable "node_desired" {
  description = "Initial number of nodes."
  type        = number
}

variable "enable_addons" {
  description = "Manage the vpc-cni add-on (with NetworkPolicy enforcement)."
  type        = bool
  default     = true
}

variable "secret_names" {
  description = "Secrets Manager names External Secrets may read."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for Kubernetes secrets and the control-plane log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the control-plane log group."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
