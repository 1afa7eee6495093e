//! Grafana dashboards of a stack: an overview and one per service (RED metrics when it declares
//! them, restarts, resources), as JSON Grafana provisions (compose) or its sidecar loads from
//! ConfigMaps (Kubernetes). Every query reads what a scrape target of the stack exposes.

use super::{red, targets, Signals};
use berth_spec::Model;
use serde_json::{json, Value};

/// The datasource every panel queries (provisioned under this uid).
pub const DATASOURCE_UID: &str = "prometheus";

/// (file stem, dashboard) pairs: `overview` and one per service; none when metrics are off.
pub fn dashboards(model: &Model) -> Vec<(String, Value)> {
    if !model.observability.metrics {
        return Vec::new();
    }
    let mut out = vec![("overview".to_string(), overview(model))];
    let signals = Signals::new(model);
    for w in model.workloads.iter().filter(|w| !w.is_job()) {
        let n = w.name.as_str();
        let has = w.metrics.is_some();
        let mut panels: Vec<(String, String)> = Vec::new();
        if has {
            let [rate, errors, p95] = red(n);
            panels.push(("Requests per second".into(), rate));
            panels.push(("Error ratio".into(), errors));
            panels.push(("Latency p95 (s)".into(), p95));
        }
        if let Some(e) = signals.restarts(n, has, "1h") {
            panels.push(("Restarts (1h)".into(), e));
        }
        if let Some((cpu, mem)) = signals.resources(n, has) {
            panels.push(("CPU (cores)".into(), cpu));
            panels.push(("Memory (bytes)".into(), mem));
        }
        if !panels.is_empty() {
            let title = format!("{} / {n}", model.stack);
            out.push((n.to_string(), dashboard(model, n, &title, panels)));
        }
    }
    out
}

fn overview(model: &Model) -> Value {
    let mut panels: Vec<(String, String)> = targets(model)
        .iter()
        .map(|t| (format!("{} up", t.job), format!("up{{job=\"{}\"}}", t.job)))
        .collect();
    for w in model.workloads.iter().filter(|w| w.metrics.is_some()) {
        let [rate, ..] = red(&w.name);
        panels.push((format!("{} requests per second", w.name), rate));
    }
    let title = format!("{} / overview", model.stack);
    dashboard(model, "overview", &title, panels)
}

/// A dashboard of time series panels, two per row.
fn dashboard(model: &Model, stem: &str, title: &str, panels: Vec<(String, String)>) -> Value {
    let panels: Vec<Value> = panels
        .into_iter()
        .enumerate()
        .map(|(i, (title, expr))| {
            json!({
                "id": i + 1,
                "type": "timeseries",
                "title": title,
                "datasource": { "type": "prometheus", "uid": DATASOURCE_UID },
                "gridPos": { "h": 8, "w": 12, "x": (i % 2) * 12, "y": (i / 2) * 8 },
                "targets": [{ "refId": "A", "expr": expr }],
            })
        })
        .collect();
    json!({
        "uid": uid(&model.stack, stem),
        "title": title,
        "tags": ["berth", model.stack],
        "schemaVersion": 39,
        "editable": false,
        "time": { "from": "now-6h", "to": "now" },
        "refresh": "30s",
        "panels": panels,
    })
}

/// A dashboard uid: `<stack>-<stem>`, at most 40 characters (Grafana's limit).
fn uid(stack: &str, stem: &str) -> String {
    let full = format!("{stack}-{stem}");
    if full.len() <= 40 {
        return full;
    }
    let hash = full.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}-{hash:016x}", &full[..23])
}
