//! The resolved model of one environment: what every renderer and driver consumes. Plain data,
//! no spans, every default applied, every reference wired; durations, quantities, images and
//! versions stay the typed values the spec decoded, so no later stage parses text again.

use crate::duration::Duration;
use crate::image::ImageRef;
use crate::port::Protocol;
use crate::quantity::{Cpu, Memory};
use crate::spec::{Cloud, Cluster, Platform, RealizationKind, Restart, StoreType, WorkloadKind};
use crate::version::Version;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// Stack name (compose project, default namespace).
    pub stack: String,
    pub environment: String,
    pub platform: Platform,
    pub cluster: Option<Cluster>,
    pub cloud: Option<Cloud>,
    pub region: Option<String>,
    pub domain: Option<String>,
    /// Kubernetes namespace (defaults to the stack name).
    pub namespace: String,
    pub registry: Option<String>,
    /// Tag of the images Berth builds.
    pub tag: String,
    /// Production-grade: compose services get the hardened defaults (docs/render.md).
    pub production: bool,
    /// Stores in spec order.
    pub stores: Vec<StoreModel>,
    /// Workloads in dependency order: everything a workload needs comes before it.
    pub workloads: Vec<Workload>,
    /// Every secret this environment needs (declared ones and store credentials), by name.
    pub secrets: Vec<SecretModel>,
    /// Cloud sizing, for cloud environments.
    pub infra: Option<InfraModel>,
    /// The project's Git repository, when the spec names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<RepositoryModel>,
    /// What the environment observes: metrics, traces, logs (docs/observability.md).
    #[serde(skip_serializing_if = "ObservabilityModel::is_off")]
    pub observability: ObservabilityModel,
}

/// The service name (compose service, Kubernetes Service) of the OpenTelemetry Collector that
/// workloads send OTLP to when traces are on.
pub const OTEL_COLLECTOR: &str = "otel-collector";
/// OTLP over gRPC.
pub const OTLP_GRPC_PORT: u16 = 4317;
/// OTLP over HTTP: the port `OTEL_EXPORTER_OTLP_ENDPOINT` names.
pub const OTLP_HTTP_PORT: u16 = 4318;

/// An environment's observability settings, the stack's `observability:` with the environment's
/// keys over it (nearest along `extends` first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservabilityModel {
    /// Scrape the services' metrics endpoints and the stores' exporters; rules and dashboards.
    pub metrics: bool,
    /// OTLP traces to the collector (`OTEL_*` variables on every workload).
    pub traces: bool,
    /// Workload logs collected and shipped (Loki locally, CloudWatch on AWS).
    pub logs: bool,
    /// How long metrics and logs are kept.
    pub retention: Duration,
    /// Time between two scrapes.
    pub scrape_interval: Duration,
    /// Share of traces kept (0 to 1).
    pub sampling_ratio: f64,
}

impl ObservabilityModel {
    /// Nothing observed.
    pub fn is_off(&self) -> bool {
        !(self.metrics || self.traces || self.logs)
    }

    /// Retention in whole days, at least 1 (CloudWatch and Prometheus count in days).
    pub fn retention_days(&self) -> u32 {
        self.retention.secs().div_ceil(86_400).max(1)
    }
}

/// A service's Prometheus metrics endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricsModel {
    pub port_name: String,
    pub port: u16,
    /// HTTP path (`/metrics` unless written).
    pub path: String,
}

/// The project's Git repository: what GitOps syncs and CI runs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryModel {
    pub url: String,
    /// Default branch (development environments deploy from it).
    pub branch: String,
    /// Path of the deploy tree in the repository (no leading or trailing `/`).
    pub path: String,
    /// The project's tests, as CI runs them.
    pub test: Option<String>,
}

/// How a new version of a service replaces the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum StrategyModel {
    Rolling,
    BlueGreen {
        /// Seconds the preview runs (and is analysed) before promotion.
        pause_s: u32,
        max_error_percent: u32,
    },
    Canary {
        /// Traffic percentages, increasing, each below 100.
        steps: Vec<u32>,
        /// Seconds of pause after each step.
        pause_s: u32,
        max_error_percent: u32,
    },
}

impl StrategyModel {
    pub fn is_rolling(&self) -> bool {
        *self == StrategyModel::Rolling
    }
}

