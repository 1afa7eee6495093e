//! The managed realizations of the platform store types (mysql → RDS MySQL/MariaDB, s3, sqs,
//! sns, opensearch, smtp → SES) and the least-privilege IAM role of each workload that uses a
//! bucket, queue, topic or search domain: only the actions it needs, only on those resources,
//! delivered through EKS Pod Identity (no keys).

use super::hclfmt::{expr, object, strings};
use super::{gib, ident, limit, Plan};
use berth_spec::model::{StoreModel, Workload};
use berth_spec::{StoreType, Version};
use hcl::expr::Expression;
use hcl::structure::BlockBuilder;

/// Whether the type's module sits in the VPC (subnets, security group) rather than behind an
/// AWS API endpoint.
pub(super) fn in_vpc(kind: StoreType) -> bool {
    !matches!(
        kind,
        StoreType::S3 | StoreType::Sqs | StoreType::Sns | StoreType::Smtp
    )
}

/// Whether the type's module builds on modules/store-access (a generated password).
pub(super) fn uses_store_access(kind: StoreType) -> bool {
    matches!(
        kind,
        StoreType::Postgres
            | StoreType::Redis
            | StoreType::Mongodb
            | StoreType::Rabbitmq
            | StoreType::Mysql
    )
}

/// Read replicas of a managed relational store: every member beyond the primary.
pub(super) fn read_replicas(store: &StoreModel) -> u32 {
    match store.kind {
        StoreType::Postgres | StoreType::Mysql => store.replicas.saturating_sub(1),
        _ => 0,
    }
}

/// `mysql` or `mariadb`, from the image the spec names (`image: mariadb:11.4`).
fn mysql_engine(store: &StoreModel) -> &'static str {
    let mariadb = store
        .image
        .as_ref()
        .is_some_and(|i| i.repository.rsplit('/').next() == Some("mariadb"));
    if mariadb {
        "mariadb"
    } else {
        "mysql"
    }
}

/// RDS takes major.minor: a bare major gets the engine's current minor line.
fn rds_version(engine: &str, version: &Version) -> String {
    match (engine, version.minor()) {
        (_, Some(m)) => format!("{}.{m}", version.major()),
        ("mariadb", None) if version.major() == 10 => "10.11".into(),
        ("mariadb", None) => format!("{}.4", version.major()),
        (_, None) if version.major() == 8 => "8.0".into(),
        (_, None) => format!("{}.0", version.major()),
    }
}

/// OpenSearch versions on AWS are major.minor; a bare major gets a current minor.
fn opensearch_version(version: Option<&Version>) -> String {
    match version {
        Some(v) => match v.minor() {
            Some(m) => format!("{}.{m}", v.major()),
            None if v.major() == 1 => "1.3".into(),
            None => format!("{}.17", v.major()),
        },
        None => "2.17".into(),
    }
}

/// The module arguments of a platform store beside the shared ones (kms, secret).
pub(super) fn store_attributes(
    plan: &Plan,
    store: &StoreModel,
    b: BlockBuilder,
    id: &str,
) -> BlockBuilder {
    let infra = &plan.infra;
    let version = store.version.clone().unwrap_or_default();
    match store.kind {
        StoreType::Mysql => {
            let engine = mysql_engine(store);
            b.add_attribute(("name", super::observe::store_identifier(plan, store)))
                .add_attribute(("engine", engine))
                .add_attribute(("engine_version", rds_version(engine, &version)))
                .add_attribute(("instance_class", infra.db_instance_class.as_str()))
                .add_attribute(("allocated_storage", gib(&store.storage, 20)))
                .add_attribute(("multi_az", infra.multi_az))
                .add_attribute((
                    "database",
                    store.database.clone().unwrap_or_else(|| store.name.clone()),
                ))
                .add_attribute(("username", store.user.as_str()))
        }
        StoreType::S3 => {
            let b = b
                .add_attribute(("name", limit(id, 58)))
                .add_attribute(("deletion_protection", expr("var.deletion_protection")));
            let b = match store.cdn {
                true => b.add_attribute(("cdn", true)),
                false => b,
            };
            match backup_expiry(plan, store) {
                Some(rules) => b.add_attribute(("expire_prefixes", rules)),
                None => b,
            }
        }
        StoreType::Sqs => {
            let topics: Vec<Expression> = topics_of(plan, &store.name)
                .map(|t| expr(&format!("module.{}.arn", module(t))))
                .collect();
            let b = b
                .add_attribute(("name", limit(id, 76)))
                .add_attribute(("restrict_redrive", expr("var.enable_redrive_allow_policy")));
            if topics.is_empty() {
                b
            } else {
                b.add_attribute(("sender_topic_arns", Expression::Array(topics)))
            }
        }
        StoreType::Sns => {
            let queues = store.subscribers.iter().map(|q| {
                let arn = expr(&format!("module.{}.arn", module(q)));
                (q.clone(), arn)
            });
            b.add_attribute(("name", limit(id, 256)))
                .add_attribute(("queue_arns", object(queues)))
        }
        StoreType::Opensearch => {
            let master = roles(plan)
                .into_iter()
                .find(|r| r.uses.iter().any(|s| s.name == store.name))
                .map(|r| expr(&format!("module.{}.arn", role_module_name(&r.workload))));
            let b = b
                .add_attribute(("name", limit(id, 28)))
                .add_attribute(("engine_version", opensearch_version(store.version.as_ref())))
                .add_attribute(("volume_size", gib(&store.storage, 10)))
                .add_attribute(("multi_az", infra.multi_az));
            match master {
                Some(m) => b.add_attribute(("master_role_arn", m)),
                None => b,
            }
        }
        _ => {
            let domain = plan
                .model
                .domain
                .clone()
                .unwrap_or_else(|| format!("{}.example.com", plan.model.stack));
            b.add_attribute(("name", limit(id, 64)))
                .add_attribute(("domain", domain))
        }
    }
}

