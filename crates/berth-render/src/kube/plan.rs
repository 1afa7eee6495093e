//! The Kubernetes plan: what the driver applies for one environment, in which phases, and what
//! it waits for after each, computed from the model beside the files (the driver never reads its
//! own YAML back). Pure and serializable, so `berth up ENV --dry-run -o json` prints it as is.
//!
//! Phases, in order (empty ones are left out): `namespace` (the Namespace, RBAC and
//! NetworkPolicies), `config` (ConfigMaps, ExternalSecrets; the driver creates the Secret of
//! local values just before it), `stores` (wait: rollout, and the stores' Jobs complete),
//! `jobs` (wait: complete), `services` (wait: rollout), `late-jobs` (jobs that use a service:
//! after the services), `ingress`. Each phase's objects are one file under `kube/<env>/`; the
//! whole environment (`all.yaml`, the hydrated file) is what pruning compares against.

use super::object::{Kind, Obj};
use super::parts::namespace;
use super::{hydrated, objects, secrets};
use crate::artifact::ArtifactSet;
use crate::compose::plan::SecretNeed;
use crate::yaml::append;
use berth_spec::model::{DepKind, SecretSource};
use berth_spec::Model;
use serde::Serialize;

/// One apply phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseName {
    Namespace,
    Config,
    Stores,
    Jobs,
    Services,
    LateJobs,
    Ingress,
}

impl PhaseName {
    pub const ALL: [PhaseName; 7] = [
        PhaseName::Namespace,
        PhaseName::Config,
        PhaseName::Stores,
        PhaseName::Jobs,
        PhaseName::Services,
        PhaseName::LateJobs,
        PhaseName::Ingress,
    ];

    pub fn word(self) -> &'static str {
        match self {
            PhaseName::Namespace => "namespace",
            PhaseName::Config => "config",
            PhaseName::Stores => "stores",
            PhaseName::Jobs => "jobs",
            PhaseName::Services => "services",
            PhaseName::LateJobs => "late-jobs",
            PhaseName::Ingress => "ingress",
        }
    }
}

/// An object an apply carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    pub name: String,
}

/// How the driver waits for a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WaitFor {
    /// `kubectl rollout status` (Deployment, StatefulSet); an Argo Rollout's `Available`
    /// condition.
    Rollout,
    /// The Job's `Complete` condition (failing at its `Failed` one).
    Complete,
}

/// What a phase waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitTarget {
    pub kind: String,
    pub name: String,
    pub until: WaitFor,
    /// The store or workload it belongs to.
    pub owner: String,
}

impl WaitTarget {
    /// `deployment/api`: how kubectl names it.
    pub fn resource(&self) -> String {
        format!("{}/{}", self.kind.to_lowercase(), self.name)
    }
}

/// One phase: its file, the objects it applies, what it waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhasePlan {
    pub phase: PhaseName,
    /// Relative to the output directory (`kube/<env>/NN-<phase>.yaml`).
    pub file: String,
    pub apply: Vec<ObjectRef>,
    pub wait: Vec<WaitTarget>,
}

/// A service image Berth builds; the driver tags it (`tag` here is the model's, which the
/// driver replaces by the commit-based one before planning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageBuild {
    pub service: String,
    pub image: String,
    /// Build context relative to berth.yaml.
    pub context: String,
    pub dockerfile: Option<String>,
    pub target: Option<String>,
    pub args: Vec<(String, String)>,
}

/// The Secret of local values the driver creates (names only, never a value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalSecret {
    pub name: String,
    pub keys: Vec<String>,
    /// Where the values come from.
    pub sources: Vec<SecretNeed>,
}

/// What the Kubernetes driver executes for one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubePlan {
    pub stack: String,
    pub environment: String,
    pub namespace: String,
    /// `minikube`, `kind`, `k3d`, `eks` (None: not set in the spec).
    pub cluster: Option<String>,
    pub registry: Option<String>,
    /// Where the files are, relative to the output directory (`kube/<env>`).
    pub dir: String,
    /// Every object of the environment (the hydrated file), relative to the output directory.
    pub manifest: String,
    pub images: Vec<ImageBuild>,
    pub secret: Option<LocalSecret>,
    pub phases: Vec<PhasePlan>,
}

impl KubePlan {
    /// Every wait target of every phase, in order.
    pub fn targets(&self) -> impl Iterator<Item = &WaitTarget> {
        self.phases.iter().flat_map(|p| p.wait.iter())
    }
}

