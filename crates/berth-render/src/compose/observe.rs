//! The observability profile of a compose environment (`profiles: [observability]`, in
//! `compose.observability.yaml`): Prometheus with the scrape configuration and the rules of
//! `crate::observe`, Grafana with its datasources and the same dashboards provisioned, the
//! OpenTelemetry Collector and Jaeger. Their configuration is written beside the compose files
//! under `observability/` and mounted read-only. Each image is `${VARIABLE:-default}`, so a
//! local build can stand in (`BERTH_PROMETHEUS_IMAGE=berth-local/prometheus:2`), and each UI's
//! host port is `${VARIABLE:-port}` (`BERTH_PROMETHEUS_PORT`, 9090 by default).

use super::common::{env_file_entry, network, networks_section};
use crate::observe::config::{self, Sinks, HEALTH_PORT, RULES_PATH};
use crate::observe::dashboards::{dashboards, DATASOURCE_UID};
use crate::observe::rules::rules;
use crate::observe::{exporter_service, Exporter};
use berth_spec::model::StoreModel;
use berth_spec::model::{OTEL_COLLECTOR, OTLP_GRPC_PORT, OTLP_HTTP_PORT};
use berth_spec::Model;
use berth_spec::StoreType;
use serde_json::{json, Map, Value};

/// The profile's compose file, beside the stores and services files.
pub const FILE: &str = "compose.observability.yaml";
/// The compose profile every service of the file is in.
pub const PROFILE: &str = "observability";
/// The directory of the mounted configuration, relative to the compose directory.
const CONFIG_DIR: &str = "observability";

/// One service of the profile: its name, image variable, default image, UI port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    pub service: &'static str,
    /// The variable that overrides the image (`${VAR:-image}`).
    pub variable: &'static str,
    pub image: &'static str,
    /// The UI (or API) port published on 127.0.0.1, when it has one.
    pub ui: Option<u16>,
    /// The variable that overrides the host port of the UI (`${VAR:-port}`).
    pub port_variable: &'static str,
}

pub const PROMETHEUS: Component = Component {
    service: "prometheus",
    variable: "BERTH_PROMETHEUS_IMAGE",
    image: "prom/prometheus:v2.53.2",
    ui: Some(9090),
    port_variable: "BERTH_PROMETHEUS_PORT",
};
pub const GRAFANA: Component = Component {
    service: "grafana",
    variable: "BERTH_GRAFANA_IMAGE",
    image: "grafana/grafana:11.2.0",
    ui: Some(3000),
    port_variable: "BERTH_GRAFANA_PORT",
};
pub const COLLECTOR: Component = Component {
    service: OTEL_COLLECTOR,
    variable: "BERTH_OTEL_COLLECTOR_IMAGE",
    image: "otel/opentelemetry-collector-contrib:0.111.0",
    ui: None,
    port_variable: "",
};
pub const JAEGER: Component = Component {
    service: "jaeger",
    variable: "BERTH_JAEGER_IMAGE",
    image: "jaegertracing/all-in-one:1.60",
    ui: Some(16686),
    port_variable: "BERTH_JAEGER_PORT",
};

/// The components this environment runs: Prometheus and Grafana with metrics, the collector
/// and Jaeger with traces (the collector also with logs).
pub fn components(model: &Model) -> Vec<Component> {
    let o = &model.observability;
    let mut v = Vec::new();
    if o.metrics {
        v.extend([PROMETHEUS, GRAFANA]);
    }
    if o.traces || o.logs {
        v.push(COLLECTOR);
    }
    if o.traces {
        v.push(JAEGER);
    }
    v
}

