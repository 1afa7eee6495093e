variable "name" {
  description = "Role name (stack-environment-workload)."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster the workload runs in."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the workload."
  type        = string
}

variable "service_account" {
  description = "ServiceAccount of the workload's pods."
  type        = string
}

variable "actions" {
  description = "What the workload may do, by statement id (a few per store it uses)."
  type        = map(list(string))
}

variable "resources" {
  description = "What each statement applies to, by statement id (the stores' ARNs)."
  type        = map(list(string))
}

variable "associate" {
  description = "Create the EKS Pod Identity association (off in emulator mode)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
