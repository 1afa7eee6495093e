//! The berth.yaml spec as typed Rust. Declared once with `spec_struct!`/`spec_enum!`, which give
//! the decoder (with spans and all-errors reporting), the serializer and the JSON Schema.

use crate::decode::{spec_enum, spec_struct};
use crate::duration::Duration;
use crate::image::ImageRef;
use crate::port::Port;
use crate::quantity::{Cpu, Memory};
use crate::source::Spanned;
use crate::version::Version;
use indexmap::IndexMap;

/// A mapping keyed by names as written in the file (each key keeps its span).
pub type Map<T> = IndexMap<Spanned<String>, T>;
/// A name as written in the file.
pub type Name = Spanned<String>;

spec_struct! {
    /// A whole stack: the root of berth.yaml.
    pub struct Spec {
        /// Stack name (RFC 1123 label): the compose project name and the Kubernetes namespace.
        name: Name,
        /// Image registry that built images are pushed to for remote environments.
        registry: Option<Spanned<String>>,
        /// Version of the stack; the default tag of images Berth builds.
        version: Option<Spanned<String>>,
        /// Your code: long-running services and one-shot jobs.
        services: Map<Service>,
        /// Backing services (databases, caches, brokers), realized per environment.
        stores: Map<Store>,
        /// Secrets, generated or read from a source; never written into rendered files.
        secrets: Map<Secret>,
        /// Where the stack runs: compose, kubernetes (local or cloud) or native.
        environments: Map<Environment>,
        /// Named recipes: an environment, a subset, and commands to run before and after.
        deployments: Map<Deployment>,
        /// The Git repository of the project: what GitOps syncs from and CI runs in.
        repository: Option<Repository>,
        /// Metrics, traces and logs of the stack (docs/observability.md); environments override.
        observability: Option<Observability>,
    }
    required: [name]
}

spec_struct! {
    /// What the stack observes and how (docs/observability.md). A flag not written along the
    /// environment's chain nor here is off.
    pub struct Observability {
        /// Scrape the services' `metrics` endpoints and the stores' exporters; rules and dashboards.
        metrics: Option<Spanned<bool>>,
        /// Send traces over OTLP to an OpenTelemetry Collector (`OTEL_*` variables on every workload).
        traces: Option<Spanned<bool>>,
        /// Collect the workloads' logs (Loki locally, CloudWatch on AWS).
        logs: Option<Spanned<bool>>,
        /// How long metrics and logs are kept (default `15d`).
        retention: Option<Spanned<Duration>>,
        /// Time between two scrapes (default `30s`).
        scrape_interval: Option<Spanned<Duration>>,
        /// Share of traces kept, from 0 to 1 (default 0.1).
        sampling_ratio: Option<Spanned<f64>>,
    }
    required: []
}

spec_struct! {
    /// A service's Prometheus metrics endpoint.
    pub struct Metrics {
        /// Name of the declared port that serves the metrics.
        port: Name,
        /// HTTP path (default `/metrics`).
        path: Option<Spanned<String>>,
    }
    required: [port]
}

spec_struct! {
    /// The project's Git repository (docs/delivery.md).
    pub struct Repository {
        /// Clone URL (`https://github.com/org/repo.git` or `git@github.com:org/repo.git`).
        url: Spanned<String>,
        /// Default branch: development environments deploy from it (default `main`).
        branch: Option<Spanned<String>>,
        /// Path of the deploy tree in the repository, what `berth render` writes (default `deploy`).
        path: Option<Spanned<String>>,
        /// Shell command CI runs as the project's tests (e.g. `npm ci && npm test`).
        test: Option<Spanned<String>>,
    }
    required: [url]
}

spec_enum! {
    /// How a new version of a service replaces the old one.
    pub enum StrategyKind { Rolling = "rolling", BlueGreen = "blue-green", Canary = "canary" }
}