/// Scheduled backups of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupModel {
    /// Cron schedule (five fields, UTC).
    pub schedule: String,
    /// Days a backup is kept.
    pub retain_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreModel {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: StoreType,
    /// The version as written, else the one the image's tag starts with; none when neither says.
    pub version: Option<Version>,
    /// Members: of the store, or of each shard when it has several.
    pub replicas: u32,
    /// redis: shards (node groups) of a managed store in cluster mode; 1 means no cluster mode.
    #[serde(skip_serializing_if = "is_one")]
    pub shards: u32,
    /// s3: the bucket's objects are served through a CDN (CloudFront where it is managed).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cdn: bool,
    pub storage: Memory,
    /// Database name (postgres, mongodb).
    pub database: Option<String>,
    /// MongoDB replica set name, when one is used.
    pub replica_set: Option<String>,
    pub realization: Realized,
    /// Pinned container image (container and in-cluster realizations; none for external stores,
    /// shown as an empty text).
    #[serde(serialize_with = "image_or_empty")]
    pub image: Option<ImageRef>,
    /// The store's main port (e.g. 5432).
    pub port: u16,
    /// Extra named ports (e.g. rabbitmq management 15672).
    pub extra_ports: Vec<PortModel>,
    /// Host port: published in compose/native environments, the local port `berth forward`
    /// uses for an in-cluster store on Kubernetes.
    pub publish: Option<u16>,
    /// Login user (`default` for redis).
    pub user: String,
    /// Secret holding the password (key `value`), or for managed/external stores the connection
    /// secret (keys url, host, port, user, password).
    pub password_secret: String,
    pub resources: ResourcesModel,
    /// What a workload that uses this store receives.
    pub wiring: Wiring,
    /// The exact docker name of the compose data volume when the spec gives one (default: the
    /// volume `<store>-data`, which compose prefixes with the stack).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
    /// Extra arguments for the store's server, after Berth's own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Further persistent volumes beside the data volume.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<VolumeModel>,
    /// Project files mounted read-only (init scripts, config files).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileMount>,
    /// Scheduled backups, when the spec asks for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupModel>,
    /// sns only: the sqs stores subscribed to the topic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscribers: Vec<String>,
    /// The store whose container (or pod) also runs this one. One emulator serves every store
    /// it can of an environment (LocalStack: s3, sqs, sns), as one AWS account holds them, so
    /// topics deliver to queues. Workloads still reach this store by its own name (a network
    /// alias in compose, a Service in Kubernetes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
}

impl StoreModel {
    /// The store whose container or pod runs this one: its own name, or the one it shares.
    pub fn runner(&self) -> &str {
        self.served_by.as_deref().unwrap_or(&self.name)
    }
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn image_or_empty<S: serde::Serializer>(image: &Option<ImageRef>, s: S) -> Result<S::Ok, S::Error> {
    match image {
        Some(i) => i.serialize(s),
        None => s.serialize_str(""),
    }
}

/// Where a store runs in this environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Realized {
    Container,
    InCluster,
    /// On the developer's host, reached at `address` (e.g. host.minikube.internal).
    Host {
        address: String,
    },
    /// A managed cloud service created by Terraform; connection data in Secrets Manager.
    Managed,
    /// A server program `berth dev` runs on the host (native), reached at 127.0.0.1.
    Process,
    /// An existing store at a URL.
    External {
        url: EnvValue,
    },
}

impl Realized {
    /// The realization as written in a spec (`external` for external URLs).
    pub fn name(&self) -> &'static str {
        match self {
            Realized::Container => RealizationKind::Container.as_str(),
            Realized::InCluster => RealizationKind::InCluster.as_str(),
            Realized::Host { .. } => RealizationKind::Host.as_str(),
            Realized::Managed => RealizationKind::Managed.as_str(),
            Realized::Process => RealizationKind::Process.as_str(),
            Realized::External { .. } => "external",
        }
    }

    /// True when Berth itself runs the store in this environment (container or in-cluster).
    pub fn runs_here(&self) -> bool {
        matches!(self, Realized::Container | Realized::InCluster)
    }
}

