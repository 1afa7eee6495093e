//! Terraform for cloud environments: `terraform/modules/` (shared) and `terraform/envs/ENV/`.
//!
//! Decisions:
//! - The modules are fixed Terraform (kept as `.tf` files next to this module and emitted as
//!   they are): they hold no model data, so every environment of every stack shares them, and
//!   only the modules an environment uses are written. Everything that varies (names, sizes,
//!   subnet plan, stores, repositories, secrets) is in the environment root, built as `hcl-rs`
//!   structures and laid out as `terraform fmt` would (`hclfmt`).
//! - The subnet plan is `InfraModel::subnets()`, the same blocks the Kubernetes renderer names
//!   in NetworkPolicies that reach managed stores; store security groups admit the private tier.
//! - A managed store `S` writes the Secrets Manager entry `{stack}/{env}/S` (the model secret
//!   `S-connection`) with the JSON keys url, host, port, user, password from the real endpoint.
//!   Passwords come from `data "aws_secretsmanager_random_password"` (only hashicorp/aws is
//!   available), kept once in `{stack}/{env}/S/password` (`ignore_changes`).
//! - Emulator mode (`berth infra --endpoint`) never edits these files: the driver copies them to a
//!   work dir and adds [`emulator_tfvars`] and a provider/backend override. The per-module
//!   toggles it sets are [`EMULATOR_TOGGLES`], each with the reason the emulator needs it.

mod hclfmt;
mod observe;
mod platform;

use crate::artifact::ArtifactSet;
use berth_spec::model::{InfraModel, Realized, SecretSource, StoreModel, SubnetTier};
use berth_spec::{ImageRef, Memory, Model, StoreType, Version};
use hcl::expr::Expression;
use hcl::{Attribute, Body};
use hclfmt::{block, expr, object, strings, to_hcl};

pub use hclfmt::align;

macro_rules! module_files {
    ($name:literal) => {
        &[
            (
                "main.tf",
                include_str!(concat!("modules/", $name, "/main.tf")),
            ),
            (
                "variables.tf",
                include_str!(concat!("modules/", $name, "/variables.tf")),
            ),
            (
                "outputs.tf",
                include_str!(concat!("modules/", $name, "/outputs.tf")),
            ),
        ]
    };
}

/// The shared modules: (name, files).
const MODULES: &[(&str, &[(&str, &str)])] = &[
    ("kms", module_files!("kms")),
    ("network", module_files!("network")),
    ("cluster", module_files!("cluster")),
    ("store-access", module_files!("store-access")),
    ("postgres", module_files!("postgres")),
    ("redis", module_files!("redis")),
    ("mongodb", module_files!("mongodb")),
    ("rabbitmq", module_files!("rabbitmq")),
    ("mysql", module_files!("mysql")),
    ("s3", module_files!("s3")),
    ("sqs", module_files!("sqs")),
    ("sns", module_files!("sns")),
    ("opensearch", module_files!("opensearch")),
    ("ses", module_files!("ses")),
    ("workload-role", module_files!("workload-role")),
    ("ecr", module_files!("ecr")),
    ("ci-role", module_files!("ci-role")),
    ("secrets", module_files!("secrets")),
    ("observability", module_files!("observability")),
];

/// A variable of the environment root that turns a part off where an AWS emulator cannot
/// create it. The driver's emulator mode sets each present one to `false`.
pub struct EmulatorToggle {
    pub variable: &'static str,
    /// What is left out.
    pub what: &'static str,
    /// Why (what the emulator, moto, does not implement).
    pub why: &'static str,
}