spec_struct! {
    /// A delivery strategy with its settings.
    pub struct StrategySpec {
        /// `rolling` (default), `blue-green` or `canary`.
        r#type: Spanned<StrategyKind>,
        /// Canary: traffic percentages in increasing order (default 10, 25, 50).
        steps: Vec<Spanned<u32>>,
        /// Canary: pause after each step; blue-green: how long the preview runs before promotion (default 1m).
        pause: Option<Spanned<Duration>>,
        /// Highest error ratio (0-100 percent of 5xx) the analysis accepts (default 5).
        max_error_percent: Option<Spanned<u32>>,
    }
    required: [type]
}

/// A service's strategy: one word, or a mapping with settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Strategy {
    Kind(Spanned<StrategyKind>),
    Detailed(StrategySpec),
}

spec_struct! {
    /// Scheduled backups of a store (docs/delivery.md#backups).
    pub struct Backup {
        /// Cron schedule (five fields, UTC), e.g. `0 3 * * *`.
        schedule: Spanned<String>,
        /// Days a backup is kept (default 7).
        retain: Option<Spanned<u32>>,
    }
    required: [schedule]
}

spec_enum! {
    /// Whether a workload runs continuously or once.
    pub enum WorkloadKind { Service = "service", Job = "job" }
}

spec_enum! {
    /// Restart policy of a workload.
    pub enum Restart { Always = "always", OnFailure = "on-failure", Never = "never" }
}

spec_struct! {
    /// A workload built from your code (or an image you name).
    pub struct Service {
        /// `service` (default) runs continuously; `job` runs once and must succeed.
        kind: Option<Spanned<WorkloadKind>>,
        /// Build the image from source.
        build: Option<Build>,
        /// Run an existing image (`repo/name:tag`); pin the tag (unpinned is a warning, and an
        /// error in production environments).
        image: Option<Spanned<ImageRef>>,
        /// Replace the image's entrypoint (list form).
        entrypoint: Option<Spanned<Vec<String>>>,
        /// Command and arguments (list form).
        command: Option<Spanned<Vec<String>>>,
        /// Named container ports (`8080`, or `53/udp`); the first is the primary one.
        ports: Map<Spanned<Port>>,
        /// Host ports to publish per port name (compose and native environments).
        publish: Map<Spanned<u16>>,
        /// How to tell the workload is healthy.
        health: Option<Health>,
        /// Stores and services this one depends on: start order, wiring variables, network policy.
        uses: Vec<Name>,
        /// Only for jobs: services that wait for this job to complete successfully.
        before: Vec<Name>,
        /// Plain environment variables; `${dep.url}`-style references resolve per environment.
        env: Map<Spanned<String>>,
        /// Secrets given to this workload (as SCREAMING_SNAKE_CASE variables).
        secrets: Vec<Name>,
        /// Secrets given as files: file name under `/run/secrets/` (or an absolute path) → secret.
        secret_files: Map<Name>,
        /// Project files or folders mounted read-only: container path → path relative to
        /// berth.yaml.
        files: Map<Spanned<String>>,
        /// Paths that stay writable (tmpfs / emptyDir) under a read-only root filesystem; a
        /// `files` path listed here is mounted read-write in compose (a project folder the
        /// service writes to).
        writable: Vec<Spanned<String>>,
        /// Number of instances (ignored where autoscale is set).
        replicas: Option<Spanned<u32>>,
        /// Horizontal autoscaling.
        autoscale: Option<Autoscale>,
        /// CPU and memory requests (and optional limits).
        resources: Option<Resources>,
        /// Expose over HTTP(S) through the ingress.
        expose: Option<Expose>,
        /// Restart policy (default: always for services, on-failure for jobs).
        restart: Option<Spanned<Restart>>,
        /// Named persistent volumes mounted into the workload.
        volumes: Map<Volume>,
        /// Native development loop: the command to run on the host and what to watch.
        dev: Option<Dev>,
        /// How a new version replaces the old one: rolling (default), blue-green or canary.
        strategy: Option<Strategy>,
        /// The Prometheus metrics endpoint the service serves (docs/observability.md).
        metrics: Option<Metrics>,
    }
    required: []
}

