//! The AppProject: the stack's repository, its namespaces, and exactly the kinds Berth renders.

use super::{labels, ARGOCD_NAMESPACE, IN_CLUSTER};
use crate::kube::Kind;
use crate::tree::{node, Node};
use berth_spec::model::RepositoryModel;
use berth_spec::Model;

pub(super) fn project<'a>(
    stack: &'a str,
    repo: &'a RepositoryModel,
    all: &[&'a Model],
) -> Node<'a> {
    let mut namespaces: Vec<&str> = Vec::new();
    for m in all {
        if !namespaces.contains(&m.namespace.as_str()) {
            namespaces.push(&m.namespace);
        }
    }
    let destinations: Node = namespaces
        .into_iter()
        .map(|ns| node!({ "server": IN_CLUSTER, "namespace": ns }))
        .collect();
    node!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": { "name": stack, "namespace": ARGOCD_NAMESPACE, "labels": labels(stack) },
        "spec": {
            "description": format!("{stack}, rendered by berth"),
            "sourceRepos": [&repo.url],
            "destinations": destinations,
            "clusterResourceWhitelist": kinds(true),
            "namespaceResourceWhitelist": kinds(false),
        },
    })
}

/// `{group, kind}` of every kind Berth renders, cluster-scoped or namespaced.
fn kinds(cluster_scoped: bool) -> Node<'static> {
    Kind::ALL
        .into_iter()
        .filter(|k| k.cluster_scoped() == cluster_scoped)
        .map(|k| node!({ "group": k.group(), "kind": k.name() }))
        .collect()
}