pub const EMULATOR_TOGGLES: &[EmulatorToggle] = &[
    EmulatorToggle {
        variable: "enable_eks_addons",
        what: "the EKS vpc-cni add-on (NetworkPolicy enforcement)",
        why: "moto does not implement the EKS add-on API (CreateAddon answers 404)",
    },
    EmulatorToggle {
        variable: "enable_documentdb",
        what: "DocumentDB clusters (mongodb stores) and their connection secrets",
        why: "moto's DocDB rejects the engine `docdb` in CreateDBCluster",
    },
    EmulatorToggle {
        variable: "enable_elasticache",
        what: "ElastiCache replication groups (redis stores) and their connection secrets",
        why: "moto creates the replication group but not its member cache clusters, which the provider reads back",
    },
    EmulatorToggle {
        variable: "enable_opensearch",
        what: "OpenSearch domains (opensearch stores) and their connection secrets",
        why: "moto's OpenSearch does not create VPC domains with fine-grained access control the way the provider reads them back",
    },
    EmulatorToggle {
        variable: "enable_ses",
        what: "SES identities and SMTP credentials (smtp stores)",
        why: "moto does not implement the SESv2 configuration-set options the module sets",
    },
    EmulatorToggle {
        variable: "enable_read_replicas",
        what: "RDS read replicas (postgres and mysql stores with replicas > 1)",
        why: "moto creates the read replica but never reports it available, so the provider waits until its timeout",
    },
    EmulatorToggle {
        variable: "enable_redrive_allow_policy",
        what: "the redrive allow policy that limits a dead-letter queue to its own queue (sqs stores)",
        why: "moto does not keep a queue's RedriveAllowPolicy, so the provider waits for it until its timeout",
    },
    EmulatorToggle {
        variable: "enable_eks_access_entries",
        what: "the EKS access entry of the CI role (its permission to deploy)",
        why: "moto does not implement the EKS access entry API",
    },
    EmulatorToggle {
        variable: "enable_pod_identity",
        what: "EKS Pod Identity associations of workload roles",
        why: "moto does not implement the EKS Pod Identity API",
    },
];

/// Settings for a throwaway emulator environment (no deletion protection, no final snapshots,
/// secrets deleted at once), so `destroy` cleans up completely.
pub const EMULATOR_SETTINGS: &[(&str, &str)] = &[
    ("deletion_protection", "false"),
    ("final_snapshots", "false"),
    ("secret_recovery_days", "0"),
];

/// What the environment root is made of, derived from the model.
struct Plan<'a> {
    model: &'a Model,
    infra: InfraModel,
    name: String,
    region: String,
    stores: Vec<&'a StoreModel>,
    repositories: Vec<String>,
    generated: Vec<(String, u32)>,
    aws_secrets: Vec<(String, String)>,
}

impl<'a> Plan<'a> {
    fn new(model: &'a Model) -> Plan<'a> {
        let infra = model.infra.clone().unwrap_or_else(|| default_infra(model));
        let mut repositories: Vec<String> = model
            .workloads
            .iter()
            .filter(|w| w.build.is_some())
            .map(|w| repository_name(model, &w.name, &w.image))
            .collect();
        repositories.sort();
        repositories.dedup();
        let mut generated = Vec::new();
        let mut aws_secrets = Vec::new();
        for s in &model.secrets {
            if let SecretSource::Aws { name, generate } = &s.source {
                aws_secrets.push((s.name.clone(), name.clone()));
                if let Some(len) = generate {
                    generated.push((name.clone(), *len));
                }
            }
        }
        Plan {
            model,
            name: format!("{}-{}", model.stack, model.environment),
            region: model.region.clone().unwrap_or_else(|| "us-east-1".into()),
            stores: model
                .stores
                .iter()
                .filter(|s| s.realization == Realized::Managed)
                .collect(),
            infra,
            repositories,
            generated,
            aws_secrets,
        }
    }

    fn has(&self, kind: StoreType) -> bool {
        self.stores.iter().any(|s| s.kind == kind)
    }

    /// Toggle variables this root declares.
    fn toggles(&self) -> Vec<&'static EmulatorToggle> {
        EMULATOR_TOGGLES
            .iter()
            .filter(|t| match t.variable {
                "enable_documentdb" => self.has(StoreType::Mongodb),
                "enable_elasticache" => self.has(StoreType::Redis),
                "enable_opensearch" => self.has(StoreType::Opensearch),
                "enable_ses" => self.has(StoreType::Smtp),
                "enable_redrive_allow_policy" => self.has(StoreType::Sqs),
                "enable_pod_identity" => !platform::roles(self).is_empty(),
                "enable_eks_access_entries" => github_repository(self.model).is_some(),
                "enable_read_replicas" => {
                    self.stores.iter().any(|s| platform::read_replicas(s) > 0)
                }
                _ => true,
            })
            .collect()
    }

    /// The Secrets Manager name of a managed store's connection secret (the model's contract).
    /// Key of the environment's state object in the state bucket.
    fn state_key(&self) -> String {
        format!(
            "berth/{}/{}/terraform.tfstate",
            self.model.stack, self.model.environment
        )
    }

