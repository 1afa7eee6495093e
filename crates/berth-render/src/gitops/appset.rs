//! The ApplicationSet: a list generator with one element per Kubernetes environment (its
//! name, namespace and whether it syncs by itself), and the Application template they fill.

use super::{automated, labels, overlay_path, ARGOCD_NAMESPACE, IN_CLUSTER};
use crate::tree::{node, Node};
use berth_spec::model::RepositoryModel;
use berth_spec::Model;

/// Adds automated sync (prune, self-heal) to the Applications of development environments.
const AUTOMATED_PATCH: &str = "{{- if eq .automated \"true\" }}\nspec:\n  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n{{- end }}\n";

pub(super) fn application_set<'a>(
    stack: &'a str,
    repo: &'a RepositoryModel,
    all: &[&'a Model],
) -> Node<'a> {
    let elements: Node = all
        .iter()
        .map(|m| {
            let sync = if automated(m) { "true" } else { "false" };
            node!({
                "env": &m.environment,
                "namespace": &m.namespace,
                "path": overlay_path(repo, &m.environment),
                "automated": sync,
            })
        })
        .collect();
    node!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": { "name": stack, "namespace": ARGOCD_NAMESPACE, "labels": labels(stack) },
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{ "list": { "elements": elements } }],
            "template": template(stack, repo),
            "templatePatch": AUTOMATED_PATCH,
        },
    })
}

fn template<'a>(stack: &'a str, repo: &'a RepositoryModel) -> Node<'a> {
    node!({
        "metadata": {
            "name": format!("{stack}-{{{{.env}}}}"),
            "labels": labels(stack),
            // Delete the environment's objects when its Application is deleted.
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": stack,
            "source": {
                "repoURL": &repo.url,
                "targetRevision": &repo.branch,
                "path": "{{.path}}",
            },
            "destination": { "server": IN_CLUSTER, "namespace": "{{.namespace}}" },
            "syncPolicy": {
                "syncOptions": ["CreateNamespace=true", "ServerSideApply=true", "PruneLast=true"],
                "retry": { "limit": 5, "backoff": { "duration": "10s", "factor": 2, "maxDuration": "5m" } },
            },
        },
    })
}