/// The plan and its files (`kube/<env>/all.yaml` and one file per phase).
pub fn plan(model: &Model) -> (KubePlan, ArtifactSet) {
    let dir = format!("kube/{}", model.environment);
    let mut files = ArtifactSet::default();
    let manifest = format!("{dir}/all.yaml");
    files.insert(manifest.clone(), hydrated(model));
    let mut objs = objects(model);
    objs.insert(0, namespace(model));
    let mut phases = Vec::new();
    for (i, phase) in PhaseName::ALL.into_iter().enumerate() {
        let mine: Vec<&Obj> = objs
            .iter()
            .filter(|o| phase_of(model, o) == phase)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let file = format!("{dir}/{:02}-{}.yaml", i + 1, phase.word());
        files.insert(file.clone(), phase_file(model, &mine));
        phases.push(PhasePlan {
            phase,
            file,
            apply: mine.iter().map(|o| object_ref(o)).collect(),
            wait: waits(&mine),
        });
    }
    let plan = KubePlan {
        stack: model.stack.clone(),
        environment: model.environment.clone(),
        namespace: model.namespace.clone(),
        cluster: model.cluster.map(|c| c.as_str().to_string()),
        registry: model.registry.clone(),
        dir,
        manifest,
        images: images(model),
        secret: local_secret(model),
        phases,
    };
    (plan, files)
}

fn object_ref(o: &Obj) -> ObjectRef {
    ObjectRef {
        kind: o.kind().name().to_string(),
        name: o.name().to_string(),
    }
}

/// The phase an object is applied in.
fn phase_of(model: &Model, o: &Obj) -> PhaseName {
    match o.kind() {
        Kind::Namespace
        | Kind::ClusterSecretStore
        | Kind::ServiceAccount
        | Kind::Role
        | Kind::RoleBinding
        | Kind::NetworkPolicy => return PhaseName::Namespace,
        Kind::ConfigMap | Kind::ExternalSecret | Kind::ServiceMonitor | Kind::PrometheusRule => {
            return PhaseName::Config
        }
        Kind::Ingress => return PhaseName::Ingress,
        _ => {}
    }
    let owner: &str = &o.owner;
    if model.stores.iter().any(|s| s.name == owner) {
        return PhaseName::Stores;
    }
    match model.workload(owner) {
        Some(w) if w.is_job() && w.uses.iter().any(|d| d.kind == DepKind::Service) => {
            PhaseName::LateJobs
        }
        Some(w) if w.is_job() => PhaseName::Jobs,
        Some(_) => PhaseName::Services,
        None if owner == super::observe::OWNER => PhaseName::Services,
        None => PhaseName::Config,
    }
}

/// Rollouts first, then Jobs (a store's init Job needs its StatefulSet).
fn waits(objs: &[&Obj]) -> Vec<WaitTarget> {
    let target = |o: &&&Obj, until| WaitTarget {
        kind: o.kind().name().to_string(),
        name: o.name().to_string(),
        until,
        owner: o.owner.to_string(),
    };
    let rollouts = objs
        .iter()
        .filter(|o| {
            matches!(
                o.kind(),
                Kind::StatefulSet | Kind::Deployment | Kind::Rollout
            )
        })
        .map(|o| target(&o, WaitFor::Rollout));
    let jobs = objs
        .iter()
        .filter(|o| o.kind() == Kind::Job)
        .map(|o| target(&o, WaitFor::Complete));
    rollouts.chain(jobs).collect()
}

fn phase_file(model: &Model, objs: &[&Obj]) -> String {
    let mut out = String::new();
    for (i, o) in objs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let ns = (!o.kind().cluster_scoped()).then_some(model.namespace.as_str());
        append(&mut out, o.tree(), ns);
    }
    out
}

fn images(model: &Model) -> Vec<ImageBuild> {
    model
        .workloads
        .iter()
        .filter_map(|w| {
            let b = w.build.as_ref()?;
            Some(ImageBuild {
                service: w.name.clone(),
                image: w.image.to_string(),
                context: b.context.clone(),
                dockerfile: b.dockerfile.clone(),
                target: b.target.clone(),
                args: b.args.clone(),
            })
        })
        .collect()
}

fn local_secret(model: &Model) -> Option<LocalSecret> {
    let keys = secrets::local_secret_keys(model);
    if keys.is_empty() {
        return None;
    }
    let mut sources: Vec<SecretNeed> = Vec::new();
    for (_, secret, k) in &keys {
        let Some(sm) = model.secret(secret) else {
            continue;
        };
        if matches!(sm.source, SecretSource::Aws { .. }) {
            continue;
        }
        match sources.iter_mut().find(|s| &s.name == secret) {
            Some(s) if !s.keys.contains(k) => s.keys.push(k.clone()),
            Some(_) => {}
            None => sources.push(SecretNeed {
                name: secret.clone(),
                keys: vec![k.clone()],
                source: sm.source.clone(),
                needed_by: Vec::new(),
            }),
        }
    }
    Some(LocalSecret {
        name: secrets::generated_secret_name(model),
        keys: keys.into_iter().map(|(key, _, _)| key).collect(),
        sources,
    })
}
