//! Which kube context an environment acts on, and whether a context belongs to it.
//!
//! Naming: minikube → `minikube`; kind → `kind-<stack>`; k3d → `k3d-<stack>` (what those CLIs
//! name the contexts of a cluster named after the stack); eks → no default (the context
//! `aws eks update-kubeconfig` writes, given with `--context`). `--context` overrides.
//!
//! Safety: the context must exist (`kubectl config get-contexts -o name`) and belong to the
//! environment: a local environment (minikube, kind, k3d) never acts on a context named like
//! an EKS cluster (`arn:aws:eks:…`) or whose API server is not on this machine or a private
//! network; an EKS environment never acts on a `minikube`, `kind-*` or `k3d-*` context or a
//! local API server.

use berth_spec::{Cluster, Model};
use serde_json::Value;

/// The context the environment acts on, before asking kubectl: the override, else the name
/// its cluster kind gives. Err: why there is none.
pub fn expected(model: &Model, flag: Option<&str>) -> Result<String, String> {
    if let Some(c) = flag {
        return Ok(c.to_string());
    }
    match model.cluster {
        Some(Cluster::Minikube) => Ok("minikube".into()),
        Some(Cluster::Kind) => Ok(format!("kind-{}", model.stack)),
        Some(Cluster::K3d) => Ok(format!("k3d-{}", model.stack)),
        Some(Cluster::Eks) => Err(format!(
            "environment `{}` runs on EKS: give its context with --context (the one \
             `aws eks update-kubeconfig --name CLUSTER` writes; `berth infra apply {}` prints the cluster name)",
            model.environment, model.environment
        )),
        None => Err(format!(
            "environment `{}` names no cluster: set `cluster: minikube|kind|k3d|eks` in berth.yaml or give --context",
            model.environment
        )),
    }
}

/// Whether the environment is on a local cluster (minikube, kind, k3d).
pub fn local(model: &Model) -> bool {
    matches!(
        model.cluster,
        Some(Cluster::Minikube | Cluster::Kind | Cluster::K3d)
    )
}

/// The API server of `context` in `kubectl config view --minify --context C -o json`.
pub fn server(config_json: &str) -> Option<String> {
    let v: Value = serde_json::from_str(config_json).ok()?;
    v["clusters"][0]["cluster"]["server"]
        .as_str()
        .map(String::from)
}

/// True for an API server on this machine or a private network (what local clusters use:
/// kind `https://127.0.0.1:PORT`, k3d `https://0.0.0.0:PORT`, minikube `https://192.168.49.2:8443`).
pub fn server_is_local(server: &str) -> bool {
    let rest = server.split("://").nth(1).unwrap_or(server);
    let host = match rest.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => rest.split(['/', ':']).next().unwrap_or(""),
    };
    if matches!(
        host,
        "localhost" | "host.docker.internal" | "::1" | "0.0.0.0"
    ) || host.ends_with(".localhost")
    {
        return true;
    }
    let Ok(ip) = host.parse::<std::net::Ipv4Addr>() else {
        return false;
    };
    ip.is_loopback() || ip.is_private() || ip.is_unspecified()
}

fn local_name(context: &str) -> bool {
    context == "minikube" || context.starts_with("kind-") || context.starts_with("k3d-")
}

/// Refuses a context that does not belong to the environment; `server` is its API server.
pub fn belongs(model: &Model, context: &str, server: Option<&str>) -> Result<(), String> {
    let env = &model.environment;
    if local(model) {
        if context.starts_with("arn:aws:eks:") {
            return Err(format!(
                "context `{context}` is an EKS cluster, but `{env}` is a local environment; Berth never applies a local environment to a cloud cluster"
            ));
        }
        if let Some(s) = server.filter(|s| !server_is_local(s)) {
            return Err(format!(
                "context `{context}` talks to {s}, which is not a local cluster, but `{env}` is a local environment; start the local cluster (`berth cluster create {env}`) or pick its context with --context"
            ));
        }
    } else if model.cluster == Some(Cluster::Eks)
        && (local_name(context) || server.is_some_and(server_is_local))
    {
        return Err(format!(
            "context `{context}` is a local cluster, but `{env}` runs on EKS; give the EKS context with --context"
        ));
    }
    Ok(())
}

/// The names `kubectl config get-contexts -o name` prints.
pub fn parse_contexts(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(cluster: Option<Cluster>) -> Model {
        let text = "name: shop\nservices:\n  api: { image: nginx:1.27 }\nenvironments:\n  dev: { platform: kubernetes, cluster: kind }\n";
        let spec = berth_spec::validate_strict(&berth_spec::Source::new("b.yaml", text))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut m = berth_spec::resolve(&spec, "dev").unwrap();
        m.cluster = cluster;
        m
    }

    #[test]
    fn names_follow_the_cluster_kind_and_the_flag_wins() {
        assert_eq!(
            expected(&model(Some(Cluster::Minikube)), None).unwrap(),
            "minikube"
        );
        assert_eq!(
            expected(&model(Some(Cluster::Kind)), None).unwrap(),
            "kind-shop"
        );
        assert_eq!(
            expected(&model(Some(Cluster::K3d)), None).unwrap(),
            "k3d-shop"
        );
        assert!(expected(&model(Some(Cluster::Eks)), None)
            .unwrap_err()
            .contains("--context"));
        assert_eq!(
            expected(&model(Some(Cluster::Eks)), Some("arn:aws:eks:x")).unwrap(),
            "arn:aws:eks:x"
        );
    }

    #[test]
    fn local_environments_refuse_cloud_contexts_and_eks_refuses_local_ones() {
        let kind = model(Some(Cluster::Kind));
        assert!(belongs(&kind, "kind-shop", Some("https://127.0.0.1:41234")).is_ok());
        assert!(belongs(&kind, "minikube", Some("https://192.168.49.2:8443")).is_ok());
        assert!(belongs(&kind, "k3d-shop", Some("https://0.0.0.0:6550")).is_ok());
        let e = belongs(&kind, "arn:aws:eks:us-east-1:1:cluster/shop", None).unwrap_err();
        assert!(e.contains("EKS"), "{e}");
        let e = belongs(
            &kind,
            "kind-shop",
            Some("https://ABC.gr7.us-east-1.eks.amazonaws.com"),
        )
        .unwrap_err();
        assert!(e.contains("not a local cluster"), "{e}");
        let eks = model(Some(Cluster::Eks));
        assert!(belongs(&eks, "minikube", None).is_err());
        assert!(belongs(&eks, "prod", Some("https://127.0.0.1:6443")).is_err());
        assert!(belongs(
            &eks,
            "arn:aws:eks:us-east-1:1:cluster/shop",
            Some("https://ABC.gr7.us-east-1.eks.amazonaws.com")
        )
        .is_ok());
    }

    #[test]
    fn reads_the_server_of_a_minified_config() {
        let cfg = r#"{"kind":"Config","apiVersion":"v1","clusters":[{"name":"kind-shop","cluster":{"server":"https://127.0.0.1:41234"}}],"contexts":[]}"#;
        assert_eq!(server(cfg).as_deref(), Some("https://127.0.0.1:41234"));
        assert!(server_is_local("https://[::1]:6443"));
        assert!(!server_is_local("https://8.8.8.8:443"));
        assert_eq!(
            parse_contexts("minikube\nkind-shop\n\n"),
            ["minikube", "kind-shop"]
        );
    }
}