    /// Secrets Manager entries whose versions this root writes: generated secrets and every
    /// managed store's connection (and password, for stores that generate one).
    fn written_secrets(&self) -> Vec<String> {
        let mut names: Vec<String> = self.generated.iter().map(|(n, _)| n.clone()).collect();
        for store in &self.stores {
            let connection = self.connection_secret(store);
            if platform::uses_store_access(store.kind) {
                names.push(format!("{connection}/password"));
            }
            names.push(connection);
        }
        names.sort();
        names.dedup();
        names
    }

    fn connection_secret(&self, store: &StoreModel) -> String {
        match self.model.secret(&store.password_secret).map(|s| &s.source) {
            Some(SecretSource::Aws { name, .. }) => name.clone(),
            _ => format!(
                "{}/{}/{}",
                self.model.stack, self.model.environment, store.name
            ),
        }
    }
}

fn default_infra(model: &Model) -> InfraModel {
    InfraModel {
        vpc_cidr: "10.0.0.0/16".into(),
        kubernetes_version: "1.31".into(),
        node_instance_type: "t3.medium".into(),
        node_min: 2,
        node_max: 4,
        node_desired: 2,
        db_instance_class: "db.t3.micro".into(),
        cache_node_type: "cache.t3.micro".into(),
        docdb_instance_class: "db.t3.medium".into(),
        mq_instance_type: "mq.t3.micro".into(),
        multi_az: false,
        state_bucket: format!("{}-{}-tfstate", model.stack, model.environment),
    }
}

/// `123456789012.dkr.ecr.us-west-2.amazonaws.com/srvthreds/engine:1.2` → `srvthreds/engine`;
/// images of other registries get `{stack}/{workload}`.
fn repository_name(model: &Model, workload: &str, image: &ImageRef) -> String {
    match &image.registry {
        Some(host) if host.contains(".dkr.ecr.") => image.repository.clone(),
        _ => format!("{}/{}", model.stack, workload),
    }
}

/// A tag that names a release (`1.4.2`, `v2`) is pushed once; anything else (`dev`) moves.
fn is_release_tag(tag: &str) -> bool {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    t.starts_with(|c: char| c.is_ascii_digit())
}

/// A size in whole GiB, rounded up, at least `min`.
fn gib(size: &Memory, min: u64) -> u64 {
    size.gib_ceil().max(min)
}

/// The attributes of a redis store's module: one replication group, in cluster mode with
/// `shards` node groups when the store has more than one.
fn redis_attributes(
    b: hcl::structure::BlockBuilder,
    store: &StoreModel,
    identifier: &str,
    version: &Version,
    infra: &InfraModel,
) -> hcl::structure::BlockBuilder {
    let b = b
        .add_attribute(("name", identifier))
        .add_attribute(("engine_version", redis_engine_version(version)))
        .add_attribute(("node_type", infra.cache_node_type.as_str()))
        .add_attribute(("multi_az", infra.multi_az))
        // ElastiCache: a primary and up to 5 replicas per replication group, or per shard.
        .add_attribute(("members", store.replicas.clamp(1, 6)));
    match store.shards {
        // Checks (B2103) keep it within ElastiCache's 500 node groups.
        n if n > 1 => b.add_attribute(("shards", n)),
        _ => b,
    }
}

/// ElastiCache Redis OSS versions stop at 7.1; a newer 7.x spec version runs on 7.1, a bare
/// major on its last minor.
fn redis_engine_version(version: &Version) -> String {
    match version.major() {
        6 => "6.2".into(),
        7 => format!("7.{}", version.minor().unwrap_or(99).min(1)),
        _ => "7.1".into(),
    }
}