/// The connection values of a dependency (wiring contract, docs/wiring.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wiring {
    pub url: EnvValue,
    pub host: EnvValue,
    pub port: EnvValue,
    pub user: Option<EnvValue>,
    pub password: Option<EnvValue>,
    pub db: Option<EnvValue>,
    /// The variables of newer store types beyond these (`BUCKET`, `QUEUE_URL`, `READ_URL`, ...),
    /// by suffix in contract order; `${dep.bucket}` reads one in lower case.
    #[serde(skip_serializing_if = "indexmap::IndexMap::is_empty")]
    pub extra: indexmap::IndexMap<String, EnvValue>,
}

impl Wiring {
    /// URL, HOST and PORT only.
    pub fn plain(url: impl Into<String>, host: &str, port: u16) -> Self {
        Wiring {
            url: EnvValue::lit(url),
            host: EnvValue::lit(host),
            port: EnvValue::lit(port.to_string()),
            user: None,
            password: None,
            db: None,
            extra: Default::default(),
        }
    }

    /// The field named in a `${dep.field}` reference.
    pub fn field(&self, field: &str) -> Option<&EnvValue> {
        match field {
            "url" => Some(&self.url),
            "host" => Some(&self.host),
            "port" => Some(&self.port),
            "user" => self.user.as_ref(),
            "password" => self.password.as_ref(),
            "db" => self.db.as_ref(),
            other => self.extra.get(&other.to_ascii_uppercase()),
        }
    }

    /// (suffix, value) pairs in contract order: URL, HOST, PORT, USER, PASSWORD, DB.
    pub fn vars(&self) -> Vec<(&str, &EnvValue)> {
        let mut v = vec![
            ("URL", &self.url),
            ("HOST", &self.host),
            ("PORT", &self.port),
        ];
        if let Some(u) = &self.user {
            v.push(("USER", u));
        }
        if let Some(p) = &self.password {
            v.push(("PASSWORD", p));
        }
        if let Some(d) = &self.db {
            v.push(("DB", d));
        }
        v.extend(self.extra.iter().map(|(k, e)| (k.as_str(), e)));
        v
    }
}

/// A value made of literal text and secret parts. Renderers decide how secret parts reach the
/// workload (compose env-file interpolation, Kubernetes `secretKeyRef` + `$(VAR)`), so no secret
/// value is ever written into a rendered file.
/// Serialized (in `berth resolve`) as text with `${secret:NAME}` / `${secret:NAME.key}` markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvValue(pub Vec<Part>);

impl Serialize for EnvValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.render(|name, key| {
            if key == "value" {
                format!("${{secret:{name}}}")
            } else {
                format!("${{secret:{name}.{key}}}")
            }
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Lit(String),
    Secret { secret: String, key: String },
}

impl EnvValue {
    pub fn lit(s: impl Into<String>) -> Self {
        EnvValue(vec![Part::Lit(s.into())])
    }

    pub fn secret(secret: impl Into<String>, key: impl Into<String>) -> Self {
        EnvValue(vec![Part::Secret {
            secret: secret.into(),
            key: key.into(),
        }])
    }

    /// Concatenate parts, merging adjacent literals.
    pub fn concat(parts: impl IntoIterator<Item = EnvValue>) -> Self {
        let mut out: Vec<Part> = Vec::new();
        for p in parts.into_iter().flat_map(|v| v.0) {
            match (out.last_mut(), p) {
                (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
                (_, Part::Lit(b)) if b.is_empty() => {}
                (_, p) => out.push(p),
            }
        }
        EnvValue(out)
    }

    /// The literal text when the value holds no secret part.
    pub fn as_plain(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.0 {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Secret { .. } => return None,
            }
        }
        Some(s)
    }

    pub fn has_secret(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Part::Secret { .. }))
    }

    /// The secrets this value reads, as (secret, key).
    pub fn secret_refs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().filter_map(|p| match p {
            Part::Secret { secret, key } => Some((secret.as_str(), key.as_str())),
            Part::Lit(_) => None,
        })
    }

    /// Render with a function that spells each secret part (e.g. `${VAR}` or `$(VAR)`).
    pub fn render(&self, mut secret: impl FnMut(&str, &str) -> String) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::Lit(l) => l.clone(),
                Part::Secret { secret: s, key } => secret(s, key),
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub name: String,
    pub kind: WorkloadKind,
    /// Full pinned image reference.
    pub image: ImageRef,
    /// How to build the image, when Berth builds it.
    pub build: Option<BuildModel>,
    /// Replaces the image's entrypoint when not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    pub command: Vec<String>,
    pub ports: Vec<PortModel>,
    pub health: Option<HealthModel>,
    /// Direct dependencies in spec order.
    pub uses: Vec<Dep>,
    /// Jobs that must complete successfully before this workload starts.
    pub after_jobs: Vec<String>,
    /// Only for jobs: services that wait for this job.
    pub before: Vec<String>,
    /// Environment variables: wiring first (per dependency, contract order), then the user's
    /// `env` (which overrides a wiring variable of the same name), then secrets.
    pub env: Vec<EnvVar>,
    pub replicas: u32,
    pub autoscale: Option<AutoscaleModel>,
    pub resources: ResourcesModel,
    pub expose: Option<ExposeModel>,
    pub restart: Restart,
    pub volumes: Vec<VolumeModel>,
    /// Project files mounted read-only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileMount>,
    /// Secrets delivered as files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_files: Vec<SecretFile>,
    /// Paths that stay writable under a read-only root (tmpfs / emptyDir).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub writable: Vec<String>,
    pub dev: Option<DevModel>,
    /// Delivery strategy (services; rolling unless the spec says otherwise).
    #[serde(skip_serializing_if = "StrategyModel::is_rolling")]
    pub strategy: StrategyModel,
    /// The Prometheus endpoint the service serves, when the spec declares one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricsModel>,
}

