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

/// The project files the spec's `files:` mount, as the caller read them: source (as in the
/// model, without `./`) → each file's path inside it (empty for a single file) and bytes.
pub type ProjectFiles = std::collections::BTreeMap<String, Vec<(String, Vec<u8>)>>;

/// Gives the model's file mounts (workloads' and stores') their content from `files`.
pub fn attach_files(model: &mut Model, files: &ProjectFiles) {
    let mounts = model.workloads.iter_mut().flat_map(|w| w.files.iter_mut());
    let mounts = mounts.chain(model.stores.iter_mut().flat_map(|s| s.files.iter_mut()));
    for f in mounts {
        let Some(c) = files.get(&f.source) else {
            continue;
        };
        f.content = c
            .iter()
            .map(|(path, bytes)| berth_spec::model::MountedFile {
                key: kube::files::key(&f.source, path),
                path: path.clone(),
                bytes: bytes.clone(),
            })
            .collect();
    }
}

/// Render the artifacts of the given environments (all of them when `envs` is empty), without
/// the content of project files (see [`render_with_files`]).
pub fn render(spec: &Spec, envs: &[String]) -> Result<ArtifactSet, berth_spec::ResolveError> {
    render_with_files(spec, envs, &ProjectFiles::new())
}

/// Render the artifacts of the given environments (all of them when `envs` is empty), with the
/// project files `files:` mount (Kubernetes ConfigMaps). Paths are relative to the output
/// directory (default `deploy/`).
pub fn render_with_files(
    spec: &Spec,
    envs: &[String],
    files: &ProjectFiles,
) -> Result<ArtifactSet, berth_spec::ResolveError> {
    let names: Vec<String> = if envs.is_empty() {
        spec.environments.keys().map(|k| k.value.clone()).collect()
    } else {
        envs.to_vec()
    };
    let models = names
        .par_iter()
        .map(|n| {
            let mut m = berth_spec::resolve(spec, n)?;
            attach_files(&mut m, files);
            Ok(m)
        })
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