/// An identifier for a module/output name: `session-agent` → `session_agent`.
fn ident(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A resource name of at most `max` characters (AWS limits, e.g. 40 for ElastiCache).
fn limit(name: &str, max: usize) -> String {
    let mut s: String = name.chars().take(max).collect();
    while s.ends_with('-') {
        s.pop();
    }
    s
}

const HEADER: &str = "# Generated by Berth from berth.yaml; edit the spec, not this file.\n";

pub fn render(model: &Model) -> ArtifactSet {
    let plan = Plan::new(model);
    let mut set = ArtifactSet::default();
    for (name, files) in MODULES {
        if module_used(&plan, name) {
            for (file, text) in *files {
                set.insert(format!("terraform/modules/{name}/{file}"), *text);
            }
        }
    }
    let dir = format!("terraform/envs/{}", model.environment);
    let file = |body: Body| format!("{HEADER}\n{}", to_hcl(&body));
    set.insert(format!("{dir}/versions.tf"), file(versions(&plan)));
    set.insert(format!("{dir}/providers.tf"), file(providers(&plan)));
    set.insert(format!("{dir}/variables.tf"), file(variables(&plan)));
    set.insert(format!("{dir}/main.tf"), file(main(&plan)));
    set.insert(format!("{dir}/outputs.tf"), file(outputs(&plan)));
    set
}

/// The `*.auto.tfvars` an emulator work dir gets: every toggle this environment declares off,
/// plus [`EMULATOR_SETTINGS`].
pub fn emulator_tfvars(model: &Model) -> String {
    let plan = Plan::new(model);
    let mut body = Body::builder();
    for t in plan.toggles() {
        body = body.add_attribute(Attribute::new(t.variable, false));
    }
    for (k, v) in EMULATOR_SETTINGS {
        body = body.add_attribute(Attribute::new(*k, expr(v)));
    }
    format!(
        "# Berth emulator mode: parts the emulator cannot create are off (docs/terraform.md).\n{}",
        to_hcl(&body.build())
    )
}

/// AWS services the rendered roots call (each gets the emulator endpoint).
const SERVICES: &[&str] = &[
    "docdb",
    "ec2",
    "ecr",
    "eks",
    "elasticache",
    "iam",
    "kms",
    "logs",
    "cloudwatch",
    "amp",
    "mq",
    "rds",
    "s3",
    "secretsmanager",
    "sts",
    "sqs",
    "sns",
    "opensearch",
    "sesv2",
];

/// The override file of an emulator work dir: the provider talks to `endpoint` with dummy
/// credentials, and state is kept in a local backend instead of S3.
pub fn emulator_override(endpoint: &str) -> String {
    let mut endpoints = block("endpoints", &[]);
    for s in SERVICES {
        endpoints = endpoints.add_attribute(Attribute::new(*s, endpoint));
    }
    let provider = block("provider", &["aws"])
        .add_attribute(("access_key", "test"))
        .add_attribute(("secret_key", "test"))
        .add_attribute(("skip_credentials_validation", true))
        .add_attribute(("skip_requesting_account_id", true))
        .add_attribute(("skip_metadata_api_check", true))
        .add_attribute(("s3_use_path_style", true))
        .add_block(endpoints.build())
        .build();
    let terraform = block("terraform", &[])
        .add_block(
            block("backend", &["local"])
                .add_attribute(("path", "terraform.tfstate"))
                .build(),
        )
        .build();
    let body = Body::builder()
        .add_block(provider)
        .add_block(terraform)
        .build();
    format!(
        "# Berth emulator mode: AWS calls go to {endpoint}; state stays in this work dir.\n\n{}",
        to_hcl(&body)
    )
}

/// The toggles an environment declares (what emulator mode leaves out).
pub fn emulator_toggles(model: &Model) -> Vec<&'static EmulatorToggle> {
    Plan::new(model).toggles()
}

fn module_used(plan: &Plan, name: &str) -> bool {
    match name {
        "kms" | "network" | "cluster" => true,
        "postgres" => plan.has(StoreType::Postgres),
        "redis" => plan.has(StoreType::Redis),
        "mongodb" => plan.has(StoreType::Mongodb),
        "rabbitmq" => plan.has(StoreType::Rabbitmq),
        "mysql" => plan.has(StoreType::Mysql),
        "s3" => plan.has(StoreType::S3),
        "sqs" => plan.has(StoreType::Sqs),
        "sns" => plan.has(StoreType::Sns),
        "opensearch" => plan.has(StoreType::Opensearch),
        "ses" => plan.has(StoreType::Smtp),
        "workload-role" => !platform::roles(plan).is_empty(),
        // What every managed store module with a password builds on.
        "store-access" => plan
            .stores
            .iter()
            .any(|s| platform::uses_store_access(s.kind)),
        "ecr" => !plan.repositories.is_empty(),
        "ci-role" => github_repository(plan.model).is_some(),
        "secrets" => !plan.generated.is_empty(),
        "observability" => observe::used(plan),
        _ => false,
    }
}

fn versions(plan: &Plan) -> Body {
    let backend = block("backend", &["s3"])
        .add_attribute(("bucket", plan.infra.state_bucket.as_str()))
        .add_attribute(("key", plan.state_key()))
        .add_attribute(("region", plan.region.as_str()))
        .add_attribute(("encrypt", true))
        .add_attribute(("use_lockfile", true))
        .build();
    let terraform = block("terraform", &[])
        .add_attribute(("required_version", ">= 1.10.0"))
        .add_block(
            block("required_providers", &[])
                .add_attribute((
                    "aws",
                    object([
                        ("source", Expression::from("hashicorp/aws")),
                        ("version", Expression::from(">= 5.70.0, < 6.0.0")),
                    ]),
                ))
                .build(),
        )
        .add_block(backend)
        .build();
    Body::builder().add_block(terraform).build()
}

