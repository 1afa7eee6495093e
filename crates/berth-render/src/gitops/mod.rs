//! GitOps: Argo CD objects under `gitops/argocd/`, rendered when the spec names its
//! `repository:` (without one there is nothing to sync from, and Berth writes no placeholder):
//! - `project.yaml`: an AppProject that may deploy only from the stack's repository, only into
//!   its namespaces, and only the kinds Berth renders ([`project`]);
//! - `applicationset.yaml`: one ApplicationSet whose list generator makes one Application per
//!   Kubernetes environment, each syncing `<path>/k8s/overlays/ENV` of the repository's
//!   default branch ([`appset`]);
//! - `kustomization.yaml`, so `kubectl apply -k deploy/gitops/argocd` installs both.
//!
//! Decisions (docs/delivery.md has the long form):
//! - Sync: automated with prune and selfHeal for every environment whose name does not contain
//!   `prod` (cloud ones default to `production: true` for hardening, so the flag cannot say
//!   it); production syncs when someone presses sync (or `argocd app sync`
//!   from CI after the approval). `CreateNamespace=true`, `ServerSideApply=true` (as
//!   `berth deploy`), `PruneLast=true`.
//! - Sync waves (annotations on the objects, k8s module): -2 the namespace-wide objects and
//!   secrets, -1 stores, then Jobs (Sync hooks) one wave after what they wait for, services
//!   after their Jobs.
//! - Secrets: External Secrets from AWS Secrets Manager in cloud environments (in Git: only
//!   the ExternalSecret naming the remote key). Local clusters keep the one Secret of local
//!   values that `berth up` creates out of band: it never enters Git, so no SealedSecrets
//!   controller key or SOPS key has to follow a disposable local cluster.

mod appset;
mod project;

use crate::artifact::{to_yaml, ArtifactSet};
use crate::kube::HEADER;
use crate::tree::{node, Node};
use berth_spec::model::RepositoryModel;
use berth_spec::Model;

/// The Argo CD namespace.
pub const ARGOCD_NAMESPACE: &str = "argocd";

/// The in-cluster API server: Argo CD runs in the cluster it deploys to.
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// Whether an environment syncs by itself: every one but production (a name with `prod`).
pub fn automated(model: &Model) -> bool {
    !model.environment.contains("prod")
}

/// The ArgoCD objects of `all`, every Kubernetes environment of the spec (the project admits
/// all of them, whichever are rendered now). Empty when the spec names no repository.
pub fn render(all: &[&Model]) -> ArtifactSet {
    let mut set = ArtifactSet::default();
    let Some(first) = all.first() else {
        return set;
    };
    let Some(repo) = &first.repository else {
        return set;
    };
    let stack = first.stack.as_str();
    set.insert(
        "gitops/argocd/project.yaml",
        format!("{HEADER}{}", to_yaml(&project::project(stack, repo, all))),
    );
    set.insert(
        "gitops/argocd/applicationset.yaml",
        format!(
            "{HEADER}# One Application per Kubernetes environment, synced from {}.\n{}",
            repo.url,
            to_yaml(&appset::application_set(stack, repo, all))
        ),
    );
    let k = node!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["project.yaml", "applicationset.yaml"],
    });
    set.insert(
        "gitops/argocd/kustomization.yaml",
        format!(
            "{HEADER}# kubectl apply -k {}/gitops/argocd\n{}",
            repo.path,
            to_yaml(&k)
        ),
    );
    set
}

/// The overlay an environment's Application syncs, relative to the repository root.
pub fn overlay_path(repo: &RepositoryModel, env: &str) -> String {
    if repo.path.is_empty() {
        format!("k8s/overlays/{env}")
    } else {
        format!("{}/k8s/overlays/{env}", repo.path)
    }
}

fn labels(stack: &str) -> Node<'_> {
    node!({ "app.kubernetes.io/part-of": stack, "app.kubernetes.io/managed-by": "berth" })
}
