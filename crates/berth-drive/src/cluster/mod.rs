//! Local Kubernetes clusters for an environment: `berth cluster create|delete|status ENV` on
//! minikube, kind and k3d.
//!
//! [`Identity`] says which cluster an environment uses (the tool, the cluster's name in that
//! tool, the kube context the tool writes, the host name pods reach the developer's machine at).
//! [`plan`] computes what creating or deleting it runs, as data, before anything runs: the
//! commands that read the cluster's state ([`probe`]), the steps that create it with the seeds'
//! topologies (`topology`), the steps that start it again when it exists but is stopped, and
//! the steps that delete it. [`execute`] reads the state first and then runs only what is
//! needed: `create` of an existing cluster and `delete` of a missing one change nothing.
//! Everything runs through [`process::Runner`](crate::process::Runner).

mod kind;
pub mod probe;
mod run;
mod topology;

#[cfg(test)]
mod tests;

use berth_spec::{Cluster, Model, Platform};
use serde::Serialize;
use std::path::PathBuf;

pub use probe::{ClusterState, Nodes, State};
pub use run::{execute, status, Outcome};

/// The CLI that manages a local cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Minikube,
    Kind,
    K3d,
}

impl Tool {
    pub fn program(self) -> &'static str {
        match self {
            Tool::Minikube => "minikube",
            Tool::Kind => "kind",
            Tool::K3d => "k3d",
        }
    }
}

/// How to install a program a cluster command runs (for the "not installed" message).
pub fn install_hint(program: &str) -> &'static str {
    match program {
        "minikube" => "install minikube: https://minikube.sigs.k8s.io/docs/start/",
        "kind" => "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
        "k3d" => "install k3d: https://k3d.io/#installation",
        "kubectl" => "install kubectl: https://kubernetes.io/docs/tasks/tools/",
        "docker" => "install Docker: https://docs.docker.com/engine/install/",
        _ => "install it and make sure it is on PATH",
    }
}

/// The local cluster an environment runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub tool: Tool,
    /// The cluster's name in its tool (minikube: the profile).
    pub cluster: String,
    /// The kube context the tool writes into the kubeconfig.
    pub context: String,
    /// The host name pods reach the developer's machine at (host stores).
    pub host_alias: String,
}

impl Identity {
    /// minikube → profile `minikube`; kind and k3d → cluster `<stack>`; the context as
    /// [`crate::kube::context::expected`] names it. EKS and non-Kubernetes
    /// environments are not local clusters.
    pub fn of(model: &Model) -> Result<Self, ClusterError> {
        let env = model.environment.clone();
        if model.platform != Platform::Kubernetes {
            return Err(ClusterError::NotKubernetes {
                env,
                platform: model.platform.as_str().to_string(),
            });
        }
        let cluster = model
            .cluster
            .ok_or(ClusterError::NoCluster { env: env.clone() })?;
        let stack = model.stack.clone();
        let (tool, name) = match cluster {
            Cluster::Minikube => (Tool::Minikube, "minikube".to_string()),
            Cluster::Kind => (Tool::Kind, stack),
            Cluster::K3d => (Tool::K3d, stack),
            Cluster::Eks => return Err(ClusterError::Cloud { env }),
        };
        // The one naming rule of kube contexts (a local cluster always has a default).
        let context =
            crate::kube::context::expected(model, None).expect("a local cluster names its context");
        Ok(Identity {
            tool,
            cluster: name,
            context,
            host_alias: cluster.host_alias().to_string(),
        })
    }
}

/// What `berth cluster` was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Delete,
    Status,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Delete => "delete",
            Action::Status => "status",
        }
    }
}

/// One thing a plan does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// Write a file a tool reads (kind's cluster configuration), under `.berth/`.
    Write { path: PathBuf, contents: String },
    /// Run a command.
    Run { argv: Vec<String> },
    /// kind: map `alias` to the gateway of the Docker network `network` in the cluster's CoreDNS
    /// (read the gateway, edit the Corefile, `kubectl replace` the ConfigMap). Skipped on Docker
    /// Desktop, whose DNS answers `host.docker.internal` already.
    HostAlias {
        context: String,
        network: String,
        alias: String,
        /// Where the edited ConfigMap is written for `kubectl replace`.
        file: PathBuf,
    },
}

/// What `berth cluster ACTION ENV` runs, computed before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterPlan {
    pub environment: String,
    pub action: Action,
    pub cluster: Identity,
    /// Run first, read-only: whether the cluster exists and runs.
    pub probe: Vec<Vec<String>>,
    /// `create` when the cluster does not exist, `delete` when it does.
    pub steps: Vec<Step>,
    /// `create` when the cluster exists but is stopped: start it again.
    pub resume: Vec<Step>,
}

/// The plan of ACTION on ENV's cluster; files it writes go under `berth_dir` (`.berth/`).
pub fn plan(
    model: &Model,
    action: Action,
    berth_dir: &std::path::Path,
) -> Result<ClusterPlan, ClusterError> {
    let id = Identity::of(model)?;
    let dir = berth_dir.join("clusters").join(&model.environment);
    let (steps, resume) = match action {
        Action::Create => (topology::create(&id, &dir), topology::resume(&id)),
        Action::Delete => (topology::delete(&id), Vec::new()),
        Action::Status => (Vec::new(), Vec::new()),
    };
    Ok(ClusterPlan {
        environment: model.environment.clone(),
        action,
        probe: probe::commands(&id),
        cluster: id,
        steps,
        resume,
    })
}

/// Why a cluster command cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("environment `{env}` runs on {platform}, not on Kubernetes: `berth cluster` manages the local clusters (minikube, kind, k3d) of Kubernetes environments")]
    NotKubernetes { env: String, platform: String },
    #[error("environment `{env}` names no cluster: add `cluster: minikube`, `cluster: kind` or `cluster: k3d` to it")]
    NoCluster { env: String },
    #[error("environment `{env}` runs on EKS, which is not a local cluster: `berth infra apply {env}` provisions it with Terraform")]
    Cloud { env: String },
    #[error(
        "`{program}` is not installed (needed for `{command}`): {}",
        install_hint(program)
    )]
    Missing { program: String, command: String },
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed{}:\n{detail}", code.map(|c| format!(" (exit {c})")).unwrap_or_default())]
    Failed {
        command: String,
        code: Option<i32>,
        detail: String,
    },
    #[error("cannot understand the output of `{command}`: {why}")]
    Output { command: String, why: String },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ClusterError {
    /// The environment named cannot have a local cluster: a usage error, not a failure.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ClusterError::NotKubernetes { .. }
                | ClusterError::NoCluster { .. }
                | ClusterError::Cloud { .. }
        )
    }
}
