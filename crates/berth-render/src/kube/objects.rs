//! The hydrated objects of one environment and the helpers every object builder shares
//! (labels, metadata, hardened security contexts, `$` escaping, checkov skips).

use super::{netpol, secrets, stores, workloads};
use berth_spec::model::Realized;
use berth_spec::StoreType;
use berth_spec::{Cluster, Model};
use serde_json::{json, Map, Value};

/// The UID/GID every workload runs as (the distroless `nonroot` user).
pub const NONROOT: u32 = 65532;

/// One Kubernetes object and the workload or store it belongs to (its base file's directory;
/// the stack name for stack-wide objects).
#[derive(Debug, Clone, PartialEq)]
pub struct Obj {
    pub owner: String,
    pub value: Value,
}

impl Obj {
    pub fn new(owner: impl Into<String>, value: Value) -> Self {
        Obj {
            owner: owner.into(),
            value,
        }
    }

    pub fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }

    pub fn api_version(&self) -> &str {
        self.value["apiVersion"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or_default()
    }

    /// (apiVersion, kind, name): unique within an environment.
    pub fn id(&self) -> (&str, &str, &str) {
        (self.api_version(), self.kind(), self.name())
    }

    pub fn cluster_scoped(&self) -> bool {
        matches!(self.kind(), "Namespace" | "ClusterSecretStore")
    }
}

/// Apply order: what others refer to comes first.
fn rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "ClusterSecretStore" => 1,
        "ServiceAccount" => 2,
        "Role" => 3,
        "RoleBinding" => 4,
        "ConfigMap" => 5,
        "ExternalSecret" => 6,
        "Service" => 7,
        "PersistentVolumeClaim" => 8,
        "StatefulSet" => 9,
        "Deployment" => 10,
        "Job" => 11,
        "HorizontalPodAutoscaler" => 12,
        "PodDisruptionBudget" => 13,
        "Ingress" => 14,
        "NetworkPolicy" => 15,
        _ => 16,
    }
}

/// The objects of the environment in apply order, as the Kustomize base sees them: without
/// the Namespace object and without namespaces (the overlay sets them, and the hydrated file
/// writes them as it serializes: `yaml::to_yaml_namespaced`). Built once per environment per
/// render.
pub fn objects(model: &Model) -> Vec<Obj> {
    let mut objs = secrets::objects(model);
    for store in &model.stores {
        objs.extend(stores::objects(model, store));
    }
    for w in &model.workloads {
        objs.extend(workloads::objects(model, w));
    }
    objs.extend(netpol::objects(model));
    objs.sort_by_key(|o| rank(o.kind()));
    objs
}

/// The environment's Namespace.
pub fn namespace(model: &Model) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": model.namespace,
            "labels": {
                "app.kubernetes.io/part-of": model.stack,
                "app.kubernetes.io/managed-by": "berth",
                // Every pod Berth renders meets the `restricted` Pod Security Standard.
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    })
}

/// The labels of every object of a workload or store.
pub fn labels(model: &Model, name: &str, component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": model.stack,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "berth",
    })
}

/// The labels that select a workload's or store's pods.
pub fn selector(model: &Model, name: &str) -> Value {
    json!({ "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": model.stack })
}

/// A Kubernetes object `{apiVersion, kind, metadata, …rest}` with its parts moved in. Build
/// objects from parts with this and [`map`] rather than `json!`: `json!` copies every
/// interpolated `Value` through its serializer, which made object building several times
/// slower for a large stack (a pod template was copied three times on its way into a
/// Deployment).
pub fn object<const N: usize>(
    api_version: &str,
    kind: &str,
    metadata: Value,
    rest: [(&str, Value); N],
) -> Value {
    let mut m = Map::new();
    m.insert("apiVersion".into(), Value::from(api_version));
    m.insert("kind".into(), Value::from(kind));
    m.insert("metadata".into(), metadata);
    for (k, v) in rest {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

/// A JSON object from (key, value) pairs, the values moved in (see [`object`]).
pub fn map<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// `metadata` with labels and, when there are any, annotations.
pub fn meta(name: &str, labels: &Value, annotations: Map<String, Value>) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("labels".into(), labels.clone());
    if !annotations.is_empty() {
        m.insert("annotations".into(), Value::Object(annotations));
    }
    Value::Object(m)
}

/// checkov skip annotations (`checkov.io/skipN: CHECK=reason`), carried by the object itself.
pub fn skips(annotations: &mut Map<String, Value>, list: &[(&str, &str)]) {
    for (i, (check, reason)) in list.iter().enumerate() {
        annotations.insert(
            format!("checkov.io/skip{}", i + 1),
            json!(format!("{check}={reason}")),
        );
    }
}

/// The skips every pod-bearing object carries.
pub fn pod_skips(model: &Model) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        (
            "CKV_K8S_43",
            "images are pinned by tag; digests are only known after the build",
        ),
        (
            "CKV_K8S_35",
            "the wiring contract delivers secrets as environment variables (secretKeyRef)",
        ),
    ];
    if pull_policy(model) != "Always" {
        v.push((
            "CKV_K8S_15",
            "local cluster: images are loaded into the cluster, not pulled",
        ));
    }
    v
}

