//! Reading a cluster's state from its tool's machine-readable output:
//! `minikube status -o json --profile P`, `kind get clusters` (then `docker inspect` of the
//! node container) and `k3d cluster list -o json`.

use super::kind;
use super::{Identity, Tool};
use crate::process::Output;
use serde::Serialize;

/// Whether the cluster exists and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Running,
    Stopped,
    Absent,
}

/// Nodes running / total (k3d reports servers and agents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Nodes {
    pub servers_running: u64,
    pub servers: u64,
    pub agents_running: u64,
    pub agents: u64,
}

/// A cluster's state as its tool reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterState {
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Nodes>,
    /// The tool's own words (minikube: host/apiserver states).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ClusterState {
    /// Just the state.
    pub fn of(state: State) -> Self {
        ClusterState {
            state,
            nodes: None,
            detail: None,
        }
    }
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

/// The first command that reads the state (kind needs a second one: [`kind_node`]).
pub fn commands(id: &Identity) -> Vec<Vec<String>> {
    let name = id.cluster.as_str();
    match id.tool {
        Tool::Minikube => vec![argv(&[
            "minikube",
            "status",
            "--output",
            "json",
            "--profile",
            name,
        ])],
        Tool::Kind => vec![argv(&["kind", "get", "clusters"]), kind_node(name)],
        Tool::K3d => vec![argv(&["k3d", "cluster", "list", "--output", "json"])],
    }
}

/// Whether kind's node container runs.
pub fn kind_node(cluster: &str) -> Vec<String> {
    argv(&[
        "docker",
        "container",
        "inspect",
        "--format",
        "{{.State.Running}}",
        &kind::node(cluster),
    ])
}

/// `minikube status -o json`: `{"Name":…,"Host":"Running","Kubelet":…,"APIServer":"Running",
/// "Kubeconfig":"Configured"}`. It exits non-zero when anything is not running (bits 1, 2, 4)
/// and with 85 (and a message, maybe no JSON) when the profile does not exist.
pub fn minikube(out: &Output) -> Result<ClusterState, String> {
    let json = out.stdout.lines().find(|l| l.trim_start().starts_with('{'));
    let Some(json) = json else {
        let text = format!("{}{}", out.stdout, out.stderr);
        if out.code == Some(85) || text.contains("not found") {
            return Ok(ClusterState::of(State::Absent));
        }
        return Err(format!(
            "no JSON status (exit {:?}): {}",
            out.code,
            text.trim()
        ));
    };
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let field = |k: &str| v.get(k).and_then(|s| s.as_str()).unwrap_or("").to_string();
    let (host, api) = (field("Host"), field("APIServer"));
    let state = match host.as_str() {
        "Nonexistent" | "" => State::Absent,
        "Running" if api == "Running" => State::Running,
        _ => State::Stopped,
    };
    Ok(ClusterState {
        state,
        nodes: None,
        detail: Some(format!(
            "host {host}, kubelet {}, apiserver {api}, kubeconfig {}",
            field("Kubelet"),
            field("Kubeconfig")
        )),
    })
}

/// `kind get clusters`: one name per line (none: "No kind clusters found." on stderr).
pub fn kind_has(out: &Output, cluster: &str) -> bool {
    out.stdout.lines().any(|l| l.trim() == cluster)
}

/// `docker container inspect --format {{.State.Running}}`: `true` or `false`.
pub fn kind_running(out: &Output) -> ClusterState {
    if out.success() && out.stdout.trim() == "true" {
        ClusterState::of(State::Running)
    } else {
        ClusterState::of(State::Stopped)
    }
}

/// `k3d cluster list -o json`: a list of clusters, each with `name`, `serversCount`,
/// `serversRunning`, `agentsCount`, `agentsRunning`.
pub fn k3d(out: &Output, cluster: &str) -> Result<ClusterState, String> {
    let list: Vec<serde_json::Value> =
        serde_json::from_str(out.stdout.trim()).map_err(|e| format!("not a JSON list: {e}"))?;
    let Some(c) = list.iter().find(|c| c["name"] == cluster) else {
        return Ok(ClusterState::of(State::Absent));
    };
    let n = |k: &str| c.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let nodes = Nodes {
        servers_running: n("serversRunning"),
        servers: n("serversCount"),
        agents_running: n("agentsRunning"),
        agents: n("agentsCount"),
    };
    let state = if nodes.servers_running > 0 {
        State::Running
    } else {
        State::Stopped
    };
    Ok(ClusterState {
        state,
        nodes: Some(nodes),
        detail: None,
    })
}