fn providers(plan: &Plan) -> Body {
    let provider = block("provider", &["aws"])
        .add_attribute(("region", expr("var.region")))
        .add_block(
            block("default_tags", &[])
                .add_attribute((
                    "tags",
                    object([
                        ("berth/stack", Expression::from(plan.model.stack.as_str())),
                        (
                            "berth/environment",
                            Expression::from(plan.model.environment.as_str()),
                        ),
                        ("managed-by", Expression::from("berth")),
                    ]),
                ))
                .build(),
        )
        .build();
    Body::builder().add_block(provider).build()
}

fn variable(name: &str, description: &str, ty: &str, default: Expression) -> hcl::Block {
    block("variable", &[name])
        .add_attribute(("description", description))
        .add_attribute(("type", expr(ty)))
        .add_attribute(("default", default))
        .build()
}

fn variables(plan: &Plan) -> Body {
    let mut body = Body::builder()
        .add_block(variable(
            "region",
            "AWS region of the environment.",
            "string",
            Expression::from(plan.region.as_str()),
        ))
        .add_block(variable(
            "public_access_cidrs",
            "CIDRs allowed to reach the EKS API endpoint publicly; empty keeps it private.",
            "list(string)",
            Expression::Array(vec![]),
        ))
        .add_block(variable(
            "deletion_protection",
            "Refuse to delete databases (set false before `berth infra destroy`).",
            "bool",
            Expression::Bool(true),
        ))
        .add_block(variable(
            "final_snapshots",
            "Snapshot databases when they are deleted.",
            "bool",
            Expression::Bool(true),
        ))
        .add_block(variable(
            "secret_recovery_days",
            "Days a deleted secret stays recoverable (0 deletes at once).",
            "number",
            Expression::from(7),
        ));
    if github_repository(plan.model).is_some() {
        body = body.add_block(variable(
            "create_github_oidc_provider",
            "Create the account's GitHub OIDC provider (one per account: false in every other environment of the account).",
            "bool",
            Expression::Bool(true),
        ));
    }
    for t in plan.toggles() {
        body = body.add_block(variable(
            t.variable,
            &format!("Create {} (off in emulator mode).", t.what),
            "bool",
            Expression::Bool(true),
        ));
    }
    body.build()
}

fn module(name: &str, source: &str) -> hcl::structure::BlockBuilder {
    block("module", &[name]).add_attribute(("source", format!("../../modules/{source}")))
}