/// `Always` in the cloud (tags may move between builds); local clusters run loaded images.
pub fn pull_policy(model: &Model) -> &'static str {
    if model.is_local_cluster() {
        "IfNotPresent"
    } else {
        "Always"
    }
}

/// The pod-level security context: non-root 65532, group-owned volumes, seccomp.
pub fn pod_security() -> Value {
    // Built once: cloning a map is cheaper than building it (no hashing).
    static V: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
        json!({
            "runAsNonRoot": true,
            "runAsUser": NONROOT,
            "runAsGroup": NONROOT,
            "fsGroup": NONROOT,
            "seccompProfile": { "type": "RuntimeDefault" },
        })
    });
    V.clone()
}

/// The container-level security context.
pub fn container_security() -> Value {
    static V: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
        json!({
            "allowPrivilegeEscalation": false,
            "privileged": false,
            "readOnlyRootFilesystem": true,
            "runAsNonRoot": true,
            "runAsUser": NONROOT,
            "runAsGroup": NONROOT,
            "capabilities": { "drop": ["ALL"] },
            "seccompProfile": { "type": "RuntimeDefault" },
        })
    });
    V.clone()
}

/// Kubernetes expands `$(VAR)` in `value`, `command` and `args`; `$$` is a literal `$`.
pub fn esc(s: &str) -> String {
    s.replace('$', "$$")
}

pub fn resources(r: &berth_spec::model::ResourcesModel) -> Value {
    json!({
        "requests": { "cpu": r.cpu_request, "memory": r.memory_request },
        "limits": { "cpu": r.cpu_limit, "memory": r.memory_limit },
    })
}

/// Spread replicas across zones and nodes (best effort: single-zone clusters still schedule).
pub fn topology_spread(model: &Model, name: &str) -> Value {
    let sel = map([("matchLabels", selector(model, name))]);
    let spread = |key: &str| {
        map([
            ("maxSkew", json!(1)),
            ("topologyKey", json!(key)),
            ("whenUnsatisfiable", json!("ScheduleAnyway")),
            ("labelSelector", sel.clone()),
        ])
    };
    json!([
        spread("topology.kubernetes.io/zone"),
        spread("kubernetes.io/hostname")
    ])
}

/// PodDisruptionBudget allowing one pod down at a time; unhealthy pods may always be evicted
/// (so a broken rollout never blocks a node drain).
pub fn pdb(model: &Model, name: &str, component: &str) -> Value {
    object(
        "policy/v1",
        "PodDisruptionBudget",
        meta(name, &labels(model, name, component), Map::new()),
        [(
            "spec",
            map([
                ("maxUnavailable", json!(1)),
                ("unhealthyPodEvictionPolicy", json!("AlwaysAllow")),
                ("selector", map([("matchLabels", selector(model, name))])),
            ]),
        )],
    )
}

pub fn service_account(model: &Model, name: &str, component: &str) -> Value {
    object(
        "v1",
        "ServiceAccount",
        meta(name, &labels(model, name, component), Map::new()),
        [("automountServiceAccountToken", json!(false))],
    )
}

/// The ingress controller of the cluster: (class, namespace, pod labels).
pub fn ingress_controller(model: &Model) -> (&'static str, &'static str, Value) {
    match model.cluster {
        Some(Cluster::K3d) => (
            "traefik",
            "kube-system",
            json!({ "app.kubernetes.io/name": "traefik" }),
        ),
        _ => (
            "nginx",
            "ingress-nginx",
            json!({ "app.kubernetes.io/name": "ingress-nginx" }),
        ),
    }
}

/// Whether `store` runs in the cluster as a MongoDB replica set (and so has an init Job).
pub fn mongo_rs(store: &berth_spec::model::StoreModel) -> bool {
    store.kind == StoreType::Mongodb
        && store.realization == Realized::InCluster
        && store.replica_set.is_some()
}

/// The Job that initialises a store, when it has one.
pub fn store_init_job(store: &berth_spec::model::StoreModel) -> Option<String> {
    mongo_rs(store).then(|| format!("{}-init", store.name))
}

/// FNV-1a 64: a stable content hash for `berth.dev/config-hash` (restarts pods on a change).
pub fn fnv64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// A small fixed container budget (init containers, waiters).
pub fn small_resources() -> Value {
    json!({
        "requests": { "cpu": "10m", "memory": "32Mi" },
        "limits": { "cpu": "100m", "memory": "64Mi" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_hashes() {
        assert_eq!(esc("a$(B)$"), "a$$(B)$$");
        assert_eq!(fnv64(b""), "cbf29ce484222325");
        assert_ne!(fnv64(b"a"), fnv64(b"b"));
    }
}