spec_struct! {
    /// Build instructions for an image.
    pub struct Build {
        /// Build context directory, relative to berth.yaml (default `.`).
        context: Option<Spanned<String>>,
        /// Dockerfile path relative to the context.
        dockerfile: Option<Spanned<String>>,
        /// Multi-stage target.
        target: Option<Spanned<String>>,
        /// Build arguments.
        args: Map<Spanned<String>>,
    }
    required: []
}

spec_struct! {
    /// A health check: exactly one of http, tcp or exec.
    pub struct Health {
        /// HTTP GET that must answer 2xx/3xx.
        http: Option<HttpCheck>,
        /// Port name that must accept TCP connections.
        tcp: Option<Name>,
        /// Command run inside the container that must exit 0.
        exec: Option<Spanned<Vec<String>>>,
        /// Time between checks (e.g. `10s`).
        interval: Option<Spanned<Duration>>,
        /// Time a check may take.
        timeout: Option<Spanned<Duration>>,
        /// Failures before the workload counts as unhealthy.
        retries: Option<Spanned<u32>>,
        /// Grace period after start.
        start_period: Option<Spanned<Duration>>,
    }
    required: []
}

spec_struct! {
    /// An HTTP health check.
    pub struct HttpCheck {
        /// Request path, e.g. `/health`.
        path: Spanned<String>,
        /// Port name (default: the primary port).
        port: Option<Name>,
    }
    required: [path]
}

spec_struct! {
    /// Horizontal autoscaling bounds and target.
    pub struct Autoscale {
        min: Spanned<u32>,
        max: Spanned<u32>,
        /// Target average CPU utilisation in percent (default 70).
        cpu: Option<Spanned<u8>>,
        /// Target average memory utilisation in percent.
        memory: Option<Spanned<u8>>,
    }
    required: [min, max]
}

spec_struct! {
    /// Compute resources. `cpu`/`memory` are requests; limits default to the requests.
    pub struct Resources {
        cpu: Option<Spanned<Cpu>>,
        memory: Option<Spanned<Memory>>,
        limits: Option<Limits>,
    }
    required: []
}

spec_struct! {
    /// Resource limits.
    pub struct Limits {
        cpu: Option<Spanned<Cpu>>,
        memory: Option<Spanned<Memory>>,
    }
    required: []
}

spec_struct! {
    /// HTTP exposure through the ingress (Kubernetes) or a published port (compose).
    pub struct Expose {
        /// Host name; in environments with a `domain`, a bare label is placed under it.
        host: Option<Spanned<String>>,
        /// Path prefix (default `/`).
        path: Option<Spanned<String>>,
        /// Port name (default: the primary port).
        port: Option<Name>,
        /// Serve over TLS with a cert-manager certificate (default true).
        tls: Option<Spanned<bool>>,
    }
    required: []
}

spec_struct! {
    /// A persistent volume of a workload.
    pub struct Volume {
        /// Mount path inside the container.
        path: Spanned<String>,
        /// Requested size (Kubernetes quantity, default 1Gi).
        size: Option<Spanned<Memory>>,
        /// The volume's exact name (default `<service>-<volume>`); services that give the same
        /// name share one volume.
        name: Option<Spanned<String>>,
        /// The volume exists already under `name`; Berth never creates or removes it.
        external: Option<Spanned<bool>>,
    }
    required: [path]
}

spec_struct! {
    /// The development loop of a service (`berth dev`): a host process in native environments,
    /// its container kept current in compose environments (docs/dev.md).
    pub struct Dev {
        /// Shell command run on the host (e.g. `npx tsx watch src/engine.ts`); native
        /// environments run the service this way.
        run: Option<Spanned<String>>,
        /// Paths relative to berth.yaml whose changes restart the command (native), or rebuild
        /// the image and recreate the container (compose, a service with `build`) unless a
        /// `sync` path holds them.
        watch: Vec<Spanned<String>>,
        /// Working directory relative to berth.yaml.
        workdir: Option<Spanned<String>>,
        /// Compose: project paths copied into the running container when they change, without a
        /// rebuild: container path → path relative to berth.yaml (like `files`).
        sync: Map<Spanned<String>>,
    }
    required: []
}

