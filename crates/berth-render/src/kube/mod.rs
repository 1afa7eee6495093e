//! Kubernetes artifacts: a Kustomize base shared by every Kubernetes environment,
//! one overlay per environment, and the same environment fully hydrated.
//!
//! Layout, under `<out>/k8s/`:
//! - `rendered/<env>.yaml`: every object of the environment, in apply order (what
//!   `kubectl apply --server-side -f` takes, what checkov and kubernetes-validate read). Secret
//!   *values* are never in it: the one Secret of local values (`<stack>-secrets`) is created
//!   by the driver (`berth up`), and cloud secrets come from AWS through External Secrets.
//! - `base/<owner>/<kind>.yaml`: one file per resource kind per workload or store (`<stack>/`
//!   for stack-wide objects), holding the objects *every* Kubernetes environment has, without a
//!   namespace. Each field holds the value most environments share (ties: spec order).
//! - `overlays/<env>/`: `kustomization.yaml` (namespace, `images:` for tags, JSON patches for
//!   every other difference; its comment names the keys of the Secret of local values),
//!   `resources/` (objects only some environments have, and the Namespace) and
//!   `patches/<kind>-<name>.yaml` (RFC 6902). It builds with plain `kubectl kustomize` from a
//!   clean checkout: no git-ignored file is needed.
//!
//! Decisions (docs/render.md has the long form):
//! - Overlays are computed, not hand-picked: the hydrated objects of each environment are the
//!   truth, the base is their per-field majority, and an overlay is exactly the difference.
//!   The tests build every overlay with `kubectl kustomize` and compare it with the hydrated
//!   file as sets of objects.
//! - Jobs before dependents: a Job is an ArgoCD `Sync` hook in an earlier sync wave than the
//!   workloads that wait for it, and those workloads also get an init container that polls the
//!   Job (with a token mounted only into that init container and a Role that can only `get`
//!   those Jobs), so a plain `kubectl apply` of the hydrated file is just as safe.
//! - Namespaces: the overlay sets them (`namespace:`); when the environment has a cluster-scoped
//!   object (the ClusterSecretStore), a `replacements` rule sets the namespace of every other
//!   object instead, because kustomize would stamp one on the cluster-scoped object too.
//!
//! This module runs the render; its submodules build the objects (`object`: the typed object;
//! `parts`: shared pieces; `secrets`, `stores`, `workloads` with `pods`, `netpol`: the objects
//! of each concern; `units`: an environment's objects by owner) and lay them out (`layout`:
//! one owner's base objects, documents and patches, with `merge` for the majority and the
//! diff and `images` for kustomize's `images:`; `kustomize`: the files assembled from them).

pub mod backups;
pub mod files;
mod images;
mod kustomize;
mod layout;
mod merge;
mod mounts;
mod netpol;
mod object;
mod observe;
mod parts;
pub mod plan;
mod pods;
pub mod rollouts;
mod secrets;
mod stores;
mod units;
mod workloads;

pub use object::{Kind, Meta, Obj};
pub use observe::STORE_METRICS_PORT_NAME;
pub use parts::HEADER;
pub use secrets::{
    generated_secret_name, local_secret_keys, secret_object, secret_ref, MissingSecret,
};
pub use stores::port_name as store_port_name;

use crate::artifact::ArtifactSet;
use crate::yaml::append;
use berth_spec::{Model, Platform, Spec};
use rayon::prelude::*;
use std::collections::HashSet;
use units::EnvUnits;

/// Oldest and newest Kubernetes minor versions the manifests are validated against.
pub const SUPPORTED_VERSIONS: (&str, &str) = ("1.26", "1.37");

/// The Kubernetes artifacts of the `selected` environments: each one's hydrated
/// `k8s/rendered/ENV.yaml` and overlay, and the shared base. `all` is every Kubernetes
/// environment of the spec (the selected ones among them, see [`all_kubernetes`]): the base
/// depends on all of them, so rendering one environment never changes it.
///
/// Owner by owner (in parallel), each owner's objects are built in every environment, merged
/// and written as pieces of text, and dropped; the files are then assembled from the pieces.
/// So a render holds the text it produces, never every environment's objects at once.
pub fn render(all: &[&Model], selected: &[&Model]) -> ArtifactSet {
    let envs: Vec<EnvUnits> = all.iter().map(|m| EnvUnits::new(m)).collect();
    let rendered: Vec<bool> = all
        .iter()
        .map(|m| selected.iter().any(|s| s.environment == m.environment))
        .collect();
    let mut seen = HashSet::new();
    let owners: Vec<_> = envs
        .iter()
        .flat_map(|e| e.units().iter().map(|u| u.key()))
        .filter(|k| seen.insert(*k))
        .collect();
    let mut pieces: Vec<layout::UnitText> = owners
        .par_iter()
        .map(|k| layout::unit(&envs, &rendered, *k))
        .collect();
    let mut set = kustomize::base(&mut pieces);
    for (i, m) in all.iter().enumerate().filter(|(i, _)| rendered[*i]) {
        let env = kustomize::EnvPieces::gather(&mut pieces, i);
        set.extend(kustomize::environment(m, env));
    }
    set
}

/// The objects of the environment in apply order, as the Kustomize base sees them: without
/// the Namespace object and without namespaces (the overlay sets them, and the hydrated file
/// writes them as it serializes).
pub fn objects(model: &Model) -> Vec<Obj<'_>> {
    EnvUnits::new(model).all()
}

/// The hydrated manifest of one environment as YAML (what `k8s/rendered/ENV.yaml` holds).
pub fn hydrated(model: &Model) -> String {
    let docs: Vec<String> = objects(model)
        .iter()
        .map(|o| {
            let mut doc = String::new();
            let ns = (!o.kind().cluster_scoped()).then_some(model.namespace.as_str());
            append(&mut doc, o.tree(), ns);
            doc
        })
        .collect();
    kustomize::hydrated(model, docs.iter().map(String::as_str))
}

/// Every Kubernetes environment of the spec in spec order: the given models where present,
/// the others resolved (appended to `resolved`, which the result borrows from).
pub fn all_kubernetes<'a>(
    spec: &Spec,
    models: &[&'a Model],
    resolved: &'a mut Vec<Model>,
) -> Vec<&'a Model> {
    for key in spec.environments.keys() {
        if models.iter().any(|m| m.environment == key.value) {
            continue;
        }
        if let Ok(m) = berth_spec::resolve(spec, &key.value) {
            if m.platform == Platform::Kubernetes {
                resolved.push(m);
            }
        }
    }
    let resolved: &'a [Model] = resolved;
    spec.environments
        .keys()
        .filter_map(|key| {
            models
                .iter()
                .copied()
                .chain(resolved.iter())
                .find(|m| m.environment == key.value)
        })
        .collect()
}
