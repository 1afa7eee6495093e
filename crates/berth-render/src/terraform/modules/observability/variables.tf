variable "name" {
  description = "Prefix of the resources (stack-environment)."
  type        = string
}

variable "log_groups" {
  description = "CloudWatch log groups to create: the collector's environment group and one per workload."
  type        = list(string)
}

variable "retention_days" {
  description = "Days CloudWatch keeps the logs (one of the values CloudWatch accepts)."
  type        = number
}

variable "rds_instances" {
  description = "RDS instances (primaries) by identifier: allocated storage and the engine's default connection limit."
  type = map(object({
    storage_gib     = number
    max_connections = number
  }))
  default = {}
}

variable "rds_replicas" {
  description = "Identifiers of RDS read replicas (replica lag alarms)."
  type        = list(string)
  default     = []
}

variable "cache_clusters" {
  description = "ElastiCache cache cluster IDs (the members of the replication groups)."
  type        = list(string)
  default     = []
}

variable "docdb_clusters" {
  description = "DocumentDB cluster identifiers."
  type        = list(string)
  default     = []
}

variable "mq_brokers" {
  description = "Amazon MQ broker names."
  type        = list(string)
  default     = []
}

variable "managed_prometheus" {
  description = "Create an Amazon Managed Service for Prometheus workspace."
  type        = bool
  default     = false
}

variable "cpu_threshold" {
  description = "CPU utilization (percent) above which a store alarms."
  type        = number
  default     = 80
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
