//! GitOps: ArgoCD Applications per Kubernetes environment.

use crate::ArtifactSet;
use berth_spec::{Model, Spec};

pub fn render(spec: &Spec, models: &[&Model]) -> ArtifactSet {
    let _ = (spec, models);
    ArtifactSet::default()
}
