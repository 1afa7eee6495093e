//! Terraform for cloud environments: `terraform/modules/` and `terraform/envs/ENV/`.

use crate::ArtifactSet;
use berth_spec::Model;

pub fn render(model: &Model) -> ArtifactSet {
    let _ = model;
    ArtifactSet::default()
}