spec_enum! {
    /// Kinds of backing store Berth knows how to realize.
    pub enum StoreType {
        Redis = "redis",
        Postgres = "postgres",
        Mongodb = "mongodb",
        Rabbitmq = "rabbitmq",
        Mysql = "mysql",
        S3 = "s3",
        Sqs = "sqs",
        Sns = "sns",
        Opensearch = "opensearch",
        Smtp = "smtp",
    }
}

spec_struct! {
    /// A backing store.
    pub struct Store {
        /// What the store is.
        r#type: Spanned<StoreType>,
        /// Version (`major` or `major.minor[.patch]`); pins images and managed engine versions.
        /// Optional when `image` has a tag that starts with one (`redis:7-alpine`).
        version: Option<Spanned<Version>>,
        /// Members (replica set / cluster size) where the realization supports it; with
        /// `shards`, the members of each shard (its primary and replicas).
        replicas: Option<Spanned<u32>>,
        /// redis only: shards (node groups) of a managed ElastiCache store, which then runs in
        /// cluster mode and clients connect with a cluster client (default 1: no cluster mode).
        /// Where Berth runs redis itself, one node runs.
        shards: Option<Spanned<u32>>,
        /// Persistent storage size (Kubernetes quantity, default 1Gi).
        storage: Option<Spanned<Memory>>,
        /// Database name (postgres, mongodb; default: the store name).
        database: Option<Spanned<String>>,
        /// MongoDB replica set name (default `rs0` when replicas > 1).
        replica_set: Option<Spanned<String>>,
        /// The container image, kept exactly (a variant such as `postgres:15-alpine`, a mirror,
        /// or a compatible engine such as `valkey/valkey:8` for redis).
        image: Option<Spanned<ImageRef>>,
        /// Host port to publish in compose environments (default: the store's standard port; 0 disables).
        publish: Option<Spanned<u16>>,
        /// Host ports of the store's further named ports (rabbitmq `management`, MinIO
        /// `console`), by name; 0 disables. Default: each at its own number when the main port
        /// is published.
        publish_ports: Map<Spanned<u16>>,
        /// CPU and memory of in-cluster/container realizations.
        resources: Option<Resources>,
        /// The exact name of the docker volume that holds its data in compose environments
        /// (default `<stack>_<store>-data`); an imported project keeps its own (`shop_db_data`),
        /// so existing data is found.
        volume: Option<Spanned<String>>,
        /// Extra arguments for the store's server, after Berth's own (`--maxmemory 256mb`,
        /// `-c max_connections=200`); redis, postgres and mongodb.
        args: Vec<Spanned<String>>,
        /// Further persistent volumes beside the data volume (mongo's `/data/configdb`), as a
        /// service's `volumes`.
        volumes: Map<Volume>,
        /// Project files or folders mounted read-only (init scripts in
        /// `/docker-entrypoint-initdb.d`, config files): container path → path relative to
        /// berth.yaml, as a service's `files`.
        files: Map<Spanned<String>>,
        /// A declared secret that is the store's password where Berth runs it (a file the
        /// services read too, as compose's `*_FILE` variables); default: one Berth generates.
        password: Option<Name>,
        /// Scheduled backups with retention.
        backup: Option<Backup>,
        /// sns only: the sqs stores subscribed to this topic (their queues receive every message).
        subscribers: Vec<Spanned<String>>,
        /// s3 only: serve the bucket's objects through a CDN (CloudFront on AWS, with the bucket
        /// private behind it); workloads get `<NAME>_CDN_URL`.
        cdn: Option<Spanned<bool>>,
    }
    required: [type]
}