/// A project file or folder mounted read-only into a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileMount {
    /// Path inside the container.
    pub path: String,
    /// Path relative to berth.yaml, as written (without a leading `./`).
    pub source: String,
    /// What it holds, when the caller read the project (rendering stays pure). Kubernetes
    /// realizes it as a ConfigMap; empty when not read.
    #[serde(skip)]
    pub content: Vec<MountedFile>,
}

/// One file of a project file mount, as the caller read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountedFile {
    /// Path inside the mount (empty when the mount is a single file).
    pub path: String,
    /// Its key in the owner's files ConfigMap.
    pub key: String,
    pub bytes: Vec<u8>,
}

/// A secret delivered as a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretFile {
    /// Absolute path inside the container (`/run/secrets/NAME` unless written absolute).
    pub path: String,
    pub secret: String,
}

impl Workload {
    pub fn primary_port(&self) -> Option<&PortModel> {
        self.ports.first()
    }

    pub fn is_job(&self) -> bool {
        self.kind == WorkloadKind::Job
    }

    /// The host command of `dev.run`: a native environment runs the workload as this process.
    pub fn dev_run(&self) -> Option<&str> {
        self.dev.as_ref()?.run.as_deref()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildModel {
    pub context: String,
    pub dockerfile: Option<String>,
    pub target: Option<String>,
    pub args: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortModel {
    pub name: String,
    pub port: u16,
    #[serde(skip_serializing_if = "Protocol::is_tcp")]
    pub protocol: Protocol,
    /// Host port: published in compose/native environments, the local port `berth forward`
    /// uses on Kubernetes.
    pub publish: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthModel {
    pub check: Check,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub retries: u32,
    pub start_period_s: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Check {
    Http {
        path: String,
        port: u16,
        port_name: String,
    },
    Tcp {
        port: u16,
        port_name: String,
    },
    Exec {
        command: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dep {
    pub name: String,
    pub kind: DepKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    Store,
    Service,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
    pub origin: EnvOrigin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvOrigin {
    /// From the wiring contract (a `uses` entry).
    Wiring,
    /// Written in `env`.
    User,
    /// A declared secret given to the workload.
    Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutoscaleModel {
    pub min: u32,
    pub max: u32,
    pub cpu: Option<u8>,
    pub memory: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourcesModel {
    pub cpu_request: Cpu,
    pub memory_request: Memory,
    pub cpu_limit: Cpu,
    pub memory_limit: Memory,
    /// Whether the spec wrote them (else they are Berth's defaults).
    #[serde(skip)]
    pub written: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposeModel {
    /// Full host name, when known.
    pub host: Option<String>,
    pub path: String,
    pub port_name: String,
    pub port: u16,
    pub tls: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeModel {
    pub name: String,
    pub path: String,
    pub size: Memory,
    /// The volume's exact name (`<workload>-<name>` unless written); workloads that give the
    /// same name share the volume.
    pub volume: String,
    /// Exists already; never created or removed by Berth.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// The spec gave the name: it is the docker volume's exact name (otherwise compose prefixes
    /// the default name with the stack).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub named: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DevModel {
    /// The host command (native environments); None: the service runs as a container there.
    pub run: Option<String>,
    pub watch: Vec<String>,
    pub workdir: Option<String>,
    /// Compose dev mode: project paths synced into the running container.
    pub sync: Vec<FileMount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretModel {
    pub name: String,
    pub source: SecretSource,
    /// Keys the secret holds (`value` for plain secrets).
    pub keys: Vec<String>,
    /// Why it exists (declared, or the store it belongs to).
    pub purpose: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "from", rename_all = "lowercase")]
pub enum SecretSource {
    /// Random, generated once by the driver and kept in `.berth/` state.
    Generate { length: u32 },
    /// Read from a host environment variable at deploy time.
    Env { var: String },
    /// Read from a file at deploy time.
    File { path: String },
    /// AWS Secrets Manager; `generate` set when Terraform creates the value.
    Aws { name: String, generate: Option<u32> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfraModel {
    pub vpc_cidr: String,
    pub kubernetes_version: String,
    pub node_instance_type: String,
    pub node_min: u32,
    pub node_max: u32,
    pub node_desired: u32,
    pub db_instance_class: String,
    pub cache_node_type: String,
    pub docdb_instance_class: String,
    pub mq_instance_type: String,
    pub multi_az: bool,
    pub state_bucket: String,
}

impl Model {
    pub fn store(&self, name: &str) -> Option<&StoreModel> {
        self.stores.iter().find(|s| s.name == name)
    }

    /// The stores the container or pod of store `runner` runs: itself first, then the stores
    /// it serves ([`StoreModel::served_by`]), in spec order.
    pub fn served_by<'a>(&'a self, runner: &'a StoreModel) -> Vec<&'a StoreModel> {
        std::iter::once(runner)
            .chain(
                self.stores
                    .iter()
                    .filter(|s| s.served_by.as_deref() == Some(runner.name.as_str())),
            )
            .collect()
    }

    pub fn workload(&self, name: &str) -> Option<&Workload> {
        self.workloads.iter().find(|w| w.name == name)
    }

    pub fn secret(&self, name: &str) -> Option<&SecretModel> {
        self.secrets.iter().find(|s| s.name == name)
    }

    /// Local clusters (minikube, kind, k3d) as opposed to cloud ones.
    pub fn is_local_cluster(&self) -> bool {
        self.platform == Platform::Kubernetes && self.cloud.is_none()
    }
}

/// `engine-api` → `ENGINE_API`: the prefix of wiring variables and secret variables.
pub fn screaming_snake(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

impl InfraModel {
    /// Subnet plan shared by Terraform and the NetworkPolicies that reach managed stores:
    /// the VPC is cut into /(prefix+4) blocks; public = blocks 0..3, private = 4..7,
    /// database = 8..11 (one per availability zone).
    pub fn subnets(&self, tier: SubnetTier) -> Vec<String> {
        let first = match tier {
            SubnetTier::Public => 0,
            SubnetTier::Private => 4,
            SubnetTier::Database => 8,
        };
        (first..first + 3)
            .filter_map(|k| cidr_subnet(&self.vpc_cidr, 4, k))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubnetTier {
    Public,
    Private,
    Database,
}

/// Terraform's `cidrsubnet(prefix, newbits, netnum)` for IPv4.
pub fn cidr_subnet(cidr: &str, newbits: u32, netnum: u32) -> Option<String> {
    let (addr, len) = cidr.split_once('/')?;
    let len: u32 = len.parse().ok()?;
    let ip: std::net::Ipv4Addr = addr.parse().ok()?;
    let new_len = len + newbits;
    if new_len > 32 || netnum >= (1 << newbits) {
        return None;
    }
    let base = u32::from(ip) & (u32::MAX.checked_shl(32 - len).unwrap_or(0));
    let net = base | (netnum << (32 - new_len));
    Some(format!("{}/{new_len}", std::net::Ipv4Addr::from(net)))
}