/// The files of the profile (path relative to the compose directory → text); none when the
/// environment observes nothing.
pub fn files(model: &Model) -> Vec<(String, String)> {
    let parts = components(model);
    if parts.is_empty() {
        return Vec::new();
    }
    let yaml = crate::yaml::to_yaml::<Value>;
    let mut out = vec![(FILE.to_string(), yaml(&document(model, &parts)))];
    let has = |c: Component| parts.contains(&c);
    if has(PROMETHEUS) {
        out.push((
            format!("{CONFIG_DIR}/prometheus.yml"),
            yaml(&config::prometheus(model)),
        ));
        let rules = serde_json::to_value(rules(model)).unwrap_or_default();
        out.push((format!("{CONFIG_DIR}/rules.yml"), yaml(&rules)));
    }
    if has(GRAFANA) {
        out.push((
            format!("{CONFIG_DIR}/grafana/datasources.yaml"),
            yaml(&datasources(model)),
        ));
        let provider = json!({ "apiVersion": 1, "providers": [{
            "name": model.stack, "type": "file", "disableDeletion": true,
            "options": { "path": "/var/lib/grafana/dashboards" },
        }] });
        out.push((
            format!("{CONFIG_DIR}/grafana/dashboards.yaml"),
            yaml(&provider),
        ));
        for (stem, d) in dashboards(model) {
            let text = serde_json::to_string_pretty(&d).unwrap_or_default() + "\n";
            out.push((format!("{CONFIG_DIR}/grafana/dashboards/{stem}.json"), text));
        }
    }
    if has(COLLECTOR) {
        let loki = "http://loki:3100";
        let sinks = Sinks::Local {
            jaeger: JAEGER.service,
            loki,
        };
        let cfg = config::otel_collector(model, sinks);
        out.push((format!("{CONFIG_DIR}/otel-collector.yaml"), yaml(&cfg)));
    }
    out
}

/// The stores compose runs whose metrics come from an exporter (metrics on).
pub fn exporters(model: &Model) -> Vec<(&StoreModel, &'static Exporter)> {
    let targets = crate::observe::targets(model);
    model
        .stores
        .iter()
        .filter(|s| targets.iter().any(|t| t.job == s.name))
        .filter_map(|s| crate::observe::exporter(s.kind).map(|e| (s, e)))
        .collect()
}

/// A store's exporter: the store's env file carries its password, the image's shell hands it
/// to the exporter under the name the exporter reads (redis_exporter reads `REDIS_PASSWORD`).
fn exporter(model: &Model, store: &StoreModel, e: &Exporter) -> Value {
    let host = format!("{}:{}", store.name, store.port);
    let (environment, pass) = match store.kind {
        StoreType::Redis => (json!({ "REDIS_ADDR": format!("redis://{host}") }), None),
        StoreType::Postgres => {
            let db = store.database.as_deref().unwrap_or("postgres");
            (
                json!({ "DATA_SOURCE_URI": format!("{host}/{db}?sslmode=disable"), "DATA_SOURCE_USER": store.user }),
                Some((
                    "DATA_SOURCE_PASS",
                    "POSTGRES_PASSWORD",
                    "/bin/postgres_exporter",
                )),
            )
        }
        _ => (
            json!({ "MONGODB_URI": format!("mongodb://{host}/?directConnection=true"), "MONGODB_USER": store.user }),
            Some((
                "MONGODB_PASSWORD",
                "MONGO_INITDB_ROOT_PASSWORD",
                "/mongodb_exporter",
            )),
        ),
    };
    let mut s = Map::new();
    s.insert(
        "image".into(),
        json!(format!("${{{}:-{}}}", e.variable, e.image)),
    );
    s.insert("profiles".into(), json!([PROFILE]));
    if let Some((to, from, bin)) = pass {
        s.insert(
            "entrypoint".into(),
            json!(["/bin/sh", "-c", format!("{to}=\"$${from}\" exec {bin}")]),
        );
    }
    s.insert("environment".into(), environment);
    s.insert("env_file".into(), env_file_entry(&store.name));
    s.insert("networks".into(), json!([network(model)]));
    s.insert("expose".into(), json!([e.port.to_string()]));
    s.insert("read_only".into(), json!(true));
    s.insert("cap_drop".into(), json!(["ALL"]));
    s.insert("security_opt".into(), json!(["no-new-privileges:true"]));
    s.insert("restart".into(), json!("unless-stopped"));
    Value::Object(s)
}

