//! What can go wrong while driving a Kubernetes environment, each with what to do about it.

use berth_render::kube::MissingSecret;

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("{0}")]
    NoContext(String),
    #[error("kube context `{context}` does not exist (known: {}); {hint}", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownContext {
        context: String,
        known: Vec<String>,
        hint: String,
    },
    #[error("refusing to act: {0}")]
    ForeignContext(String),
    #[error("`{tool}` is not installed (or not on PATH); {hint}")]
    MissingTool { tool: String, hint: String },
    #[error("the cluster of context `{context}` is not reachable:\n{detail}\nhint: {hint}")]
    Unreachable {
        context: String,
        detail: String,
        hint: String,
    },
    #[error("`{command}` failed{}:\n{detail}", code.map(|c| format!(" (exit {c})")).unwrap_or_default())]
    Command {
        command: String,
        code: Option<i32>,
        detail: String,
    },
    #[error("{what} failed: {reason}\n{}", logs_block(logs))]
    Failed {
        what: String,
        reason: String,
        logs: String,
    },
    #[error(transparent)]
    Secret(#[from] MissingSecret),
    #[error("no revision recorded yet: a successful `berth up` records one")]
    NoRevisions,
    #[error("no revision {number} (known: {})", known.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))]
    UnknownRevision { number: u32, known: Vec<u32> },
    #[error("revision {0} is the only one: nothing earlier to roll back to")]
    NoEarlierRevision(u32),
    #[error("unreadable revision: {0}")]
    BadRevision(String),
    #[error("`{0}` is not a workload or store of this environment")]
    Unknown(String),
}

fn logs_block(logs: &str) -> String {
    if logs.trim().is_empty() {
        "(no log output)".into()
    } else {
        let mut s = String::from("last log lines:\n");
        for l in logs.trim_end().lines() {
            s.push_str("  │ ");
            s.push_str(l);
            s.push('\n');
        }
        s.trim_end().to_string()
    }
}

/// What to do about a tool that is missing.
pub fn install_hint(tool: &str) -> String {
    match tool {
        "kubectl" => "install kubectl (https://kubernetes.io/docs/tasks/tools/)".into(),
        "minikube" => "install minikube (https://minikube.sigs.k8s.io/docs/start/)".into(),
        "kind" => "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/)".into(),
        "k3d" => "install k3d (https://k3d.io)".into(),
        "docker" => "install Docker (the images are built with BuildKit)".into(),
        _ => format!("install {tool}"),
    }
}
