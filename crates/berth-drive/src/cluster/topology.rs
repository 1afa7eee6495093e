//! The seeds' cluster topologies as steps. Every port Berth asks a tool to publish binds to
//! 127.0.0.1 (like compose's published ports).
//!
//! - minikube: the docker driver, then the `ingress` and `metrics-server` add-ons.
//! - kind: a config file (one control-plane node labelled `ingress-ready=true`, container
//!   ports 80/443 on host 8080/8443), ingress-nginx's kind manifest, and the host alias in
//!   CoreDNS (kind has none of its own).
//! - k3d: 1 server + 2 agents, the load balancer on host 8080 (80) and 8443 (443), and a
//!   registry `k3d-<cluster>-registry` on host port 5000 (k3d connects it to the cluster and
//!   deletes it with the cluster).

use super::kind;
use super::{Identity, Step, Tool};
use std::path::Path;

/// Host ports of the ingress (HTTP, HTTPS) on every local cluster.
pub const INGRESS_PORTS: [(u16, u16); 2] = [(8080, 80), (8443, 443)];

/// Host port of k3d's registry.
pub const REGISTRY_PORT: u16 = 5000;

/// ingress-nginx's manifest for kind (pinned release).
pub const KIND_INGRESS: &str = "https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.11.2/deploy/static/provider/kind/deploy.yaml";

fn run(argv: &[&str]) -> Step {
    Step::Run {
        argv: argv.iter().map(|s| s.to_string()).collect(),
    }
}

/// Creating the cluster; `dir` is the environment's directory under `.berth/clusters/`.
pub fn create(id: &Identity, dir: &Path) -> Vec<Step> {
    let name = id.cluster.as_str();
    match id.tool {
        Tool::Minikube => vec![
            run(&["minikube", "start", "--profile", name, "--driver", "docker"]),
            run(&["minikube", "addons", "enable", "ingress", "--profile", name]),
            run(&[
                "minikube",
                "addons",
                "enable",
                "metrics-server",
                "--profile",
                name,
            ]),
        ],
        Tool::Kind => {
            let config = dir.join("kind.yaml");
            let config_arg = config.display().to_string();
            vec![
                Step::Write {
                    contents: kind::config(name),
                    path: config,
                },
                run(&[
                    "kind",
                    "create",
                    "cluster",
                    "--name",
                    name,
                    "--config",
                    &config_arg,
                    "--wait",
                    "120s",
                ]),
                run(&[
                    "kubectl",
                    "--context",
                    &id.context,
                    "apply",
                    "-f",
                    KIND_INGRESS,
                ]),
                Step::HostAlias {
                    context: id.context.clone(),
                    network: "kind".into(),
                    alias: id.host_alias.clone(),
                    file: dir.join("coredns.json"),
                },
            ]
        }
        Tool::K3d => {
            let mut argv = vec![
                "k3d".to_string(),
                "cluster".into(),
                "create".into(),
                name.into(),
                "--servers".into(),
                "1".into(),
                "--agents".into(),
                "2".into(),
            ];
            for (host, container) in INGRESS_PORTS {
                argv.push("--port".into());
                argv.push(format!("127.0.0.1:{host}:{container}@loadbalancer"));
            }
            argv.push("--registry-create".into());
            argv.push(format!("{name}-registry:127.0.0.1:{REGISTRY_PORT}"));
            argv.push("--wait".into());
            vec![Step::Run { argv }]
        }
    }
}

/// Starting an existing, stopped cluster.
pub fn resume(id: &Identity) -> Vec<Step> {
    let name = id.cluster.as_str();
    match id.tool {
        Tool::Minikube => vec![run(&["minikube", "start", "--profile", name])],
        Tool::Kind => vec![run(&["docker", "start", &kind::node(name)])],
        Tool::K3d => vec![run(&["k3d", "cluster", "start", name, "--wait"])],
    }
}

/// Deleting the cluster (and what its tool created with it).
pub fn delete(id: &Identity) -> Vec<Step> {
    let name = id.cluster.as_str();
    match id.tool {
        Tool::Minikube => vec![run(&["minikube", "delete", "--profile", name])],
        Tool::Kind => vec![run(&["kind", "delete", "cluster", "--name", name])],
        Tool::K3d => vec![run(&["k3d", "cluster", "delete", name])],
    }
}