fn main(plan: &Plan) -> Body {
    let infra = &plan.infra;
    let private = infra.subnets(SubnetTier::Private);
    let mut body = Body::builder()
        .add_block(platform::kms_module(
            module("kms", "kms").add_attribute(("name", plan.name.as_str())),
            &plan.stores,
        ))
        .add_block(
            module("network", "network")
                .add_attribute(("name", plan.name.as_str()))
                .add_attribute(("cidr", infra.vpc_cidr.as_str()))
                .add_attribute(("public_subnets", strings(infra.subnets(SubnetTier::Public))))
                .add_attribute(("private_subnets", strings(&private)))
                .add_attribute((
                    "database_subnets",
                    strings(infra.subnets(SubnetTier::Database)),
                ))
                .add_attribute(("single_nat_gateway", !infra.multi_az))
                .add_attribute(("kms_key_arn", expr("module.kms.key_arn")))
                .build(),
        );
    let secret_names: Vec<&str> = plan.aws_secrets.iter().map(|(_, n)| n.as_str()).collect();
    let mut secret_names = secret_names;
    secret_names.sort();
    secret_names.dedup();
    body = body.add_block(
        module("cluster", "cluster")
            .add_attribute(("name", plan.name.as_str()))
            .add_attribute(("kubernetes_version", infra.kubernetes_version.as_str()))
            .add_attribute(("subnet_ids", expr("module.network.private_subnet_ids")))
            .add_attribute(("public_access_cidrs", expr("var.public_access_cidrs")))
            .add_attribute(("node_instance_type", infra.node_instance_type.as_str()))
            .add_attribute(("node_min", infra.node_min))
            .add_attribute(("node_max", infra.node_max))
            .add_attribute(("node_desired", infra.node_desired))
            .add_attribute(("enable_addons", expr("var.enable_eks_addons")))
            .add_attribute(("secret_names", strings(&secret_names)))
            .add_attribute(("kms_key_arn", expr("module.kms.key_arn")))
            .build(),
    );
    for store in &plan.stores {
        body = body.add_block(store_module(plan, store, &private));
    }
    for role in platform::roles(plan) {
        body = body.add_block(platform::role_module(plan, &role));
    }
    if !plan.repositories.is_empty() {
        body = body.add_block(
            module("ecr", "ecr")
                .add_attribute(("repositories", strings(&plan.repositories)))
                .add_attribute(("immutable_tags", is_release_tag(&plan.model.tag)))
                .add_attribute(("kms_key_arn", expr("module.kms.key_arn")))
                .build(),
        );
    }
    if let Some(repo) = github_repository(plan.model) {
        body = body.add_block(ci_role(plan, &repo));
    }
    if !plan.generated.is_empty() {
        body = body.add_block(
            module("secrets", "secrets")
                .add_attribute((
                    "generated",
                    object(
                        plan.generated
                            .iter()
                            .map(|(n, l)| (n.clone(), Expression::from(*l))),
                    ),
                ))
                .add_attribute(("kms_key_arn", expr("module.kms.key_arn")))
                .add_attribute(("secret_recovery_days", expr("var.secret_recovery_days")))
                .build(),
        );
    }
    if observe::used(plan) {
        body = body.add_block(observe::block(plan));
    }
    body.build()
}

/// The module name of a store (`store_mongo`) and whether it has a `count` toggle.
fn store_module_name(store: &StoreModel) -> (String, Option<&'static str>) {
    let toggle = match store.kind {
        StoreType::Mongodb => Some("enable_documentdb"),
        StoreType::Redis => Some("enable_elasticache"),
        StoreType::Opensearch => Some("enable_opensearch"),
        StoreType::Smtp => Some("enable_ses"),
        _ => None,
    };
    (format!("store_{}", ident(&store.name)), toggle)
}

fn store_module(plan: &Plan, store: &StoreModel, private: &[String]) -> hcl::Block {
    let infra = &plan.infra;
    let (name, toggle) = store_module_name(store);
    let source = match store.kind {
        StoreType::Postgres => "postgres",
        StoreType::Redis => "redis",
        StoreType::Mongodb => "mongodb",
        StoreType::Rabbitmq => "rabbitmq",
        StoreType::Mysql => "mysql",
        StoreType::S3 => "s3",
        StoreType::Sqs => "sqs",
        StoreType::Sns => "sns",
        StoreType::Opensearch => "opensearch",
        StoreType::Smtp => "ses",
    };
    let mut b = block("module", &[&name]);
    if let Some(t) = toggle {
        b = b.add_attribute(("count", expr(&format!("var.{t} ? 1 : 0"))));
    }
    b = b.add_attribute(("source", format!("../../modules/{source}")));
    let id = format!("{}-{}", plan.name, store.name);
    // The alarms of the observability module name the same identifier.
    let identifier = observe::store_identifier(plan, store);
    // Checks (B2025) make sure a managed store has a version.
    let version = store.version.clone().unwrap_or_default();
    b = match store.kind {
        StoreType::Postgres => b
            .add_attribute(("name", identifier.as_str()))
            .add_attribute(("engine_version", version.as_str()))
            .add_attribute(("instance_class", infra.db_instance_class.as_str()))
            .add_attribute(("allocated_storage", gib(&store.storage, 20)))
            .add_attribute(("multi_az", infra.multi_az))
            .add_attribute((
                "database",
                store.database.clone().unwrap_or_else(|| store.name.clone()),
            ))
            .add_attribute(("username", store.user.as_str())),
        StoreType::Redis => redis_attributes(b, store, &identifier, &version, infra),
        StoreType::Mongodb => {
            let instances = if infra.multi_az {
                store.replicas.clamp(2, 16)
            } else {
                1
            };
            b.add_attribute(("name", identifier.as_str()))
                .add_attribute(("instance_class", infra.docdb_instance_class.as_str()))
                .add_attribute(("instances", instances))
                .add_attribute((
                    "database",
                    store.database.clone().unwrap_or_else(|| store.name.clone()),
                ))
                .add_attribute(("username", store.user.as_str()))
        }
        StoreType::Rabbitmq => b
            .add_attribute(("name", identifier.as_str()))
            .add_attribute(("engine_version", version.major_minor()))
            .add_attribute(("instance_type", infra.mq_instance_type.as_str()))
            // mq.t3.micro runs single-instance brokers only.
            .add_attribute((
                "cluster",
                infra.multi_az && infra.mq_instance_type != "mq.t3.micro",
            ))
            .add_attribute(("username", store.user.as_str())),
        _ => platform::store_attributes(plan, store, b, &id),
    };
    if platform::in_vpc(store.kind) {
        b = b
            .add_attribute(("vpc_id", expr("module.network.vpc_id")))
            .add_attribute(("subnet_ids", expr("module.network.database_subnet_ids")))
            .add_attribute(("allowed_cidrs", strings(private)));
    }
    b = b
        .add_attribute(("kms_key_arn", expr("module.kms.key_arn")))
        .add_attribute(("secret_name", plan.connection_secret(store)))
        .add_attribute(("secret_recovery_days", expr("var.secret_recovery_days")));
    if let Some(backup) = store
        .backup
        .as_ref()
        .filter(|_| store.kind != StoreType::Rabbitmq)
    {
        // The engines keep automated backups for 1 to 35 days.
        b = b.add_attribute(("backup_retention_days", backup.retain_days.clamp(1, 35)));
    }
    if platform::read_replicas(store) > 0 {
        let n = platform::read_replicas(store);
        b = b.add_attribute((
            "read_replicas",
            expr(&format!("var.enable_read_replicas ? {n} : 0")),
        ));
    }
    if matches!(
        store.kind,
        StoreType::Postgres | StoreType::Mongodb | StoreType::Mysql
    ) {
        b = b
            .add_attribute(("deletion_protection", expr("var.deletion_protection")))
            .add_attribute(("final_snapshot", expr("var.final_snapshots")));
    }
    b.build()
}

