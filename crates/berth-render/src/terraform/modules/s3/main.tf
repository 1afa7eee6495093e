# An S3 bucket: private (public access block, bucket-owner-enforced ownership, TLS-only policy),
# encrypted with the environment's key, versioned, with lifecycle rules (old versions and
# unfinished uploads expire, and backups under backups/STORE/ after the store's retention) and
# access logs written to a companion log bucket. The connection
# secret (keys url, host, port, bucket, endpoint, region) is what workloads are wired with; their
# IAM roles (modules/workload-role) grant access, no keys.

data "aws_region" "current" {}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice per stack, not a default.
  #checkov:skip=CKV2_AWS_62:Event notifications are the application's choice (none by default).
  bucket        = var.name
  force_destroy = !var.deletion_protection
  tags          = var.tags
}

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_144:Access logs stay in the bucket's region.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new access-log objects.
  #checkov:skip=CKV_AWS_18:The access-log bucket does not log access to itself (that would loop).
  #checkov:skip=CKV_AWS_145:Server access logs can only be delivered to SSE-S3 buckets.
  bucket        = "${var.name}-logs"
  force_destroy = !var.deletion_protection
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = { data = aws_s3_bucket.this.id, logs = aws_s3_bucket.logs.id }
  bucket                  = each.value
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = { data = aws_s3_bucket.this.id, logs = aws_s3_bucket.logs.id }
  bucket   = each.value
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

# S3 server access logging only writes to buckets encrypted with S3-managed keys.
resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = { data = aws_s3_bucket.this.id, logs = aws_s3_bucket.logs.id }
  bucket   = each.value
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
  # Backups under backups/STORE/ are kept the store's `retain` days.
  dynamic "rule" {
    for_each = var.expire_prefixes
    content {
      id     = "expire-${trimsuffix(replace(rule.key, "/", "-"), "-")}"
      status = "Enabled"
      filter {
        prefix = rule.key
      }
      expiration {
        days = rule.value
      }
      abort_incomplete_multipart_upload {
        days_after_initiation = 7
      }
    }
  }
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "access/"
  depends_on    = [aws_s3_bucket_policy.this]
}

resource "aws_s3_bucket_policy" "this" {
  for_each = { data = aws_s3_bucket.this, logs = aws_s3_bucket.logs }
  bucket   = each.value.id
  # The log-delivery grant comes first (emulators read the first statements that name a service).
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(each.key == "logs" ? [{
      Sid       = "AccessLogDelivery"
      Effect    = "Allow"
      Principal = { Service = "logging.s3.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "${each.value.arn}/access/*"
      Condition = { ArnLike = { "aws:SourceArn" = aws_s3_bucket.this.arn } }
      }] : [], [{
      Sid       = "TlsOnly"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [each.value.arn, "${each.value.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }])
  })
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_secretsmanager_secret" "connection" {
  #checkov:skip=CKV2_AWS_57:Holds no credential (names and endpoints only); nothing to rotate.
  name                    = var.secret_name
  description             = "Bucket ${var.name} (url, host, port, bucket, endpoint, region), read by External Secrets."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode({
    url      = "https://s3.${data.aws_region.current.name}.amazonaws.com"
    host     = "s3.${data.aws_region.current.name}.amazonaws.com"
    port     = "443"
    bucket   = aws_s3_bucket.this.id
    endpoint = "https://s3.${data.aws_region.current.name}.amazonaws.com"
    region   = data.aws_region.current.name
  })
}
