//! Workloads: Deployment (services) or Job (jobs) with their ServiceAccount, ConfigMap, Service,
//! volume claims, HPA, PDB, Ingress, the RBAC that lets their init containers wait for Jobs,
//! and the ArgoCD sync wave that orders them after those Jobs. The pod template is pods.rs's.

use super::mounts;
use super::object::{Kind, Meta, Obj};
use super::parts::{
    ingress_controller, labels, match_labels, pdb, pod_skips, replicated, selector,
    service_account, skips, waits, JOB_TTL_SECONDS,
};
use super::pods::{self, config_name};
use super::rollouts;
use crate::tree::node;
use crate::tree::Node;
use berth_spec::model::{AutoscaleModel, ExposeModel, Workload};
use berth_spec::spec::Restart;
use berth_spec::Model;

/// The ClusterIssuer cert-manager signs Ingress certificates with.
pub fn cluster_issuer(model: &Model) -> &'static str {
    if model.is_local_cluster() {
        "selfsigned"
    } else {
        "letsencrypt"
    }
}

pub fn objects<'a>(model: &'a Model, w: &'a Workload) -> Vec<Obj<'a>> {
    let name = w.name.as_str();
    let component = if w.is_job() { "job" } else { "service" };
    let lab = labels(model, name, component);
    let mut objs = vec![service_account(model, name, component)];
    let env = pods::env(model, &w.env);
    if !env.config.is_empty_map() {
        objs.push(Obj::new(
            name,
            Kind::ConfigMap,
            Meta::new(config_name(w), lab.clone()),
            [("data", env.config.clone())],
        ));
    }
    objs.extend(super::files::config_map(
        name,
        &w.files,
        &w.writable,
        lab.clone(),
    ));
    let waits = waits(model, w);
    if !waits.is_empty() {
        objs.extend(wait_rbac(model, w, &waits, &lab));
    }
    if !w.is_job() && !w.ports.is_empty() {
        objs.push(service(model, w, w.name.clone(), lab.clone()));
        if let Some(second) = rollouts::second_service(w) {
            objs.push(service(model, w, second, lab.clone()));
        }
    }
    for v in w.volumes.iter().filter(|v| mounts::owns_claim(model, w, v)) {
        let claim = node!({
            "accessModes": ["ReadWriteOnce"],
            "resources": { "requests": { "storage": v.size.as_str() } },
        });
        let meta = Meta::new(mounts::claim_name(w, v), lab.clone());
        objs.push(Obj::new(
            name,
            Kind::PersistentVolumeClaim,
            meta,
            [("spec", claim)],
        ));
    }
    let pod = pods::template(model, w, env, &waits, lab.clone());
    if w.is_job() {
        objs.push(job(model, w, pod, lab));
        return objs;
    }
    if w.strategy.is_rolling() {
        objs.push(deployment(model, w, pod, lab.clone()));
    } else {
        objs.push(rollouts::analysis_template(model, w, lab.clone()));
        let meta = pod_owner_meta(model, w, lab.clone());
        objs.push(rollouts::rollout(model, w, pod, meta));
    }
    if let Some(a) = &w.autoscale {
        objs.push(hpa(w, a, lab.clone()));
    }
    if replicated(w) {
        objs.push(pdb(model, name, component));
    }
    if let Some(e) = &w.expose {
        objs.push(ingress(model, w, e, lab));
    }
    objs
}

fn service<'a>(model: &'a Model, w: &'a Workload, name: String, lab: Node<'a>) -> Obj<'a> {
    let ports: Node = w
        .ports
        .iter()
        .map(|p| node!({ "name": &p.name, "port": p.port, "targetPort": &p.name, "protocol": p.protocol.kube() }))
        .collect();
    let spec = node!({
        "type": "ClusterIP",
        "selector": selector(model, w.name.as_str()),
        "ports": ports,
    });
    Obj::new(
        w.name.as_str(),
        Kind::Service,
        Meta::new(name, lab),
        [("spec", spec)],
    )
}

fn hpa<'a>(w: &'a Workload, a: &AutoscaleModel, lab: Node<'a>) -> Obj<'a> {
    let metrics: Node = [("cpu", a.cpu), ("memory", a.memory)]
        .into_iter()
        .filter_map(|(name, target)| {
            let t = target?;
            Some(node!({
                "type": "Resource",
                "resource": { "name": name, "target": { "type": "Utilization", "averageUtilization": t } },
            }))
        })
        .collect();
    let spec = node!({
        "scaleTargetRef": scale_target(w),
        "minReplicas": a.min,
        "maxReplicas": a.max,
        "metrics": metrics,
    });
    let meta = Meta::new(w.name.as_str(), lab);
    Obj::new(
        w.name.as_str(),
        Kind::HorizontalPodAutoscaler,
        meta,
        [("spec", spec)],
    )
}

/// What an HPA scales: the Deployment, or the Rollout that replaces it.
fn scale_target(w: &Workload) -> Node<'_> {
    let kind = if w.strategy.is_rolling() {
        Kind::Deployment
    } else {
        Kind::Rollout
    };
    node!({ "apiVersion": kind.api_version(), "kind": kind.name(), "name": &w.name })
}

