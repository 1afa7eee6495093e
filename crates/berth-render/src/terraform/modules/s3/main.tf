# An S3 bucket: private (public access block, bucket-owner-enforced ownership, TLS-only policy),
# encrypted with the environment's key, versioned, with lifecycle rules (old versions and
# unfinished uploads expire, and backups under backups/STORE/ after the store's retention) and
# access logs written to a companion log bucket. The connection
# secret (keys url, host, port, bucket, endpoint, region) is what workloads are wired with; their
# IAM roles (modules/workload-role) grant access, no keys. With `cdn`, a CloudFront distribution
# serves the objects (below) and the secret gains `cdn_url`.

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
  #checkov:skip=CKV2_AWS_65:ACLs stay disabled, except on the log bucket of a bucket with a CDN: CloudFront standard logging delivers through an ACL grant (awslogsdelivery), which BucketOwnerEnforced refuses.
  for_each = { data = aws_s3_bucket.this.id, logs = aws_s3_bucket.logs.id }
  bucket   = each.value
  rule {
    object_ownership = each.key == "logs" && var.cdn ? "BucketOwnerPreferred" : "BucketOwnerEnforced"
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
      }], each.key == "data" && var.cdn ? [{
      # Origin access control: only this distribution reads the objects (the bucket stays private).
      Sid       = "CloudFrontReadsObjects"
      Effect    = "Allow"
      Principal = { Service = "cloudfront.amazonaws.com" }
      Action    = "s3:GetObject"
      Resource  = "${each.value.arn}/*"
      Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.this[0].arn } }
    }] : [])
  })
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_secretsmanager_secret" "connection" {
  #checkov:skip=CKV2_AWS_57:Holds no credential (names and endpoints only); nothing to rotate.
  name                    = var.secret_name
  description             = "Bucket ${var.name} (url, host, port, bucket, endpoint, region${var.cdn ? ", cdn_url" : ""}), read by External Secrets."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "connection" {
  secret_id = aws_secretsmanager_secret.connection.id
  secret_string = jsonencode(merge({
    url      = "https://s3.${data.aws_region.current.name}.amazonaws.com"
    host     = "s3.${data.aws_region.current.name}.amazonaws.com"
    port     = "443"
    bucket   = aws_s3_bucket.this.id
    endpoint = "https://s3.${data.aws_region.current.name}.amazonaws.com"
    region   = data.aws_region.current.name
    }, var.cdn ? {
    cdn_url = "https://${aws_cloudfront_distribution.this[0].domain_name}"
  } : {}))
}

# With `cdn`: a CloudFront distribution in front of the bucket. It reads the objects through
# origin access control (SigV4), which the bucket policy above grants s3:GetObject to this
# distribution only; the environment's KMS key lets it decrypt them (modules/kms,
# cloudfront_distribution_arns). Viewers are redirected to HTTPS; the AWS-managed
# SecurityHeadersPolicy adds HSTS, nosniff, frame and referrer headers; access logs go to the
# log bucket under cdn/.

locals {
  # AWS-managed policies (the same IDs in every account).
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  security_headers_policy_id  = "67f7725c-6f97-4210-82d7-5512b31e9d03"
}

resource "aws_cloudfront_origin_access_control" "this" {
  count                             = var.cdn ? 1 : 0
  name                              = var.name
  description                       = "CloudFront reads bucket ${var.name}."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68:No WAF web ACL by default: the distribution serves static objects (GET/HEAD only) that nothing executes; a WAF is a per-stack cost and policy choice.
  #checkov:skip=CKV2_AWS_47:Same: no WAF web ACL to carry the Log4j rule set; no code runs behind this origin.
  #checkov:skip=CKV_AWS_310:One origin: the bucket is regional and has no replica to fail over to (cross-region replication is a per-stack choice, CKV_AWS_144).
  #checkov:skip=CKV_AWS_374:Media is served worldwide; no country is blocked by default.
  #checkov:skip=CKV_AWS_305:The distribution serves object keys, not a website: there is no index document.
  #checkov:skip=CKV2_AWS_42:The distribution is reached at its *.cloudfront.net name with CloudFront's certificate; a custom domain needs an ACM certificate the stack does not own.
  #checkov:skip=CKV2_AWS_32:The AWS-managed SecurityHeadersPolicy is attached by its ID (response_headers_policy_id); checkov only recognizes a policy resource of the configuration.
  #checkov:skip=CKV_AWS_174:CloudFront's default certificate fixes the viewer minimum protocol itself (TLSv1); TLSv1.2_2021 needs a custom certificate (CKV2_AWS_42).
  count               = var.cdn ? 1 : 0
  enabled             = true
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  comment             = "Objects of bucket ${var.name}"
  wait_for_deployment = false
  tags                = var.tags

  origin {
    origin_id                = "s3"
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this[0].id
  }

  default_cache_behavior {
    target_origin_id           = "s3"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = local.security_headers_policy_id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  logging_config {
    bucket          = aws_s3_bucket.logs.bucket_domain_name
    prefix          = "cdn/"
    include_cookies = false
  }

  # CloudFront adds its log-delivery grant to the log bucket's ACL, which needs ACLs enabled.
  depends_on = [aws_s3_bucket_ownership_controls.this]
}