/// The environment key's module: the CloudFront distributions of the managed buckets with a CDN
/// may decrypt with it (their objects are SSE-KMS).
pub(super) fn kms_module(b: BlockBuilder, stores: &[&StoreModel]) -> hcl::Block {
    let distributions: Vec<Expression> = stores
        .iter()
        .filter(|s| s.kind == StoreType::S3 && s.cdn)
        .map(|s| expr(&format!("module.{}.cdn_distribution_arn", module(&s.name))))
        .collect();
    match distributions.is_empty() {
        true => b.build(),
        false => b
            .add_attribute((
                "cloudfront_distribution_arns",
                Expression::Array(distributions),
            ))
            .build(),
    }
}

/// The Terraform module of a store (`store_jobs`).
fn module(store: &str) -> String {
    format!("store_{}", ident(store))
}

/// The topics that deliver to queue `queue`.
fn topics_of<'p>(plan: &'p Plan, queue: &'p str) -> impl Iterator<Item = &'p String> + 'p {
    plan.stores
        .iter()
        .filter(move |s| s.kind == StoreType::Sns && s.subscribers.iter().any(|q| q == queue))
        .map(|s| &s.name)
}

/// A workload that needs an IAM role (its ServiceAccount), the managed stores that give it
/// one, and the key prefix its bucket access is limited to (empty: the whole bucket).
pub(super) struct Role<'a> {
    pub workload: String,
    pub uses: Vec<&'a StoreModel>,
    pub prefix: String,
}

/// Whether access to a managed store of this type is granted by IAM.
fn iam_governed(kind: StoreType) -> bool {
    matches!(
        kind,
        StoreType::S3 | StoreType::Sqs | StoreType::Sns | StoreType::Opensearch
    )
}

/// Every workload that uses a managed bucket, queue, topic or search domain, then the backup
/// CronJobs that write to a managed bucket (each under its store's prefix).
pub(super) fn roles<'a>(plan: &Plan<'a>) -> Vec<Role<'a>> {
    let mut roles = workload_roles(plan);
    roles.extend(backup_roles(plan));
    roles
}

/// The managed object store backups go to, when there is one.
fn backup_bucket<'a>(plan: &Plan<'a>) -> Option<&'a StoreModel> {
    let s3 = crate::backup::object_store(plan.model)?;
    plan.stores.iter().copied().find(|s| s.name == s3.name)
}

/// (store, retain days) of every store whose backups go to the managed bucket.
fn backed_up<'a>(plan: &Plan<'a>) -> Vec<(&'a StoreModel, u32)> {
    if backup_bucket(plan).is_none() {
        return Vec::new();
    }
    plan.model
        .stores
        .iter()
        .filter_map(|s| Some((s, crate::kube::backups::scheduled(s)?.retain_days)))
        .collect()
}

fn backup_roles<'a>(plan: &Plan<'a>) -> Vec<Role<'a>> {
    let Some(bucket) = backup_bucket(plan) else {
        return Vec::new();
    };
    backed_up(plan)
        .into_iter()
        .map(|(s, _)| Role {
            workload: crate::kube::backups::cronjob_name(s),
            uses: vec![bucket],
            prefix: crate::backup::prefix(s),
        })
        .collect()
}

