//! docker compose artifacts of a compose environment (DESIGN §4).

use crate::ArtifactSet;
use berth_spec::Model;

pub fn render(model: &Model) -> ArtifactSet {
    let _ = model;
    ArtifactSet::default()
}
