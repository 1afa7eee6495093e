# One ECR repository per image Berth builds: scanned on push, encrypted with the environment's
# key, old untagged images expired. Tags are immutable unless the environment deploys a moving
# tag (such as `dev`), which must be pushed again.

resource "aws_ecr_repository" "this" {
  #checkov:skip=CKV_AWS_51:Tag mutability follows the environment's image tag: immutable for release tags, mutable for moving tags such as dev.
  for_each             = toset(var.repositories)
  name                 = each.value
  image_tag_mutability = var.immutable_tags ? "IMMUTABLE" : "MUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Expire untagged images after 14 days"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = 14
      }
      action = { type = "expire" }
    }]
  })
}
