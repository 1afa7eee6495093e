//! GitOps: ArgoCD objects under `gitops/argocd/`: an AppProject for the stack that may deploy
//! only its own namespaces (and the two cluster-scoped kinds Berth renders), and one
//! Application per Kubernetes environment pointing at `deploy/k8s/overlays/ENV`, plus a
//! `kustomization.yaml` so `kubectl apply -k deploy/gitops/argocd` installs them all.
//!
//! Decisions:
//! - Applications rather than an ApplicationSet: environments differ in namespace and sync
//!   policy, and one plain object per environment reads (and reviews) best.
//! - Repository: the spec has no repository field, so `repoURL` is the placeholder
//!   [`REPO_PLACEHOLDER`]; set it once with a kustomize patch or edit after rendering (see
//!   docs/render.md). `targetRevision: HEAD`.
//! - Sync: automated with prune and selfHeal for every environment whose name does not contain
//!   `prod`; production syncs when someone presses sync. `CreateNamespace=true` everywhere,
//!   `ServerSideApply=true` (as `berth deploy`), `PruneLast=true`.
//! - Jobs run as Sync hooks in earlier sync waves than their dependents (k8s module docs).

use crate::artifact::{to_yaml, ArtifactSet};
use crate::kube::HEADER;
use crate::tree::node;
use crate::tree::Node;
use berth_spec::Model;

/// The Argo CD namespace.
pub const ARGOCD_NAMESPACE: &str = "argocd";

/// `repoURL` until the user sets theirs.
pub const REPO_PLACEHOLDER: &str = "https://git.example.com/CHANGE-ME/REPO.git";

/// The in-cluster API server: Argo CD runs in the cluster it deploys to.
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// Whether an environment syncs by itself.
pub fn automated(model: &Model) -> bool {
    !model.environment.contains("prod")
}

/// The ArgoCD objects of `all`, every Kubernetes environment of the spec (the project admits
/// all of them, whichever are rendered now).
pub fn render(all: &[&Model]) -> ArtifactSet {
    let mut set = ArtifactSet::default();
    let Some(first) = all.first() else {
        return set;
    };
    let stack = first.stack.as_str();
    let mut files = vec!["project.yaml".to_string()];
    set.insert(
        "gitops/argocd/project.yaml",
        format!("{HEADER}{}", to_yaml(&project(stack, all))),
    );
    for m in all {
        let file = format!("{}.yaml", m.environment);
        set.insert(
            format!("gitops/argocd/{file}"),
            format!(
                "{HEADER}# Set spec.source.repoURL to your repository (placeholder {REPO_PLACEHOLDER}).\n{}",
                to_yaml(&application(stack, m))
            ),
        );
        files.push(file);
    }
    let k = node!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": files.into_iter().collect::<Node>(),
    });
    set.insert(
        "gitops/argocd/kustomization.yaml",
        format!(
            "{HEADER}# kubectl apply -k deploy/gitops/argocd\n{}",
            to_yaml(&k)
        ),
    );
    set
}

fn labels(stack: &str) -> Node<'_> {
    node!({ "app.kubernetes.io/part-of": stack, "app.kubernetes.io/managed-by": "berth" })
}

/// The AppProject: the stack's namespaces, and the two cluster-scoped kinds Berth renders.
fn project<'a>(stack: &'a str, all: &[&'a Model]) -> Node<'a> {
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
            "sourceRepos": [REPO_PLACEHOLDER],
            "destinations": destinations,
            "clusterResourceWhitelist": [
                { "group": "", "kind": "Namespace" },
                { "group": "external-secrets.io", "kind": "ClusterSecretStore" },
            ],
        },
    })
}

/// The Application of one environment.
fn application<'a>(stack: &'a str, m: &'a Model) -> Node<'a> {
    let mut sync = Node::map();
    if automated(m) {
        sync.insert("automated", node!({ "prune": true, "selfHeal": true }));
    }
    sync.insert(
        "syncOptions",
        node!([
            "CreateNamespace=true",
            "ServerSideApply=true",
            "PruneLast=true"
        ]),
    );
    sync.insert(
        "retry",
        node!({ "limit": 5, "backoff": { "duration": "10s", "factor": 2, "maxDuration": "5m" } }),
    );
    node!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": format!("{stack}-{}", m.environment),
            "namespace": ARGOCD_NAMESPACE,
            "labels": labels(stack),
            // Delete the environment's objects when the Application is deleted.
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": stack,
            "source": {
                "repoURL": REPO_PLACEHOLDER,
                "targetRevision": "HEAD",
                "path": format!("deploy/k8s/overlays/{}", m.environment),
            },
            "destination": { "server": IN_CLUSTER, "namespace": &m.namespace },
            "syncPolicy": sync,
        },
    })
}