/// `OWNER/NAME` of the spec's repository when it is on GitHub (the CI role trusts its
/// workflows); `None` without one.
fn github_repository(model: &Model) -> Option<String> {
    let url = &model.repository.as_ref()?.url;
    let path = [
        "https://github.com/",
        "http://github.com/",
        "git@github.com:",
        "ssh://git@github.com/",
    ]
    .iter()
    .find_map(|p| url.strip_prefix(p))?;
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    (path.split('/').count() == 2).then(|| path.to_string())
}

/// The `module "ci"` block: the roles `berth ci` assumes (the names the workflow uses):
/// STACK-ENV-ci, trusted by the repository's jobs in the GitHub environment ENV, and the
/// read-only STACK-ENV-ci-plan, trusted by its pull-request jobs.
fn ci_role(plan: &Plan, repo: &str) -> hcl::Block {
    let ecr = if plan.repositories.is_empty() {
        Expression::Array(vec![])
    } else {
        expr("module.ecr.repository_arns")
    };
    module("ci", "ci-role")
        .add_attribute(("name", limit(&format!("{}-ci", plan.name), 64)))
        .add_attribute(("plan_name", limit(&format!("{}-ci-plan", plan.name), 64)))
        .add_attribute(("repository", repo))
        .add_attribute(("environment", plan.model.environment.as_str()))
        .add_attribute((
            "create_oidc_provider",
            expr("var.create_github_oidc_provider"),
        ))
        .add_attribute(("ecr_repository_arns", ecr))
        .add_attribute(("cluster_name", expr("module.cluster.name")))
        .add_attribute(("cluster_arn", expr("module.cluster.arn")))
        .add_attribute(("access_entry", expr("var.enable_eks_access_entries")))
        .add_attribute(("state_bucket", plan.infra.state_bucket.as_str()))
        .add_attribute(("state_key", plan.state_key()))
        .add_attribute(("secret_names", strings(plan.written_secrets())))
        .add_attribute(("kms_key_arn", expr("module.kms.key_arn")))
        .build()
}

fn output(name: &str, description: &str, value: Expression) -> hcl::Block {
    block("output", &[name])
        .add_attribute(("description", description))
        .add_attribute(("value", value))
        .build()
}

