//! Kubernetes artifacts: Kustomize base, one overlay per environment, hydrated manifests.

use crate::ArtifactSet;
use berth_spec::{Model, Spec};

/// Per-environment artifacts: `k8s/overlays/ENV/` and `k8s/rendered/ENV.yaml`.
pub fn render(model: &Model) -> ArtifactSet {
    let _ = model;
    ArtifactSet::default()
}

/// The shared base `k8s/base/` of all Kubernetes environments.
pub fn render_base(spec: &Spec, models: &[&Model]) -> ArtifactSet {
    let _ = (spec, models);
    ArtifactSet::default()
}
