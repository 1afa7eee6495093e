//! A Kubernetes object as Berth builds it: its [`Kind`] (apiVersion, kind and apply order,
//! fixed at compile time), its name, the workload or store it belongs to, and the whole
//! object as a [`Node`] tree (what the hydrated file writes and the Kustomize base and overlays
//! compare).

use crate::tree::{Node, Text};

/// Every kind of object Berth renders into an environment. The order of the variants is the
/// apply order: what others refer to comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Namespace,
    ClusterSecretStore,
    ServiceAccount,
    Role,
    RoleBinding,
    ConfigMap,
    ExternalSecret,
    Service,
    PersistentVolumeClaim,
    AnalysisTemplate,
    StatefulSet,
    Deployment,
    Rollout,
    Job,
    CronJob,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    Ingress,
    ServiceMonitor,
    PrometheusRule,
    NetworkPolicy,
}

impl Kind {
    /// Every kind, in apply order.
    pub const ALL: [Kind; 21] = [
        Kind::Namespace,
        Kind::ClusterSecretStore,
        Kind::ServiceAccount,
        Kind::Role,
        Kind::RoleBinding,
        Kind::ConfigMap,
        Kind::ExternalSecret,
        Kind::Service,
        Kind::PersistentVolumeClaim,
        Kind::AnalysisTemplate,
        Kind::StatefulSet,
        Kind::Deployment,
        Kind::Rollout,
        Kind::Job,
        Kind::CronJob,
        Kind::HorizontalPodAutoscaler,
        Kind::PodDisruptionBudget,
        Kind::Ingress,
        Kind::ServiceMonitor,
        Kind::PrometheusRule,
        Kind::NetworkPolicy,
    ];

    /// `apiVersion` and `kind`.
    pub const fn type_meta(self) -> (&'static str, &'static str) {
        match self {
            Kind::Namespace => ("v1", "Namespace"),
            Kind::ClusterSecretStore => ("external-secrets.io/v1", "ClusterSecretStore"),
            Kind::ServiceAccount => ("v1", "ServiceAccount"),
            Kind::Role => ("rbac.authorization.k8s.io/v1", "Role"),
            Kind::RoleBinding => ("rbac.authorization.k8s.io/v1", "RoleBinding"),
            Kind::ConfigMap => ("v1", "ConfigMap"),
            Kind::ExternalSecret => ("external-secrets.io/v1", "ExternalSecret"),
            Kind::Service => ("v1", "Service"),
            Kind::PersistentVolumeClaim => ("v1", "PersistentVolumeClaim"),
            Kind::StatefulSet => ("apps/v1", "StatefulSet"),
            Kind::Deployment => ("apps/v1", "Deployment"),
            Kind::Rollout => ("argoproj.io/v1alpha1", "Rollout"),
            Kind::AnalysisTemplate => ("argoproj.io/v1alpha1", "AnalysisTemplate"),
            Kind::Job => ("batch/v1", "Job"),
            Kind::CronJob => ("batch/v1", "CronJob"),
            Kind::HorizontalPodAutoscaler => ("autoscaling/v2", "HorizontalPodAutoscaler"),
            Kind::PodDisruptionBudget => ("policy/v1", "PodDisruptionBudget"),
            Kind::Ingress => ("networking.k8s.io/v1", "Ingress"),
            Kind::ServiceMonitor => ("monitoring.coreos.com/v1", "ServiceMonitor"),
            Kind::PrometheusRule => ("monitoring.coreos.com/v1", "PrometheusRule"),
            Kind::NetworkPolicy => ("networking.k8s.io/v1", "NetworkPolicy"),
        }
    }

    pub const fn api_version(self) -> &'static str {
        self.type_meta().0
    }

    pub const fn name(self) -> &'static str {
        self.type_meta().1
    }

    /// The kind in lower case: base file names (`api/deployment.yaml`) and patch file names.
    pub const fn file_stem(self) -> &'static str {
        match self {
            Kind::Namespace => "namespace",
            Kind::ClusterSecretStore => "clustersecretstore",
            Kind::ServiceAccount => "serviceaccount",
            Kind::Role => "role",
            Kind::RoleBinding => "rolebinding",
            Kind::ConfigMap => "configmap",
            Kind::ExternalSecret => "externalsecret",
            Kind::Service => "service",
            Kind::PersistentVolumeClaim => "persistentvolumeclaim",
            Kind::StatefulSet => "statefulset",
            Kind::Deployment => "deployment",
            Kind::Rollout => "rollout",
            Kind::AnalysisTemplate => "analysistemplate",
            Kind::Job => "job",
            Kind::CronJob => "cronjob",
            Kind::HorizontalPodAutoscaler => "horizontalpodautoscaler",
            Kind::PodDisruptionBudget => "poddisruptionbudget",
            Kind::Ingress => "ingress",
            Kind::ServiceMonitor => "servicemonitor",
            Kind::PrometheusRule => "prometheusrule",
            Kind::NetworkPolicy => "networkpolicy",
        }
    }

    /// The API group (empty for the core group).
    pub fn group(self) -> &'static str {
        self.api_version().rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// Cluster-scoped kinds get no namespace.
    pub const fn cluster_scoped(self) -> bool {
        matches!(self, Kind::Namespace | Kind::ClusterSecretStore)
    }
}

