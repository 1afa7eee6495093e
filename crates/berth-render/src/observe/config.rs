//! The Prometheus configuration (compose: the stack's Prometheus scrapes its targets by name)
//! and the OpenTelemetry Collector's: OTLP in, traces to Jaeger (compose, local clusters) or
//! X-Ray (AWS), logs to Loki locally or CloudWatch Logs on AWS.

use super::targets;
use berth_spec::model::{OTLP_GRPC_PORT, OTLP_HTTP_PORT};
use berth_spec::Model;
use serde_json::{json, Value};

/// Where the rules file is mounted in the Prometheus container.
pub const RULES_PATH: &str = "/etc/prometheus/rules.yml";
/// The rules file as `prometheus.yml` names it: beside it (Prometheus resolves it from the
/// configuration file's directory, and so does `promtool check config`).
pub const RULES_FILE: &str = "rules.yml";

/// `prometheus.yml`: global intervals, the rules file and one job per target.
pub fn prometheus(model: &Model) -> Value {
    let interval = model.observability.scrape_interval.as_str();
    let jobs: Vec<Value> = targets(model)
        .iter()
        .map(|t| {
            json!({
                "job_name": t.job,
                "metrics_path": t.path,
                "static_configs": [{
                    "targets": [format!("{}:{}", t.host, t.port)],
                    "labels": { "stack": model.stack, "environment": model.environment },
                }],
            })
        })
        .collect();
    json!({
        "global": { "scrape_interval": interval, "evaluation_interval": interval },
        "rule_files": [RULES_FILE],
        "scrape_configs": jobs,
    })
}

/// Where the collector sends traces and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sinks<'a> {
    /// Jaeger (OTLP) at this host and Loki (OTLP) at this base URL.
    Local { jaeger: &'a str, loki: &'a str },
    /// AWS X-Ray and CloudWatch Logs in the region.
    Aws { region: &'a str },
}

/// The collector's configuration: OTLP over gRPC and HTTP in, batched, out to `sinks`.
pub fn otel_collector(model: &Model, sinks: Sinks) -> Value {
    let o = &model.observability;
    let (trace_exporter, log_exporter, exporters) = match sinks {
        Sinks::Local { jaeger, loki } => (
            "otlp/jaeger",
            "otlphttp/loki",
            json!({
                "otlp/jaeger": { "endpoint": format!("{jaeger}:{OTLP_GRPC_PORT}"), "tls": { "insecure": true } },
                "otlphttp/loki": { "endpoint": format!("{loki}/otlp") },
            }),
        ),
        Sinks::Aws { region } => (
            "awsxray",
            "awscloudwatchlogs",
            json!({
                "awsxray": { "region": region },
                "awscloudwatchlogs": {
                    "region": region,
                    "log_group_name": log_group(model),
                    "log_stream_name": "otel",
                    "log_retention": cloudwatch_retention(model.observability.retention_days()),
                },
            }),
        ),
    };
    let mut pipelines = serde_json::Map::new();
    if o.traces {
        pipelines.insert(
            "traces".into(),
            json!({ "receivers": ["otlp"], "processors": ["memory_limiter", "batch"], "exporters": [trace_exporter] }),
        );
    }
    if o.logs {
        pipelines.insert(
            "logs".into(),
            json!({ "receivers": ["otlp"], "processors": ["memory_limiter", "batch"], "exporters": [log_exporter] }),
        );
    }
    let used: Vec<&str> = [(o.traces, trace_exporter), (o.logs, log_exporter)]
        .into_iter()
        .filter_map(|(on, e)| on.then_some(e))
        .collect();
    let exporters: serde_json::Map<String, Value> = exporters
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| used.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    json!({
        "receivers": { "otlp": { "protocols": {
            "grpc": { "endpoint": format!("0.0.0.0:{OTLP_GRPC_PORT}") },
            "http": { "endpoint": format!("0.0.0.0:{OTLP_HTTP_PORT}") },
        } } },
        "processors": {
            "memory_limiter": { "check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20 },
            "batch": {},
        },
        "extensions": { "health_check": { "endpoint": format!("0.0.0.0:{HEALTH_PORT}") } },
        "exporters": exporters,
        "service": { "extensions": ["health_check"], "pipelines": pipelines },
    })
}

/// Retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The shortest accepted retention that keeps logs at least `days`.
pub fn cloudwatch_retention(days: u32) -> u32 {
    RETENTION_DAYS
        .iter()
        .copied()
        .find(|d| *d >= days)
        .unwrap_or(3653)
}

/// The CloudWatch log group of the environment's workloads.
pub fn log_group(model: &Model) -> String {
    format!("/berth/{}/{}", model.stack, model.environment)
}

/// The collector's health endpoint port (liveness and readiness).
pub const HEALTH_PORT: u16 = 13133;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_rounds_up_to_a_value_cloudwatch_accepts() {
        assert_eq!(cloudwatch_retention(15), 30);
        assert_eq!(cloudwatch_retention(14), 14);
        assert_eq!(cloudwatch_retention(1), 1);
        assert_eq!(cloudwatch_retention(5000), 3653);
    }
}
