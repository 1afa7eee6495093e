//! Rendering: resolved models → artifacts (path → bytes), and for the environments a driver
//! runs, the typed [`plan`] it executes beside them. Everything here is pure: no I/O, no clock,
//! no randomness; the same spec gives byte-identical artifacts. Comparing with and writing to
//! disk is the driver's (`berth_drive::artifacts`).

pub mod artifact;
pub mod backup;
pub mod ci;
pub mod compose;
pub mod gitops;
pub mod kube;
pub mod observe;
pub mod plan;
mod store_args;
pub mod terraform;
pub mod tree;
pub mod yaml;

pub use artifact::ArtifactSet;
pub use plan::Rendered;

use berth_spec::{Model, Platform, Spec};
use rayon::prelude::*;

/// Render the artifacts of the given environments (all of them when `envs` is empty).
/// Paths are relative to the output directory (default `deploy/`).
pub fn render(spec: &Spec, envs: &[String]) -> Result<ArtifactSet, berth_spec::ResolveError> {
    let names: Vec<String> = if envs.is_empty() {
        spec.environments.keys().map(|k| k.value.clone()).collect()
    } else {
        envs.to_vec()
    };
    let models = names
        .par_iter()
        .map(|n| berth_spec::resolve(spec, n))
        .collect::<Result<Vec<Model>, _>>()?;
    let selected: Vec<&Model> = models
        .iter()
        .filter(|m| m.platform == Platform::Kubernetes)
        .collect();
    // Environments render in parallel; the set is ordered by path, so the result does not
    // depend on which finishes first.
    let (per_env, kubernetes) = rayon::join(
        || {
            models
                .par_iter()
                .map(|model| match model.platform {
                    Platform::Compose => compose::render(model),
                    Platform::Kubernetes if model.cloud.is_some() => terraform::render(model),
                    Platform::Kubernetes | Platform::Native => ArtifactSet::default(),
                })
                .collect::<Vec<_>>()
        },
        || {
            let mut set = ArtifactSet::default();
            if !selected.is_empty() {
                let mut others = Vec::new();
                let all = kube::all_kubernetes(spec, &selected, &mut others);
                set.extend(kube::render(&all, &selected));
                set.extend(gitops::render(&all));
            }
            set
        },
    );
    let mut set = kubernetes;
    for s in per_env {
        set.extend(s);
    }
    Ok(set)
}
