//! The Prometheus alerting rules of a stack: one group, each alert following from the spec —
//! a workload not ready or crash-looping, a service's error ratio and latency (when it declares
//! metrics), a RabbitMQ queue's depth, a store down and, on Kubernetes, a volume nearly full.

use super::{red, targets, Signals};
use berth_spec::model::Realized;
use berth_spec::spec::{Platform, StoreType};
use berth_spec::Model;
use serde::Serialize;

/// A rules file: what `promtool check rules` reads, and a PrometheusRule's `spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFile {
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub alert: String,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: String,
    pub labels: Labels,
    pub annotations: Annotations,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Labels {
    pub severity: &'static str,
    pub stack: String,
    /// The workload or store the alert is about.
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotations {
    pub summary: String,
}

/// Error ratio above which a service alerts.
const MAX_ERROR_RATIO: &str = "0.05";
/// 95th percentile latency (seconds) above which a service alerts.
const MAX_P95_SECONDS: &str = "0.5";
/// Ready messages above which a RabbitMQ broker alerts.
const MAX_QUEUE_DEPTH: u32 = 1000;

/// The stack's rules in this environment (no groups when metrics are off).
pub fn rules(model: &Model) -> RuleFile {
    if !model.observability.metrics {
        return RuleFile { groups: Vec::new() };
    }
    let mut out = Vec::new();
    let rule =
        |alert: &str, subject: &str, expr: String, for_: &str, severity, summary: String| Rule {
            alert: alert.to_string(),
            expr,
            for_: for_.to_string(),
            labels: Labels {
                severity,
                stack: model.stack.clone(),
                subject: subject.to_string(),
            },
            annotations: Annotations { summary },
        };
    let signals = Signals::new(model);
    for w in model.workloads.iter().filter(|w| !w.is_job()) {
        let n = w.name.as_str();
        let has = w.metrics.is_some();
        if let Some(e) = signals.not_ready(n, has) {
            out.push(rule(
                "WorkloadNotReady",
                n,
                e,
                "10m",
                "warning",
                format!("{n} is not ready"),
            ));
        }
        if let Some(e) = signals.restarts(n, has, "15m") {
            let summary = format!("{n} restarted more than 3 times in 15 minutes");
            out.push(rule(
                "WorkloadCrashLooping",
                n,
                format!("{e} > 3"),
                "5m",
                "critical",
                summary,
            ));
        }
        if has {
            let [_, errors, p95] = red(n);
            let summary = format!("more than 5% of {n}'s requests fail");
            out.push(rule(
                "HighErrorRatio",
                n,
                format!("{errors} > {MAX_ERROR_RATIO}"),
                "10m",
                "critical",
                summary,
            ));
            let summary = format!("{n}'s 95th percentile latency is above {MAX_P95_SECONDS}s");
            out.push(rule(
                "HighLatency",
                n,
                format!("{p95} > {MAX_P95_SECONDS}"),
                "10m",
                "warning",
                summary,
            ));
        }
    }
    for t in targets(model).iter().filter(|t| t.store.is_some()) {
        let n = t.job.as_str();
        let summary = format!("store {n} does not answer");
        out.push(rule(
            "StoreDown",
            n,
            format!("up{{job=\"{n}\"}} == 0"),
            "2m",
            "critical",
            summary,
        ));
        if t.store == Some(StoreType::Rabbitmq) {
            let summary = format!("more than {MAX_QUEUE_DEPTH} messages wait in {n}'s queues");
            let e =
                format!("sum(rabbitmq_queue_messages_ready{{job=\"{n}\"}}) > {MAX_QUEUE_DEPTH}");
            out.push(rule("QueueBacklog", n, e, "10m", "warning", summary));
        }
    }
    if model.platform == Platform::Kubernetes {
        let ns = &model.namespace;
        for s in model
            .stores
            .iter()
            .filter(|s| s.realization == Realized::InCluster)
        {
            let n = s.name.as_str();
            let sel = format!("namespace=\"{ns}\",statefulset=\"{n}\"");
            let e = format!("kube_statefulset_status_replicas_ready{{{sel}}} < kube_statefulset_replicas{{{sel}}}");
            out.push(rule(
                "StoreNotReady",
                n,
                e,
                "5m",
                "critical",
                format!("store {n} is not ready"),
            ));
        }
        let sel = format!("namespace=\"{ns}\"");
        let e = format!(
            "kubelet_volume_stats_available_bytes{{{sel}}} / kubelet_volume_stats_capacity_bytes{{{sel}}} < 0.1"
        );
        let summary = "a volume of the stack has less than 10% free".to_string();
        out.push(rule(
            "VolumeNearlyFull",
            &model.stack,
            e,
            "10m",
            "warning",
            summary,
        ));
    }
    RuleFile {
        groups: vec![Group {
            name: model.stack.clone(),
            rules: out,
        }],
    }
}