fn outputs(plan: &Plan) -> Body {
    let infra = &plan.infra;
    let mut body = Body::builder()
        .add_block(output(
            "vpc_id",
            "ID of the VPC.",
            expr("module.network.vpc_id"),
        ))
        .add_block(output(
            "public_subnet_cidrs",
            "Public subnets (load balancers, NAT), one per zone.",
            strings(infra.subnets(SubnetTier::Public)),
        ))
        .add_block(output(
            "private_subnet_cidrs",
            "Private subnets (nodes and pods); managed stores admit these.",
            strings(infra.subnets(SubnetTier::Private)),
        ))
        .add_block(output(
            "database_subnet_cidrs",
            "Database subnets (managed stores); NetworkPolicies allow egress to these.",
            strings(infra.subnets(SubnetTier::Database)),
        ))
        .add_block(output(
            "cluster_name",
            "Name of the EKS cluster (aws eks update-kubeconfig --name ...).",
            expr("module.cluster.name"),
        ))
        .add_block(output(
            "cluster_endpoint",
            "Endpoint of the Kubernetes API.",
            expr("module.cluster.endpoint"),
        ))
        .add_block(output(
            "external_secrets_role_arn",
            "IAM role of the service account external-secrets/external-secrets (IRSA).",
            expr("module.cluster.external_secrets_role_arn"),
        ));
    for store in &plan.stores {
        let (module, toggle) = store_module_name(store);
        let attr = |a: &str| match toggle {
            Some(_) => expr(&format!("one(module.{module}[*].{a})")),
            None => expr(&format!("module.{module}.{a}")),
        };
        let id = ident(&store.name);
        body = body
            .add_block(output(
                &format!("{id}_endpoint"),
                &format!("Endpoint of the managed store `{}`.", store.name),
                attr("endpoint"),
            ))
            .add_block(output(
                &format!("{id}_secret_name"),
                &format!(
                    "Secrets Manager entry with the connection to `{}` (url, host, port, user, password).",
                    store.name
                ),
                attr("secret_name"),
            ));
        if store.cdn {
            body = body.add_block(output(
                &format!("{id}_cdn_domain_name"),
                &format!(
                    "CloudFront domain that serves the objects of `{}`.",
                    store.name
                ),
                attr("cdn_domain_name"),
            ));
        }
    }
    if !plan.repositories.is_empty() {
        body = body.add_block(output(
            "ecr_repository_urls",
            "ECR repository URL by name.",
            expr("module.ecr.repository_urls"),
        ));
    }
    if github_repository(plan.model).is_some() {
        body = body.add_block(output(
            "ci_role_arn",
            "IAM role `berth ci` assumes for this environment (GitHub OIDC, environment ENV).",
            expr("module.ci.arn"),
        ));
        body = body.add_block(output(
            "ci_plan_role_arn",
            "Read-only IAM role `berth infra plan` assumes on pull requests (GitHub OIDC, pull_request).",
            expr("module.ci.plan_arn"),
        ));
    }
    body = body.add_block(output(
        "secret_names",
        "Secrets Manager name of every secret the cluster reads, by Berth secret name.",
        object(
            plan.aws_secrets
                .iter()
                .map(|(k, v)| (k.clone(), Expression::from(v.as_str()))),
        ),
    ));
    body.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_sizes_round_up_to_whole_gib_with_a_minimum() {
        let gib = |size: &str, min| gib(&Memory::parse(size).unwrap(), min);
        assert_eq!(gib("20Gi", 20), 20);
        assert_eq!(gib("5Gi", 20), 20);
        assert_eq!(gib("1Ti", 20), 1024);
        assert_eq!(gib("1536Mi", 1), 2);
    }

    #[test]
    fn redis_versions_map_to_elasticache() {
        let redis_engine_version = |v: &str| redis_engine_version(&Version::parse(v).unwrap());
        assert_eq!(redis_engine_version("7.2"), "7.1");
        assert_eq!(redis_engine_version("7.0"), "7.0");
        assert_eq!(redis_engine_version("7"), "7.1");
        assert_eq!(redis_engine_version("6.0"), "6.2");
    }

    #[test]
    fn release_tags_are_immutable_and_moving_tags_are_not() {
        assert!(is_release_tag("1.4.2"));
        assert!(is_release_tag("v2"));
        assert!(!is_release_tag("dev"));
        assert!(!is_release_tag("latest"));
    }

    #[test]
    fn names_respect_aws_limits() {
        let cut = limit("a-very-long-stack-name-production-redis-cache", 40);
        assert!(cut.len() <= 40 && !cut.ends_with('-'), "{cut}");
        assert_eq!(limit("abcdef", 4), "abcd");
        assert_eq!(limit("abc-", 4), "abc");
    }
}
