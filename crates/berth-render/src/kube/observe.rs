//! Observability on Kubernetes, from `crate::observe`: a ServiceMonitor per scrape target
//! (prometheus-operator), the stack's PrometheusRule, the dashboards as ConfigMaps the Grafana
//! sidecar loads (`grafana_dashboard: "1"`), and the OpenTelemetry Collector (ConfigMap,
//! hardened Deployment, Service, NetworkPolicy) when traces or logs are on; the NetworkPolicy
//! rules that let the monitoring namespace scrape and workloads send OTLP to the collector.

use super::object::{Kind, Meta, Obj};
use super::parts::{
    container_security, empty_dir, labels, mount, pod_security, pod_skips, pull_policy, skips,
};
use crate::observe::config::{self, Sinks, HEALTH_PORT};
use crate::observe::rules::{rules, RuleFile};
use crate::observe::{dashboards::dashboards, targets, Target};
use crate::tree::{node, Node};
use berth_spec::model::{OTEL_COLLECTOR, OTLP_GRPC_PORT, OTLP_HTTP_PORT};
use berth_spec::Model;

/// The owner (base directory) of the stack-wide observability objects.
pub const OWNER: &str = "observability";
/// The namespace the cluster's Prometheus (and Grafana, Loki, Jaeger) run in.
pub const MONITORING_NAMESPACE: &str = "monitoring";
/// The name of a store's metrics port (its Service and container).
pub const STORE_METRICS_PORT_NAME: &str = "prometheus";
/// The collector image (contrib: the Loki, X-Ray and CloudWatch exporters).
pub const COLLECTOR_IMAGE: &str = "otel/opentelemetry-collector-contrib:0.111.0";

/// The stack-wide objects: rules, dashboards and the collector.
pub fn objects(model: &Model) -> Vec<Obj<'_>> {
    let mut objs = Vec::new();
    let rules = rules(model);
    if !rules.groups.is_empty() {
        let meta = Meta::new(model.stack.as_str(), labels(model, OWNER, "alert-rules"));
        objs.push(Obj::new(
            OWNER,
            Kind::PrometheusRule,
            meta,
            [("spec", spec(rules))],
        ));
    }
    for (stem, d) in dashboards(model) {
        let mut lab = labels(model, OWNER, "dashboard");
        lab.insert("grafana_dashboard", "1");
        let meta = Meta::new(format!("{}-dashboard-{stem}", model.stack), lab);
        let data = Node::Map(vec![(
            key(format!("{stem}.json")),
            Node::from(d.to_string()),
        )]);
        objs.push(Obj::new(OWNER, Kind::ConfigMap, meta, [("data", data)]));
    }
    if model.observability.traces || model.observability.logs {
        objs.extend(collector(model));
    }
    objs
}

/// The ServiceMonitor of `job`'s target, when it is one.
pub fn service_monitor<'a>(model: &'a Model, job: &str) -> Option<Obj<'a>> {
    let t = targets(model).into_iter().find(|t| t.job == job)?;
    Some(monitor(model, t))
}

fn monitor(model: &Model, t: Target) -> Obj<'_> {
    let meta = Meta::new(t.job.clone(), labels(model, t.job.clone(), "monitor"));
    let spec = node!({
        "selector": { "matchLabels": { "app.kubernetes.io/name": t.job.clone() } },
        "namespaceSelector": { "matchNames": [model.namespace.as_str()] },
        "endpoints": [{
            "port": t.port_name,
            "path": t.path,
            "interval": model.observability.scrape_interval.as_str(),
        }],
    });
    Obj::new(t.job, Kind::ServiceMonitor, meta, [("spec", spec)])
}