/// An object's `metadata`: name, labels and (when there are any) annotations, in that order.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    pub name: Text<'a>,
    pub labels: Node<'a>,
    pub annotations: Vec<(&'a str, Node<'a>)>,
}

impl<'a> Meta<'a> {
    pub fn new(name: impl Into<Text<'a>>, labels: Node<'a>) -> Self {
        Meta {
            name: name.into(),
            labels,
            annotations: Vec::new(),
        }
    }

    /// Adds annotation `key` (a fixed key Berth writes).
    pub fn annotate(&mut self, key: &'static str, value: impl Into<Node<'a>>) {
        self.annotations.push((key, value.into()));
    }

    pub fn with(mut self, key: &'static str, value: impl Into<Node<'a>>) -> Self {
        self.annotate(key, value);
        self
    }

    fn into_node(self) -> Node<'a> {
        let mut m = Vec::with_capacity(2 + usize::from(!self.annotations.is_empty()));
        m.push(("name", Node::Str(self.name)));
        m.push(("labels", self.labels));
        if !self.annotations.is_empty() {
            m.push(("annotations", Node::Map(self.annotations)));
        }
        Node::Map(m)
    }
}

/// One Kubernetes object of an environment.
#[derive(Debug, Clone)]
pub struct Obj<'a> {
    /// The workload or store it belongs to (its base file's directory; the stack name for
    /// stack-wide objects).
    pub owner: Text<'a>,
    kind: Kind,
    name: Text<'a>,
    tree: Node<'a>,
}

impl<'a> Obj<'a> {
    /// `{apiVersion, kind, metadata, …body}` with the parts moved in.
    pub fn new<const N: usize>(
        owner: impl Into<Text<'a>>,
        kind: Kind,
        meta: Meta<'a>,
        body: [(&'static str, Node<'a>); N],
    ) -> Self {
        let name = meta.name.clone();
        let mut m = Vec::with_capacity(3 + N);
        m.push(("apiVersion", Node::from(kind.api_version())));
        m.push(("kind", Node::from(kind.name())));
        m.push(("metadata", meta.into_node()));
        m.extend(body);
        Obj {
            owner: owner.into(),
            kind,
            name,
            tree: Node::Map(m),
        }
    }

    /// An object of `kind` named `name` whose tree is `tree` (the base builds its objects
    /// from the environments' this way).
    pub fn from_tree(owner: Text<'a>, kind: Kind, name: Text<'a>, tree: Node<'a>) -> Self {
        Obj {
            owner,
            kind,
            name,
            tree,
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Sets annotation `key` to `value` unless the object has that annotation already.
    pub fn annotate_default(&mut self, key: &'static str, value: &'static str) {
        let Node::Map(top) = &mut self.tree else {
            return;
        };
        let Some((_, Node::Map(meta))) = top.iter_mut().find(|(k, _)| *k == "metadata") else {
            return;
        };
        match meta.iter_mut().find(|(k, _)| *k == "annotations") {
            Some((_, Node::Map(a))) if !a.iter().any(|(k, _)| *k == key) => {
                a.push((key, Node::from(value)));
            }
            Some(_) => {}
            None => meta.push(("annotations", Node::Map(vec![(key, Node::from(value))]))),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// (kind, name): unique within an environment.
    pub fn id(&self) -> (Kind, &str) {
        (self.kind, &self.name)
    }

    /// The whole object.
    pub fn tree(&self) -> &Node<'a> {
        &self.tree
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::node;

    #[test]
    fn kinds_in_apply_order_with_their_api_versions() {
        assert!(Kind::Namespace < Kind::ServiceAccount);
        assert!(Kind::StatefulSet < Kind::Deployment);
        assert!(Kind::Ingress < Kind::NetworkPolicy);
        assert_eq!(
            Kind::HorizontalPodAutoscaler.type_meta(),
            ("autoscaling/v2", "HorizontalPodAutoscaler")
        );
        assert!(Kind::ALL.windows(2).all(|w| w[0] < w[1]));
        for k in Kind::ALL {
            assert_eq!(k.file_stem(), k.name().to_lowercase());
        }
        assert!(Kind::ClusterSecretStore.cluster_scoped());
        assert!(!Kind::Service.cluster_scoped());
    }

    #[test]
    fn object_tree_has_type_meta_then_metadata_then_body() {
        let meta = Meta::new("api", node!({ "app": "api" })).with("note", "x");
        let o = Obj::new(
            "api",
            Kind::Service,
            meta,
            [("spec", node!({ "type": "ClusterIP" }))],
        );
        assert_eq!(o.id(), (Kind::Service, "api"));
        assert_eq!(
            serde_json::to_string(o.tree()).unwrap(),
            r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"api","labels":{"app":"api"},"annotations":{"note":"x"}},"spec":{"type":"ClusterIP"}}"#
        );
    }
}
