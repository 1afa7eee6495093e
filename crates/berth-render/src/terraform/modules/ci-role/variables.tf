variable "name" {
  description = "Role name (stack-environment-ci, the name the workflow assumes)."
  type        = string
}

variable "plan_name" {
  description = "Name of the read-only plan role (stack-environment-ci-plan, assumed on pull requests)."
  type        = string
}

variable "state_bucket" {
  description = "S3 bucket of the environment's Terraform state."
  type        = string
}

variable "state_key" {
  description = "Key of the state object in that bucket (the lock is <key>.tflock)."
  type        = string
}

variable "secret_names" {
  description = "Secrets Manager names whose versions this root writes (the plan role reads them to refresh)."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "Stack KMS key that encrypts those secrets."
  type        = string
}

variable "repository" {
  description = "GitHub repository (OWNER/NAME) whose workflows may assume the role."
  type        = string
}

variable "environment" {
  description = "GitHub environment the assuming job runs in (the Berth environment's name)."
  type        = string
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when another environment of the account has)."
  type        = bool
  default     = true
}

variable "ecr_repository_arns" {
  description = "ECR repositories the role may push to."
  type        = list(string)
  default     = []
}

variable "cluster_name" {
  description = "EKS cluster the role deploys to."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of that cluster (eks:DescribeCluster)."
  type        = string
}

variable "access_entry" {
  description = "Create the EKS access entry (off in emulator mode)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
