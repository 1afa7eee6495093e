//! What render returns for one environment beside its files: the typed plan a driver executes
//! with them. Compose: [`ComposePlan`] (what to start, in which order, what to wait for, which
//! secrets are needed, the endpoints); Kubernetes: [`KubePlan`] (images to build, the Secret of
//! local values, the apply phases with their objects and waits); Terraform: [`TerraformPlan`] (the environment's root
//! module and the files it consists of). Pure, like the rest of render; plans serialize, so
//! they can be shown as they are.

use crate::artifact::ArtifactSet;
use crate::{compose, terraform};
use berth_spec::Model;
use serde::Serialize;

pub mod dev;

pub use dev::{dev, DevPlan, ProcessPlan};

pub use crate::compose::plan::{
    ComposePlan, Endpoint, Kind, SecretNeed, StorePlan, Unit, WorkloadPlan,
};
pub use crate::kube::plan::{
    ImageBuild, KubePlan, LocalSecret, ObjectRef, PhaseName, PhasePlan, WaitFor, WaitTarget,
};

/// The files of one environment and the plan that uses them. File paths are relative to the
/// output directory (`deploy/`, or `.berth/` for the files the driver runs).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered<P> {
    pub files: ArtifactSet,
    pub plan: P,
}

/// The Terraform of a cloud environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerraformPlan {
    pub environment: String,
    /// The rendered Terraform tree, relative to the output directory (`terraform`); it holds
    /// `modules/` and `envs/`.
    pub root: String,
    /// The environment's root module, where terraform runs, relative to `root` (`envs/<env>`).
    pub env_dir: String,
    /// Every file of the plan (the modules the environment uses and its root module),
    /// relative to `root`, in path order.
    pub files: Vec<String>,
}

/// A compose environment's files and plan.
pub fn compose(model: &Model) -> Rendered<ComposePlan> {
    Rendered {
        files: compose::render(model),
        plan: compose::plan(model),
    }
}

/// A Kubernetes environment's phase files (under `kube/<env>/`) and plan.
pub fn kubernetes(model: &Model) -> Rendered<KubePlan> {
    let (plan, files) = crate::kube::plan::plan(model);
    Rendered { files, plan }
}

/// A cloud environment's Terraform and plan; None when the environment has no cloud.
pub fn terraform(model: &Model) -> Option<Rendered<TerraformPlan>> {
    model.cloud.as_ref()?;
    let files = terraform::render(model);
    let root = "terraform";
    let plan = TerraformPlan {
        environment: model.environment.clone(),
        root: root.to_string(),
        env_dir: format!("envs/{}", model.environment),
        files: files
            .paths()
            .filter_map(|p| p.strip_prefix(root)?.strip_prefix('/'))
            .map(String::from)
            .collect(),
    };
    Some(Rendered { files, plan })
}