spec_struct! {
    /// A secret: where its value comes from. Exactly one source.
    pub struct Secret {
        /// Generate a random value once and keep it in `.berth/` state.
        generate: Option<Generate>,
        /// Read from this host environment variable when deploying.
        env: Option<Spanned<String>>,
        /// Read from this file (relative to berth.yaml) when deploying.
        file: Option<Spanned<String>>,
        /// AWS Secrets Manager secret name (cloud environments).
        aws: Option<Spanned<String>>,
        /// What the secret is for.
        description: Option<Spanned<String>>,
    }
    required: []
}

spec_struct! {
    /// Random generation parameters.
    pub struct Generate {
        /// Length in characters (default 32, at least 16).
        length: Option<Spanned<u32>>,
    }
    required: []
}

spec_enum! {
    /// What drives an environment.
    pub enum Platform { Compose = "compose", Kubernetes = "kubernetes", Native = "native" }
}

spec_enum! {
    /// Kubernetes cluster flavour.
    pub enum Cluster { Minikube = "minikube", Kind = "kind", K3d = "k3d", Eks = "eks" }
}

spec_enum! {
    /// Cloud provider.
    pub enum Cloud { Aws = "aws" }
}

spec_struct! {
    /// An environment the stack runs in.
    pub struct Environment {
        /// Inherit everything from another environment, then override.
        extends: Option<Name>,
        platform: Option<Spanned<Platform>>,
        cluster: Option<Spanned<Cluster>>,
        cloud: Option<Spanned<Cloud>>,
        region: Option<Spanned<String>>,
        /// DNS domain for exposed hosts.
        domain: Option<Spanned<String>>,
        /// Kubernetes namespace (default: the stack name).
        namespace: Option<Spanned<String>>,
        /// Production-grade (default: true for cloud environments): unpinned images are errors
        /// and compose services get the hardened defaults.
        production: Option<Spanned<bool>>,
        /// Image tag for built services in this environment (default: `version`, else `dev`).
        tag: Option<Spanned<String>>,
        /// Store realizations: one word for all stores, or per store.
        stores: Option<Realizations>,
        /// Per-service overrides.
        services: Map<ServiceOverride>,
        /// Per-secret source overrides.
        secrets: Map<Secret>,
        /// Cloud sizing (Terraform).
        infra: Option<Infra>,
        /// Observability settings of this environment (each key overrides the stack's).
        observability: Option<Observability>,
    }
    required: []
}

spec_struct! {
    /// What an environment may change about a service.
    pub struct ServiceOverride {
        replicas: Option<Spanned<u32>>,
        autoscale: Option<Autoscale>,
        resources: Option<Resources>,
        env: Map<Spanned<String>>,
        expose: Option<Expose>,
        publish: Map<Spanned<u16>>,
        image: Option<Spanned<ImageRef>>,
    }
    required: []
}

spec_struct! {
    /// Cloud sizing; every field has a per-environment default.
    pub struct Infra {
        vpc_cidr: Option<Spanned<String>>,
        kubernetes_version: Option<Spanned<String>>,
        node_instance_type: Option<Spanned<String>>,
        node_min: Option<Spanned<u32>>,
        node_max: Option<Spanned<u32>>,
        node_desired: Option<Spanned<u32>>,
        db_instance_class: Option<Spanned<String>>,
        cache_node_type: Option<Spanned<String>>,
        docdb_instance_class: Option<Spanned<String>>,
        mq_instance_type: Option<Spanned<String>>,
        multi_az: Option<Spanned<bool>>,
        /// S3 bucket for Terraform state (default `<stack>-<env>-tfstate`).
        state_bucket: Option<Spanned<String>>,
    }
    required: []
}

/// How the stores of an environment are realized: one word for all, or per store.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Realizations {
    All(Spanned<RealizationKind>),
    PerStore(Map<Realization>),
}

