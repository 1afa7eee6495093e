//! Kubernetes artifacts: a Kustomize base shared by every Kubernetes environment,
//! one overlay per environment, and the same environment fully hydrated.
//!
//! Layout, under `<out>/k8s/`:
//! - `rendered/<env>.yaml`: every object of the environment, in apply order (what `berth deploy`
//!   applies, what checkov and kubernetes-validate read). Secret *values* are never in it: the
//!   one Secret built from local values is made by the overlay's `secretGenerator` (or by the
//!   driver) from a git-ignored file, and cloud secrets come from AWS through External Secrets.
//! - `base/<owner>/<kind>.yaml`: one file per resource kind per workload or store (`<stack>/`
//!   for stack-wide objects), holding the objects *every* Kubernetes environment has, without a
//!   namespace. Each field holds the value most environments share (ties: spec order).
//! - `overlays/<env>/`: `kustomization.yaml` (namespace, `images:` for tags, JSON patches for
//!   every other difference), `resources/` (objects only some environments have, and the
//!   Namespace), `patches/<kind>-<name>.yaml` (RFC 6902), and for local values
//!   `secrets.env.example` (names only) plus a `.gitignore` for `secrets.env`.
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
//! This module assembles an environment's objects and writes the files; its submodules build
//! the objects (`object`: the typed object; `parts`: shared pieces; `secrets`, `stores`,
//! `workloads` with `pods`, `netpol`: the objects of each concern) and lay them out
//! (`kustomize`, with `merge` for the base majority and the patch diff, `images` for
//! kustomize's `images:`).

mod images;
mod kustomize;
mod merge;
mod netpol;
mod object;
mod parts;
mod pods;
mod secrets;
mod stores;
mod workloads;

pub use object::{Kind, Meta, Obj};
pub use parts::HEADER;
pub use secrets::{secret_env_file, secret_ref, MissingSecret, GENERATED_SECRET_FILE};

use crate::artifact::ArtifactSet;
use crate::yaml::{append, to_yaml};
use berth_spec::{Model, Platform, Spec};
use rayon::prelude::*;

/// Oldest and newest Kubernetes minor versions the manifests are validated against.
pub const SUPPORTED_VERSIONS: (&str, &str) = ("1.26", "1.37");

/// The Kubernetes artifacts of the `selected` environments: each one's hydrated
/// `k8s/rendered/ENV.yaml` and overlay, and the shared base. `all` is every Kubernetes
/// environment of the spec (the selected ones among them, see [`all_kubernetes`]): the base
/// depends on all of them, so rendering one environment never changes it. Each environment's
/// objects are built once and shared by its hydrated file, the base and its overlay.
pub fn render(all: &[&Model], selected: &[&Model]) -> ArtifactSet {
    let objs: Vec<Vec<Obj>> = all.par_iter().map(|m| objects(m)).collect();
    let envs: Vec<(&Model, &[Obj])> = all
        .iter()
        .copied()
        .zip(objs.iter().map(Vec::as_slice))
        .collect();
    let layout = kustomize::Layout::new(&envs);
    // One environment at a time (each writes its patches and documents in parallel), so only
    // one hydrated file is being assembled at any moment.
    let (mut set, per_env) = rayon::join(
        || layout.base(),
        || {
            let mut set = ArtifactSet::default();
            for m in selected {
                let Some((_, o)) = envs.iter().find(|(e, _)| e.environment == m.environment) else {
                    continue;
                };
                set.extend(layout.overlay(m));
                set.insert(
                    format!("k8s/rendered/{}.yaml", m.environment),
                    hydrated_yaml(m, o),
                );
            }
            set
        },
    );
    set.extend(per_env);
    set
}

/// The objects of the environment in apply order, as the Kustomize base sees them: without
/// the Namespace object and without namespaces (the overlay sets them, and the hydrated file
/// writes them as it serializes). Built once per environment per render.
pub fn objects(model: &Model) -> Vec<Obj<'_>> {
    let mut objs = secrets::objects(model);
    for store in &model.stores {
        objs.extend(stores::objects(model, store));
    }
    for w in &model.workloads {
        objs.extend(workloads::objects(model, w));
    }
    objs.extend(netpol::objects(model));
    objs.sort_by_key(Obj::kind);
    objs
}

/// The hydrated manifest of one environment as YAML.
pub fn hydrated(model: &Model) -> String {
    hydrated_yaml(model, &objects(model))
}

/// The hydrated manifest from the environment's [`objects`]: its Namespace, then every object
/// with its namespace. Written in parallel chunks, each into one string.
fn hydrated_yaml(model: &Model, objs: &[Obj]) -> String {
    let mut out = format!(
        "{HEADER}# Environment `{}`: every object, hydrated. Apply: kubectl apply --server-side -f {}.yaml\n",
        model.environment, model.environment
    );
    out.push_str(&to_yaml(parts::namespace(model).tree()));
    let chunks: Vec<String> = objs
        .par_chunks(64)
        .map(|chunk| {
            let mut s = String::new();
            for o in chunk {
                s.push_str("---\n");
                let ns = (!o.kind().cluster_scoped()).then_some(model.namespace.as_str());
                append(&mut s, o.tree(), ns);
            }
            s
        })
        .collect();
    out.reserve_exact(chunks.iter().map(String::len).sum());
    for c in chunks {
        out.push_str(&c);
    }
    out
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
