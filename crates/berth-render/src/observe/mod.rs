//! Observability, rendered once for every platform (pure): the scrape targets of a stack and the
//! metrics each exposes, the Prometheus alerting rules (`rules`), the Grafana dashboards
//! (`dashboards`), the Prometheus scrape configuration and the OpenTelemetry Collector
//! configuration (`config`). Kubernetes wraps them in prometheus-operator objects and
//! ConfigMaps, compose writes them beside its files (docs/observability.md).
//!
//! The metrics contract of a service that declares `metrics:`: the endpoint serves
//! `http_requests_total` (counter, label `code`), `http_request_duration_seconds` (histogram)
//! and the standard process metrics every Prometheus client library exports
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_start_time_seconds`).

pub mod config;
pub mod dashboards;
pub mod rules;

use berth_spec::model::{Realized, StoreModel};
use berth_spec::spec::{Platform, StoreType};
use berth_spec::Model;
use std::collections::BTreeSet;

/// What a service that declares `metrics:` serves (the contract above).
pub const SERVICE_METRICS: &[&str] = &[
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_sum",
    "http_request_duration_seconds_count",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
];

/// RabbitMQ's built-in `rabbitmq_prometheus` plugin (port 15692), the metrics Berth reads.
pub const RABBITMQ_METRICS: &[&str] = &[
    "rabbitmq_queue_messages_ready",
    "rabbitmq_queue_messages_unacked",
    "rabbitmq_connections",
];
/// The port of RabbitMQ's prometheus plugin.
pub const RABBITMQ_METRICS_PORT: u16 = 15692;

/// A store's Prometheus exporter: a sidecar in the store's pod on Kubernetes (reading the store on
/// localhost), a service `<store>-exporter` of the observability profile in compose; both with
/// the store's own credentials. In compose the image is `${variable:-image}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exporter {
    pub kind: StoreType,
    /// Container name.
    pub name: &'static str,
    pub image: &'static str,
    /// The compose variable that overrides the image.
    pub variable: &'static str,
    pub port: u16,
    /// What Berth reads of it (`<store>_up` is 0 while the exporter cannot reach the store).
    pub metrics: &'static [&'static str],
}

pub const EXPORTERS: &[Exporter] = &[
    Exporter {
        kind: StoreType::Redis,
        name: "redis-exporter",
        image: "oliver006/redis_exporter:v1.62.0",
        variable: "BERTH_REDIS_EXPORTER_IMAGE",
        port: 9121,
        metrics: &[
            "redis_up",
            "redis_connected_clients",
            "redis_memory_used_bytes",
            "redis_evicted_keys_total",
        ],
    },
    Exporter {
        kind: StoreType::Postgres,
        name: "postgres-exporter",
        image: "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
        variable: "BERTH_POSTGRES_EXPORTER_IMAGE",
        port: 9187,
        metrics: &["pg_up", "pg_stat_database_numbackends"],
    },
    Exporter {
        kind: StoreType::Mongodb,
        name: "mongodb-exporter",
        image: "percona/mongodb_exporter:0.40.0",
        variable: "BERTH_MONGODB_EXPORTER_IMAGE",
        port: 9216,
        metrics: &["mongodb_up", "mongodb_ss_connections"],
    },
];

/// The exporter of a store type, if it has one.
pub fn exporter(kind: StoreType) -> Option<&'static Exporter> {
    EXPORTERS.iter().find(|e| e.kind == kind)
}

/// What the cluster's monitoring stack scrapes beside the stack on Kubernetes (kube-state-metrics
/// and the kubelet with cAdvisor, which kube-prometheus-stack installs with prometheus-operator).
pub const CLUSTER_METRICS: &[&str] = &[
    "kube_deployment_status_replicas_available",
    "kube_deployment_spec_replicas",
    "kube_statefulset_status_replicas_ready",
    "kube_statefulset_replicas",
    "kube_pod_container_status_restarts_total",
    "kubelet_volume_stats_available_bytes",
    "kubelet_volume_stats_capacity_bytes",
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
];

