//! Progressive delivery: a service with `strategy: canary` or `blue-green` runs as an Argo
//! Rollouts `Rollout` (in place of its Deployment, same pod template), with a second Service
//! for the new version (`<name>-canary` / `<name>-preview`; the main Service is the stable /
//! active one) and an `AnalysisTemplate` that measures the error ratio while it goes.
//!
//! Canary: `setWeight` and `pause` per step, a background analysis from the first step on;
//! without a traffic router the weight is the share of pods. Blue-green: the preview runs the
//! new version, analysed before promotion, promoted after the pause.
//!
//! The analysis asks Prometheus (at [`PROMETHEUS`], where the observability stack serves it)
//! for the share of 5xx answers of the new version's Service over two minutes, from the
//! conventional `http_requests_total{service, status}` counter; no traffic (no data) passes.

use super::object::{Kind, Meta, Obj};
use super::parts::match_labels;
use crate::tree::{node, Node};
use berth_spec::model::{StrategyModel, Workload};
use berth_spec::Model;

/// The Prometheus the analysis queries.
pub const PROMETHEUS: &str = "http://prometheus-operated.monitoring.svc:9090";

/// Measurements of one analysis run, one a minute.
const MEASUREMENTS: u32 = 3;

/// The Service that reaches the new version, when the workload has a progressive strategy.
pub fn second_service(w: &Workload) -> Option<String> {
    match w.strategy {
        StrategyModel::Rolling => None,
        StrategyModel::Canary { .. } => Some(format!("{}-canary", w.name)),
        StrategyModel::BlueGreen { .. } => Some(format!("{}-preview", w.name)),
    }
}

/// The name of the workload's AnalysisTemplate.
pub fn analysis_name(w: &Workload) -> String {
    format!("{}-error-ratio", w.name)
}

/// The Rollout of `w` (its spec is the Deployment's with a strategy).
pub fn rollout<'a>(model: &'a Model, w: &'a Workload, pod: Node<'a>, meta: Meta<'a>) -> Obj<'a> {
    let mut spec = Node::map();
    spec.reserve(5);
    if w.autoscale.is_none() {
        spec.insert("replicas", w.replicas);
    }
    spec.insert("revisionHistoryLimit", 5);
    spec.insert("selector", match_labels(model, w.name.as_str()));
    spec.insert("template", pod);
    spec.insert("strategy", strategy(w));
    Obj::new(w.name.as_str(), Kind::Rollout, meta, [("spec", spec)])
}

fn analysis(w: &Workload, service: String) -> Node<'static> {
    node!({
        "templates": [{ "templateName": analysis_name(w) }],
        "args": [{ "name": "service", "value": service }],
    })
}

fn strategy(w: &Workload) -> Node<'static> {
    let second = second_service(w).unwrap_or_default();
    match &w.strategy {
        StrategyModel::Canary { steps, pause_s, .. } => {
            let mut list: Vec<Node> = Vec::new();
            for weight in steps {
                list.push(node!({ "setWeight": *weight }));
                list.push(node!({ "pause": { "duration": format!("{pause_s}s") } }));
            }
            let mut bg = analysis(w, second.clone());
            bg.insert("startingStep", 1);
            node!({ "canary": {
                "canaryService": second,
                "stableService": w.name.clone(),
                "analysis": bg,
                "steps": list,
            } })
        }
        StrategyModel::BlueGreen { pause_s, .. } => node!({ "blueGreen": {
            "activeService": w.name.clone(),
            "previewService": second.clone(),
            "prePromotionAnalysis": analysis(w, second),
            "autoPromotionEnabled": true,
            "autoPromotionSeconds": *pause_s,
            "scaleDownDelaySeconds": 30,
        } }),
        StrategyModel::Rolling => Node::map(),
    }
}

/// The AnalysisTemplate: the new version's 5xx ratio stays under the limit.
pub fn analysis_template<'a>(model: &'a Model, w: &'a Workload, lab: Node<'a>) -> Obj<'a> {
    let max = match &w.strategy {
        StrategyModel::Canary {
            max_error_percent, ..
        }
        | StrategyModel::BlueGreen {
            max_error_percent, ..
        } => *max_error_percent,
        StrategyModel::Rolling => 100,
    };
    let ns = &model.namespace;
    let sel = format!("namespace=\"{ns}\",service=\"{{{{args.service}}}}\"");
    let query = format!(
        "sum(rate(http_requests_total{{{sel},status=~\"5..\"}}[2m])) / sum(rate(http_requests_total{{{sel}}}[2m]))"
    );
    let ratio = f64::from(max) / 100.0;
    let metric = node!({
        "name": "error-ratio",
        "interval": "1m",
        "count": MEASUREMENTS,
        "failureLimit": 1,
        "successCondition": format!("len(result) == 0 || isNaN(result[0]) || result[0] <= {ratio}"),
        "provider": { "prometheus": { "address": PROMETHEUS, "query": query } },
    });
    let spec = node!({
        "args": [{ "name": "service" }],
        "metrics": [metric],
    });
    Obj::new(
        w.name.as_str(),
        Kind::AnalysisTemplate,
        Meta::new(analysis_name(w), lab),
        [("spec", spec)],
    )
}