spec_enum! {
    /// Where a store runs.
    pub enum RealizationKind {
        /// A container next to the services (compose).
        Container = "container",
        /// A StatefulSet in the cluster.
        InCluster = "in-cluster",
        /// On the developer's host, reached from a local cluster.
        Host = "host",
        /// A managed cloud service (Terraform).
        Managed = "managed",
        /// A server program `berth dev` runs on the developer's host (native: redis, postgres),
        /// its data under `.berth/data/<store>/`.
        Process = "process",
    }
}

/// One store's realization: a kind, or `{ external: URL }`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Realization {
    Kind(Spanned<RealizationKind>),
    External(External),
}

spec_struct! {
    /// A store that already exists elsewhere.
    pub struct External {
        /// Connection URL (credentials belong in a secret: use `${secrets.NAME}` placeholders).
        external: Spanned<String>,
    }
    required: [external]
}

spec_enum! {
    /// Which half of a stack a recipe touches.
    pub enum Only { Stores = "stores", Services = "services" }
}

spec_struct! {
    /// A named recipe (`berth deploy NAME`): what to deploy where, with commands around it.
    pub struct Deployment {
        environment: Name,
        description: Option<Spanned<String>>,
        /// Deploy only the stores or only the services.
        only: Option<Spanned<Only>>,
        /// Deploy exactly these services (with what they use).
        services: Vec<Name>,
        /// Shell commands run on the host before deploying.
        pre: Vec<Spanned<String>>,
        /// Shell commands run on the host after deploying.
        post: Vec<Spanned<String>>,
    }
    required: [environment]
}

impl crate::decode::Decode for Realizations {
    fn expected() -> &'static str {
        "a realization word or a mapping of store names"
    }
    fn decode(
        node: &crate::node::Node,
        what: &str,
        diags: &mut Vec<crate::diag::Diagnostic>,
    ) -> Option<Self> {
        match &node.value {
            crate::node::Value::Map(_) => {
                <Map<Realization>>::decode(node, what, diags).map(Realizations::PerStore)
            }
            _ => <Spanned<RealizationKind>>::decode(node, what, diags).map(Realizations::All),
        }
    }
}

impl crate::decode::Decode for Realization {
    fn expected() -> &'static str {
        "a realization word or { external: URL }"
    }
    fn decode(
        node: &crate::node::Node,
        what: &str,
        diags: &mut Vec<crate::diag::Diagnostic>,
    ) -> Option<Self> {
        match &node.value {
            crate::node::Value::Map(_) => {
                External::decode(node, what, diags).map(Realization::External)
            }
            _ => <Spanned<RealizationKind>>::decode(node, what, diags).map(Realization::Kind),
        }
    }
}

impl crate::decode::Decode for Strategy {
    fn expected() -> &'static str {
        "a strategy word or { type, steps, pause }"
    }
    fn decode(
        node: &crate::node::Node,
        what: &str,
        diags: &mut Vec<crate::diag::Diagnostic>,
    ) -> Option<Self> {
        match &node.value {
            crate::node::Value::Map(_) => {
                StrategySpec::decode(node, what, diags).map(Strategy::Detailed)
            }
            _ => <Spanned<StrategyKind>>::decode(node, what, diags).map(Strategy::Kind),
        }
    }
}

impl Strategy {
    pub fn kind(&self) -> StrategyKind {
        match self {
            Strategy::Kind(k) => k.value,
            Strategy::Detailed(d) => d.r#type.value,
        }
    }
}

impl Service {
    pub fn kind(&self) -> WorkloadKind {
        self.kind.as_ref().map(|k| k.value).unwrap_or_default()
    }
}

impl Store {
    /// The version as written, else the one the image's tag starts with (`7-alpine` → `7`).
    pub fn version(&self) -> Option<Version> {
        match &self.version {
            Some(v) => Some(v.value.clone()),
            None => self
                .image
                .as_ref()
                .and_then(|i| i.tag.as_deref())
                .and_then(Version::from_tag),
        }
    }
}