/// One scrape target of the stack: a job (the service or store name), where it answers and what
/// it exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub job: String,
    /// Host name in the stack's network (compose service, Kubernetes Service).
    pub host: String,
    pub port: u16,
    /// Name of the port (Kubernetes Service port).
    pub port_name: String,
    pub path: String,
    pub metrics: &'static [&'static str],
    /// The store it belongs to, for store targets.
    pub store: Option<StoreType>,
}

/// Every scrape target of the environment (none when metrics are off): services that declare
/// `metrics:`, and the stores Berth runs that export metrics.
pub fn targets(model: &Model) -> Vec<Target> {
    if !model.observability.metrics {
        return Vec::new();
    }
    let services = model.workloads.iter().filter_map(|w| {
        let m = w.metrics.as_ref()?;
        Some(Target {
            job: w.name.clone(),
            host: w.name.clone(),
            port: m.port,
            port_name: m.port_name.clone(),
            path: m.path.clone(),
            metrics: SERVICE_METRICS,
            store: None,
        })
    });
    let stores = model.stores.iter().filter_map(|s| store_target(model, s));
    services.chain(stores).collect()
}

/// The compose service of a store's exporter.
pub fn exporter_service(store: &str) -> String {
    format!("{store}-exporter")
}

/// A store's metrics endpoint, when Berth runs the store: RabbitMQ's own, the exporter of a
/// redis, postgres or mongodb (the store's Service on Kubernetes, `<store>-exporter` in compose).
fn store_target(model: &Model, s: &StoreModel) -> Option<Target> {
    let runs_here = matches!(s.realization, Realized::Container | Realized::InCluster);
    let host = if model.platform == Platform::Kubernetes {
        s.name.clone()
    } else {
        exporter_service(&s.name)
    };
    match s.kind {
        k if runs_here && exporter(k).is_some() => exporter(k).map(|e| Target {
            job: s.name.clone(),
            host,
            port: e.port,
            port_name: crate::kube::STORE_METRICS_PORT_NAME.into(),
            path: "/metrics".into(),
            metrics: e.metrics,
            store: Some(s.kind),
        }),
        StoreType::Rabbitmq if runs_here => Some(Target {
            job: s.name.clone(),
            host: s.name.clone(),
            port: RABBITMQ_METRICS_PORT,
            port_name: crate::kube::STORE_METRICS_PORT_NAME.into(),
            path: "/metrics".into(),
            metrics: RABBITMQ_METRICS,
            store: Some(s.kind),
        }),
        _ => None,
    }
}

/// Every metric a scrape target of the environment exposes: `up` (Prometheus records it for
/// every target), the targets' own, and on Kubernetes the cluster's.
pub fn exposed(model: &Model) -> BTreeSet<&'static str> {
    let mut set: BTreeSet<&'static str> = BTreeSet::from(["up"]);
    for t in targets(model) {
        set.extend(t.metrics.iter().copied());
    }
    if model.platform == Platform::Kubernetes && model.observability.metrics {
        set.extend(CLUSTER_METRICS.iter().copied());
    }
    set
}

/// How a workload's health reads on this platform: PromQL over what [`exposed`] lists.
pub struct Signals<'m> {
    model: &'m Model,
}

impl<'m> Signals<'m> {
    pub fn new(model: &'m Model) -> Self {
        Signals { model }
    }

    fn kube(&self) -> bool {
        self.model.platform == Platform::Kubernetes
    }

    /// The selector of workload `w`'s series.
    fn of(&self, w: &str) -> String {
        if self.kube() {
            format!("namespace=\"{}\",container=\"{w}\"", self.model.namespace)
        } else {
            format!("job=\"{w}\"")
        }
    }

    /// True (a series) while service `w` is not ready; None where nothing tells.
    pub fn not_ready(&self, w: &str, has_metrics: bool) -> Option<String> {
        let ns = &self.model.namespace;
        if self.kube() {
            let sel = format!("namespace=\"{ns}\",deployment=\"{w}\"");
            Some(format!(
                "kube_deployment_status_replicas_available{{{sel}}} < kube_deployment_spec_replicas{{{sel}}}"
            ))
        } else {
            has_metrics.then(|| format!("up{{job=\"{w}\"}} == 0"))
        }
    }