/// The lifecycle rules of the backup bucket: each store's prefix expires after its `retain`
/// days (none for another bucket).
fn backup_expiry(plan: &Plan, store: &StoreModel) -> Option<Expression> {
    let rules = match backup_bucket(plan) {
        Some(b) if b.name == store.name => backed_up(plan),
        _ => Vec::new(),
    };
    (!rules.is_empty()).then(|| {
        object(
            rules
                .into_iter()
                .map(|(s, days)| (crate::backup::prefix(s), Expression::from(days))),
        )
    })
}

fn workload_roles<'a>(plan: &Plan<'a>) -> Vec<Role<'a>> {
    plan.model
        .workloads
        .iter()
        .filter_map(|w: &'a Workload| {
            let uses: Vec<&StoreModel> = w
                .uses
                .iter()
                .filter_map(|d| plan.stores.iter().find(|s| s.name == d.name).copied())
                .filter(|s| iam_governed(s.kind))
                .collect();
            (!uses.is_empty()).then_some(Role {
                workload: w.name.clone(),
                uses,
                prefix: String::new(),
            })
        })
        .collect()
}

fn role_module_name(workload: &str) -> String {
    format!("role_{}", ident(workload))
}

/// A list of HCL expressions.
fn list<const N: usize>(items: [String; N]) -> Expression {
    Expression::Array(items.iter().map(|i| expr(i)).collect())
}

/// The statements of one store: (sid suffix, actions, resources); a bucket's objects under
/// `prefix` only.
fn statements(
    store: &StoreModel,
    prefix: &str,
) -> Vec<(&'static str, Vec<&'static str>, Expression)> {
    let m = module(&store.name);
    match store.kind {
        StoreType::S3 => vec![
            (
                "Objects",
                vec![
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                ],
                list([format!("\"${{module.{m}.arn}}/{prefix}*\"")]),
            ),
            (
                "Bucket",
                vec!["s3:ListBucket", "s3:GetBucketLocation"],
                list([format!("module.{m}.arn")]),
            ),
            (
                "Key",
                vec!["kms:GenerateDataKey", "kms:Decrypt"],
                list(["module.kms.key_arn".to_string()]),
            ),
        ],
        StoreType::Sqs => vec![
            (
                "Messages",
                vec![
                    "sqs:SendMessage",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                ],
                list([format!("module.{m}.arn"), format!("module.{m}.dlq_arn")]),
            ),
            (
                "Key",
                vec!["kms:GenerateDataKey", "kms:Decrypt"],
                list([format!("module.{m}.kms_key_arn")]),
            ),
        ],
        StoreType::Sns => vec![
            (
                "Publish",
                vec!["sns:Publish"],
                list([format!("module.{m}.arn")]),
            ),
            (
                "Key",
                vec!["kms:GenerateDataKey", "kms:Decrypt"],
                list(["module.kms.key_arn".to_string()]),
            ),
        ],
        _ => vec![(
            "Http",
            vec![
                "es:ESHttpGet",
                "es:ESHttpHead",
                "es:ESHttpPost",
                "es:ESHttpPut",
                "es:ESHttpDelete",
            ],
            // Off in emulator mode (count 0): no resource, and the role module drops the
            // statement.
            expr(&format!("[for a in module.{m}[*].arn : \"${{a}}/*\"]")),
        )],
    }
}

/// `uploads-bucket` → `UploadsBucket` (IAM statement ids are alphanumeric).
fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The `module "role_<workload>"` block.
pub(super) fn role_module(plan: &Plan, role: &Role) -> hcl::Block {
    let mut actions = Vec::new();
    let mut resources = Vec::new();
    for store in &role.uses {
        for (sid, acts, res) in statements(store, &role.prefix) {
            let sid = format!("{}{sid}", pascal(&store.name));
            actions.push((sid.clone(), strings(acts)));
            resources.push((sid, res));
        }
    }
    super::block("module", &[&role_module_name(&role.workload)])
        .add_attribute(("source", "../../modules/workload-role"))
        .add_attribute((
            "name",
            limit(&format!("{}-{}", plan.name, role.workload), 64),
        ))
        .add_attribute(("cluster_name", expr("module.cluster.name")))
        .add_attribute(("namespace", plan.model.namespace.as_str()))
        .add_attribute(("service_account", role.workload.as_str()))
        .add_attribute(("actions", object(actions)))
        .add_attribute(("resources", object(resources)))
        .add_attribute(("associate", expr("var.enable_pod_identity")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_names() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(rds_version("mysql", &v("8")), "8.0");
        assert_eq!(rds_version("mariadb", &v("11")), "11.4");
        assert_eq!(rds_version("mysql", &v("8.4")), "8.4");
        assert_eq!(opensearch_version(Some(&v("2"))), "2.17");
        assert_eq!(pascal("legacy-db"), "LegacyDb");
    }
}