/// ArgoCD sync wave: stores 0, a Job one after what it waits for, a workload that waits one
/// after its Jobs.
pub fn wave(model: &Model, w: &Workload) -> u32 {
    fn go(model: &Model, w: &Workload, depth: u32) -> u32 {
        let waited = waits(model, w)
            .iter()
            .map(|j| match model.workload(j) {
                Some(job) if depth < 64 => go(model, job, depth + 1),
                _ => 1,
            })
            .max();
        match (waited, w.is_job()) {
            (Some(m), _) => m + 1,
            (None, true) => 1,
            (None, false) => 0,
        }
    }
    go(model, w, 0)
}

/// A Role that can read only the Jobs `w` waits for, bound to `w`'s service account.
fn wait_rbac<'a>(
    model: &'a Model,
    w: &'a Workload,
    waits: &[String],
    lab: &Node<'a>,
) -> [Obj<'a>; 2] {
    let name = format!("{}-wait-jobs", w.name);
    let jobs: Node = waits.iter().cloned().collect();
    let rules = node!([{ "apiGroups": ["batch"], "resources": ["jobs"], "resourceNames": jobs, "verbs": ["get"] }]);
    let role_ref =
        node!({ "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name.clone() });
    let subjects =
        node!([{ "kind": "ServiceAccount", "name": &w.name, "namespace": &model.namespace }]);
    [
        Obj::new(
            w.name.as_str(),
            Kind::Role,
            Meta::new(name.clone(), lab.clone()),
            [("rules", rules)],
        ),
        Obj::new(
            w.name.as_str(),
            Kind::RoleBinding,
            Meta::new(name, lab.clone()),
            [("roleRef", role_ref), ("subjects", subjects)],
        ),
    ]
}

/// The metadata of a Deployment or Job: checkov skips and the sync wave.
fn pod_owner_meta<'a>(model: &Model, w: &'a Workload, lab: Node<'a>) -> Meta<'a> {
    let mut meta = Meta::new(w.name.as_str(), lab);
    skips(&mut meta, &pod_skips(model));
    let wave = wave(model, w);
    if wave > 0 {
        meta.annotate("argocd.argoproj.io/sync-wave", wave.to_string());
    }
    meta
}

fn deployment<'a>(model: &'a Model, w: &'a Workload, pod: Node<'a>, lab: Node<'a>) -> Obj<'a> {
    let mut spec = Node::map();
    spec.reserve(4);
    if w.autoscale.is_none() {
        spec.insert("replicas", w.replicas);
    }
    spec.insert("revisionHistoryLimit", 5);
    spec.insert("selector", match_labels(model, w.name.as_str()));
    spec.insert("template", pod);
    let meta = pod_owner_meta(model, w, lab);
    Obj::new(w.name.as_str(), Kind::Deployment, meta, [("spec", spec)])
}

fn job<'a>(model: &'a Model, w: &'a Workload, pod: Node<'a>, lab: Node<'a>) -> Obj<'a> {
    // Under ArgoCD the Job runs as a Sync hook in its wave (re-run on every sync, replaced
    // rather than patched: a Job's pod template is immutable); dependents are in later waves.
    let meta = pod_owner_meta(model, w, lab)
        .with("argocd.argoproj.io/hook", "Sync")
        .with(
            "argocd.argoproj.io/hook-delete-policy",
            "BeforeHookCreation",
        );
    let backoff = if w.restart == Restart::Never { 0 } else { 4 };
    let spec = node!({
        "backoffLimit": backoff,
        "ttlSecondsAfterFinished": JOB_TTL_SECONDS,
        "template": pod,
    });
    Obj::new(w.name.as_str(), Kind::Job, meta, [("spec", spec)])
}

fn ingress<'a>(model: &'a Model, w: &'a Workload, e: &'a ExposeModel, lab: Node<'a>) -> Obj<'a> {
    let (class, _, _) = ingress_controller(model);
    let mut meta = Meta::new(w.name.as_str(), lab);
    if e.tls {
        meta.annotate("cert-manager.io/cluster-issuer", cluster_issuer(model));
    }
    let mut rule = Node::map();
    if let Some(h) = &e.host {
        rule.insert("host", h);
    }
    rule.insert(
        "http",
        node!({ "paths": [{
            "path": &e.path,
            "pathType": "Prefix",
            "backend": { "service": { "name": &w.name, "port": { "name": &e.port_name } } },
        }] }),
    );
    let mut spec = node!({ "ingressClassName": class });
    if e.tls {
        let mut tls = Node::map();
        if let Some(h) = &e.host {
            tls.insert("hosts", node!([h]));
        }
        tls.insert("secretName", format!("{}-tls", w.name));
        spec.insert("tls", vec![tls]);
    }
    spec.insert("rules", vec![rule]);
    Obj::new(w.name.as_str(), Kind::Ingress, meta, [("spec", spec)])
}