    /// Restarts of `w` over `window`.
    pub fn restarts(&self, w: &str, has_metrics: bool, window: &str) -> Option<String> {
        let sel = self.of(w);
        if self.kube() {
            Some(format!(
                "sum(increase(kube_pod_container_status_restarts_total{{{sel}}}[{window}]))"
            ))
        } else {
            has_metrics.then(|| format!("changes(process_start_time_seconds{{{sel}}}[{window}])"))
        }
    }

    /// CPU (cores) and memory (bytes) of `w`.
    pub fn resources(&self, w: &str, has_metrics: bool) -> Option<(String, String)> {
        let sel = self.of(w);
        if self.kube() {
            Some((
                format!("sum(rate(container_cpu_usage_seconds_total{{{sel}}}[5m]))"),
                format!("sum(container_memory_working_set_bytes{{{sel}}})"),
            ))
        } else {
            has_metrics.then(|| {
                (
                    format!("sum(rate(process_cpu_seconds_total{{{sel}}}[5m]))"),
                    format!("sum(process_resident_memory_bytes{{{sel}}})"),
                )
            })
        }
    }
}

/// Request rate, error ratio and 95th percentile latency of service `w` (the metrics contract).
pub fn red(w: &str) -> [String; 3] {
    let sel = format!("job=\"{w}\"");
    [
        format!("sum(rate(http_requests_total{{{sel}}}[5m]))"),
        format!(
            "sum(rate(http_requests_total{{{sel},code=~\"5..\"}}[5m])) / sum(rate(http_requests_total{{{sel}}}[5m]))"
        ),
        format!(
            "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m])))"
        ),
    ]
}

/// The metric names a PromQL expression selects: every identifier written right before `{`
/// (Berth writes every selector with braces).
pub fn selected_metrics(expr: &str) -> Vec<&str> {
    let bytes = expr.as_bytes();
    let mut out = Vec::new();
    for (i, _) in expr.match_indices('{') {
        let start = bytes[..i]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b':'))
            .map_or(0, |p| p + 1);
        if start < i {
            out.push(&expr[start..i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(env: &str) -> Model {
        let text = "name: shop\nservices:\n  api:\n    image: a/b:1\n    ports: { http: 8080 }\n    health: { tcp: http }\n    metrics: { port: http }\n    uses: [mq]\n  web:\n    image: a/w:1\n    ports: { http: 80 }\n    health: { tcp: http }\n\
                    stores:\n  mq: { type: rabbitmq, version: \"3.13\" }\n\
                    observability: { metrics: true }\n\
                    environments:\n  local: { platform: compose }\n  kind: { platform: kubernetes, cluster: kind }\n  off: { platform: compose, observability: { metrics: false } }\n";
        let loaded = berth_spec::load(&berth_spec::Source::new("b.yaml", text));
        berth_spec::resolve(&loaded.spec.unwrap(), env).unwrap()
    }

    #[test]
    fn targets_are_the_declared_endpoints_and_the_stores_own() {
        let jobs = |env: &str| -> Vec<(String, u16)> {
            targets(&model(env))
                .into_iter()
                .map(|t| (t.job, t.port))
                .collect()
        };
        assert_eq!(jobs("local"), [("api".into(), 8080), ("mq".into(), 15692)]);
        assert!(jobs("off").is_empty());
        assert!(exposed(&model("kind")).contains("kube_pod_container_status_restarts_total"));
        assert!(!exposed(&model("local")).contains("kube_pod_container_status_restarts_total"));
    }

    #[test]
    fn selected_metrics_are_the_names_before_braces() {
        let [_, errors, p95] = red("api");
        assert_eq!(selected_metrics(&errors), ["http_requests_total"; 2]);
        assert_eq!(
            selected_metrics(&p95),
            ["http_request_duration_seconds_bucket"]
        );
    }

    #[test]
    fn compose_signals_need_the_services_metrics_kubernetes_has_the_clusters() {
        let local = model("local");
        let s = Signals::new(&local);
        assert_eq!(s.not_ready("web", false), None);
        assert_eq!(s.not_ready("api", true).unwrap(), "up{job=\"api\"} == 0");
        let kind = model("kind");
        assert!(Signals::new(&kind).restarts("web", false, "1h").is_some());
    }
}