/// Ingress from the monitoring namespace to `job`'s metrics port, when it is a target.
pub fn scrape_ingress<'a>(model: &Model, job: &str) -> Option<Node<'a>> {
    let t = targets(model).into_iter().find(|t| t.job == job)?;
    Some(node!({
        "from": [{ "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } } }],
        "ports": [{ "protocol": "TCP", "port": t.port }],
    }))
}

/// Egress from a workload to the collector's OTLP ports, when traces are on.
pub fn otlp_egress<'a>(model: &Model) -> Option<Node<'a>> {
    model.observability.traces.then(|| {
        node!({
            "to": [{ "podSelector": { "matchLabels": { "app.kubernetes.io/name": OTEL_COLLECTOR } } }],
            "ports": [
                { "protocol": "TCP", "port": OTLP_GRPC_PORT },
                { "protocol": "TCP", "port": OTLP_HTTP_PORT },
            ],
        })
    })
}

fn collector(model: &Model) -> Vec<Obj<'_>> {
    // Jaeger and Loki in the monitoring namespace locally, X-Ray and CloudWatch Logs on AWS.
    let jaeger = format!("jaeger-collector.{MONITORING_NAMESPACE}.svc");
    let loki = format!("http://loki.{MONITORING_NAMESPACE}.svc:3100");
    let sinks = match (&model.cloud, &model.region) {
        (Some(_), Some(region)) => Sinks::Aws { region },
        _ => Sinks::Local {
            jaeger: &jaeger,
            loki: &loki,
        },
    };
    let config = crate::yaml::to_yaml(&config::otel_collector(model, sinks));
    let lab = || labels(model, OTEL_COLLECTOR, "collector");
    let sel = node!({ "app.kubernetes.io/name": OTEL_COLLECTOR });
    let ports = node!([
        { "name": "otlp-grpc", "port": OTLP_GRPC_PORT, "targetPort": "otlp-grpc", "protocol": "TCP" },
        { "name": "otlp-http", "port": OTLP_HTTP_PORT, "targetPort": "otlp-http", "protocol": "TCP" },
    ]);
    let probe = node!({ "httpGet": { "path": "/", "port": "health" }, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3 });
    let container = node!({
        "name": OTEL_COLLECTOR,
        "image": COLLECTOR_IMAGE,
        "imagePullPolicy": pull_policy(model),
        "args": ["--config=/etc/otelcol/config.yaml"],
        "ports": [
            { "name": "otlp-grpc", "containerPort": OTLP_GRPC_PORT, "protocol": "TCP" },
            { "name": "otlp-http", "containerPort": OTLP_HTTP_PORT, "protocol": "TCP" },
            { "name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP" },
        ],
        "resources": {
            "requests": { "cpu": "100m", "memory": "256Mi" },
            "limits": { "cpu": "500m", "memory": "512Mi" },
        },
        "readinessProbe": probe.clone(),
        "livenessProbe": probe,
        "securityContext": container_security(),
        "volumeMounts": [mount("config", "/etc/otelcol"), mount("tmp", "/tmp")],
    });
    let deployment = node!({
        "replicas": 1,
        "selector": { "matchLabels": sel.clone() },
        "template": {
            "metadata": { "labels": lab() },
            "spec": {
                "serviceAccountName": OTEL_COLLECTOR,
                "automountServiceAccountToken": false,
                "securityContext": pod_security(),
                "containers": [container],
                "volumes": [
                    { "name": "config", "configMap": { "name": OTEL_COLLECTOR } },
                    empty_dir("tmp", "256Mi"),
                ],
            },
        },
    });
    let from_stack = node!({ "podSelector": { "matchLabels": { "app.kubernetes.io/part-of": model.stack.as_str() } } });
    let egress_sink = if model.cloud.is_some() {
        node!({ "ports": [{ "protocol": "TCP", "port": 443 }] })
    } else {
        node!({
            "to": [{ "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } } }],
            "ports": [{ "protocol": "TCP", "port": OTLP_GRPC_PORT }, { "protocol": "TCP", "port": 3100 }],
        })
    };
    let policy = node!({
        "podSelector": { "matchLabels": sel.clone() },
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{ "from": [from_stack], "ports": [
            { "protocol": "TCP", "port": OTLP_GRPC_PORT },
            { "protocol": "TCP", "port": OTLP_HTTP_PORT },
        ] }],
        "egress": [
            {
                "to": [{
                    "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "kube-system" } },
                    "podSelector": { "matchLabels": { "k8s-app": "kube-dns" } },
                }],
                "ports": [{ "protocol": "UDP", "port": 53 }, { "protocol": "TCP", "port": 53 }],
            },
            egress_sink,
        ],
    });
    let meta = || Meta::new(OTEL_COLLECTOR, lab());
    let mut deployment_meta = meta();
    // The image digest and, on a local cluster, the pull policy: as for every workload.
    let reasons: Vec<(&str, &str)> = pod_skips(model)
        .into_iter()
        .filter(|(check, _)| *check != "CKV_K8S_35")
        .collect();
    skips(&mut deployment_meta, &reasons);
    vec![
        Obj::new(
            OWNER,
            Kind::ServiceAccount,
            meta(),
            [("automountServiceAccountToken", false.into())],
        ),
        Obj::new(
            OWNER,
            Kind::ConfigMap,
            meta(),
            [("data", node!({ "config.yaml": config }))],
        ),
        Obj::new(
            OWNER,
            Kind::Service,
            meta(),
            [("spec", node!({ "selector": sel, "ports": ports }))],
        ),
        Obj::new(
            OWNER,
            Kind::Deployment,
            deployment_meta,
            [("spec", deployment)],
        ),
        Obj::new(OWNER, Kind::NetworkPolicy, meta(), [("spec", policy)]),
    ]
}

/// The rules file as the PrometheusRule's `spec` (every key is fixed).
fn spec(rules: RuleFile) -> Node<'static> {
    let groups: Vec<Node> = rules
        .groups
        .into_iter()
        .map(|g| {
            let rules: Vec<Node> = g
                .rules
                .into_iter()
                .map(|r| {
                    node!({
                        "alert": r.alert,
                        "expr": r.expr,
                        "for": r.for_,
                        "labels": { "severity": r.labels.severity, "stack": r.labels.stack, "subject": r.labels.subject },
                        "annotations": { "summary": r.annotations.summary },
                    })
                })
                .collect();
            node!({ "name": g.name, "rules": rules })
        })
        .collect();
    node!({ "groups": groups })
}

/// A map key made at render time (`<service>.json`), interned: each distinct key is allocated
/// once for the life of the process, so the trees that borrow their keys can hold it.
fn key(text: String) -> &'static str {
    static KEYS: std::sync::LazyLock<std::sync::Mutex<std::collections::BTreeSet<&'static str>>> =
        std::sync::LazyLock::new(Default::default);
    let mut keys = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = keys.get(text.as_str()) {
        return k;
    }
    let k: &'static str = Box::leak(text.into_boxed_str());
    keys.insert(k);
    k
}