fn datasources(model: &Model) -> Value {
    let mut list = vec![json!({
        "name": "Prometheus", "uid": DATASOURCE_UID, "type": "prometheus",
        "access": "proxy", "url": "http://prometheus:9090", "isDefault": true,
    })];
    if model.observability.traces {
        list.push(json!({ "name": "Jaeger", "uid": "jaeger", "type": "jaeger", "access": "proxy", "url": "http://jaeger:16686" }));
    }
    json!({ "apiVersion": 1, "datasources": list })
}

fn document(model: &Model, parts: &[Component]) -> Value {
    let mut services = Map::new();
    for c in parts {
        services.insert(c.service.to_string(), service(model, *c));
    }
    for (store, e) in exporters(model) {
        services.insert(exporter_service(&store.name), exporter(model, store, e));
    }
    json!({
        "name": model.stack,
        "services": services,
        "networks": networks_section(model),
    })
}

/// A profile service: image, network, published UI, read-only configuration, health check.
fn service(model: &Model, c: Component) -> Value {
    let mount = |file: &str, target: &str| format!("./{CONFIG_DIR}/{file}:{target}:ro");
    let (command, volumes, health): (Vec<String>, Vec<String>, &str) = match c.service {
        "prometheus" => (
            vec![
                "--config.file=/etc/prometheus/prometheus.yml".into(),
                "--storage.tsdb.path=/prometheus".into(),
                format!(
                    "--storage.tsdb.retention.time={}d",
                    model.observability.retention_days()
                ),
                "--web.enable-lifecycle".into(),
            ],
            vec![
                mount("prometheus.yml", "/etc/prometheus/prometheus.yml"),
                mount("rules.yml", RULES_PATH),
            ],
            "http://127.0.0.1:9090/-/ready",
        ),
        "grafana" => (
            Vec::new(),
            vec![
                mount(
                    "grafana/datasources.yaml",
                    "/etc/grafana/provisioning/datasources/berth.yaml",
                ),
                mount(
                    "grafana/dashboards.yaml",
                    "/etc/grafana/provisioning/dashboards/berth.yaml",
                ),
                mount("grafana/dashboards", "/var/lib/grafana/dashboards"),
            ],
            "http://127.0.0.1:3000/api/health",
        ),
        "jaeger" => (Vec::new(), Vec::new(), "http://127.0.0.1:14269/"),
        _ => (
            vec!["--config=/etc/otelcol/config.yaml".into()],
            vec![mount("otel-collector.yaml", "/etc/otelcol/config.yaml")],
            "",
        ),
    };
    let mut s = Map::new();
    s.insert(
        "image".into(),
        json!(format!("${{{}:-{}}}", c.variable, c.image)),
    );
    s.insert("profiles".into(), json!([PROFILE]));
    if !command.is_empty() {
        s.insert("command".into(), json!(command));
    }
    if !volumes.is_empty() {
        s.insert("volumes".into(), json!(volumes));
    }
    s.insert("networks".into(), json!([network(model)]));
    if let Some(port) = c.ui {
        let host = format!("${{{}:-{port}}}", c.port_variable);
        s.insert("ports".into(), json!([format!("127.0.0.1:{host}:{port}")]));
    }
    if c.service == OTEL_COLLECTOR {
        s.insert(
            "expose".into(),
            json!([
                OTLP_GRPC_PORT.to_string(),
                OTLP_HTTP_PORT.to_string(),
                HEALTH_PORT.to_string()
            ]),
        );
    }
    if !health.is_empty() {
        // wget in the upstream images (busybox), curl in the local ones.
        let probe = format!("wget -qO- {health} >/dev/null 2>&1 || curl -fsS {health} >/dev/null");
        s.insert(
            "healthcheck".into(),
            json!({
                "test": ["CMD-SHELL", probe], "interval": "5s", "timeout": "3s", "retries": 30,
            }),
        );
    }
    s.insert("security_opt".into(), json!(["no-new-privileges:true"]));
    s.insert("restart".into(), json!("unless-stopped"));
    Value::Object(s)
}
