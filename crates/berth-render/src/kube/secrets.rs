//! Secrets by reference only. A secret whose source is AWS Secrets Manager becomes an
//! ExternalSecret (through the ClusterSecretStore `aws-secrets-manager`) that makes a Kubernetes
//! Secret of the same name; every other secret (generated into `.berth/` state, read from the
//! host environment or a file) becomes a key of the one Secret `<stack>-secrets`, which the
//! overlay's `secretGenerator` builds from the git-ignored `secrets.env` that the driver writes
//! ([`secret_env_file`]). No value is ever part of a rendered file.

use super::object::{Kind, Meta, Obj};
use super::parts::{labels, HEADER};
use crate::artifact::ArtifactSet;
use crate::tree::node;
use crate::tree::Node;
use berth_spec::model::{SecretModel, SecretSource, StoreModel};
use berth_spec::Model;

/// The env file of local secret values in an overlay (git-ignored).
pub const GENERATED_SECRET_FILE: &str = "secrets.env";

/// The ClusterSecretStore every cloud environment reads from.
pub const CLUSTER_SECRET_STORE: &str = "aws-secrets-manager";

/// The Secret built from local values.
pub fn generated_secret_name(model: &Model) -> String {
    format!("{}-secrets", model.stack)
}

fn is_aws(model: &Model, secret: &str) -> bool {
    matches!(
        model.secret(secret).map(|s| &s.source),
        Some(SecretSource::Aws { .. })
    )
}

/// The Kubernetes Secret and key that hold `key` of model secret `secret`.
pub fn secret_ref(model: &Model, secret: &str, key: &str) -> (String, String) {
    if is_aws(model, secret) {
        (secret.to_string(), key.to_string())
    } else {
        (generated_secret_name(model), local_key(secret, key))
    }
}

fn local_key(secret: &str, key: &str) -> String {
    if key == "value" {
        secret.to_string()
    } else {
        format!("{secret}.{key}")
    }
}

/// Whether a store's own pods need its password (it runs in the cluster).
pub fn store_needs_password(store: &StoreModel) -> bool {
    store.realization == berth_spec::model::Realized::InCluster
}

/// Every (secret, key) the environment's pods read, in model order, without repeats.
pub fn used_refs(model: &Model) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |s: &str, k: &str| {
        if !out.iter().any(|(a, b)| a == s && b == k) {
            out.push((s.to_string(), k.to_string()));
        }
    };
    for store in model.stores.iter().filter(|s| store_needs_password(s)) {
        push(&store.password_secret, "value");
    }
    for w in &model.workloads {
        for v in &w.env {
            for (s, k) in v.value.secret_refs() {
                push(s, k);
            }
        }
    }
    out
}

/// The keys of `<stack>-secrets`: (key, secret, secret key).
fn local_keys(model: &Model) -> Vec<(String, String, String)> {
    used_refs(model)
        .into_iter()
        .filter(|(s, _)| !is_aws(model, s))
        .map(|(s, k)| (local_key(&s, &k), s, k))
        .collect()
}

/// Whether the overlay has a `secretGenerator` (some secret values are local).
pub fn has_local(model: &Model) -> bool {
    !local_keys(model).is_empty()
}

/// ClusterSecretStore and ExternalSecrets of the environment.
pub fn objects(model: &Model) -> Vec<Obj<'_>> {
    let mut aws: Vec<&SecretModel> = Vec::new();
    for (s, _) in used_refs(model) {
        if let Some(sm) = model.secret(&s) {
            if matches!(sm.source, SecretSource::Aws { .. }) && !aws.iter().any(|a| a.name == s) {
                aws.push(sm);
            }
        }
    }
    if aws.is_empty() {
        return Vec::new();
    }
    let mut objs = vec![cluster_secret_store(model)];
    objs.extend(aws.into_iter().filter_map(|sm| external_secret(model, sm)));
    objs
}

/// The ExternalSecret that makes Secret `sm.name` from its AWS secret.
fn external_secret<'a>(model: &'a Model, sm: &'a SecretModel) -> Option<Obj<'a>> {
    let SecretSource::Aws { name: remote, .. } = &sm.source else {
        return None;
    };
    let data: Node = sm
        .keys
        .iter()
        .map(|k| {
            let mut r = node!({ "key": remote });
            // A secret with the one key `value` is a plain string; connection secrets are
            // JSON with the keys url, host, port, user, password (the Terraform contract).
            if sm.keys.len() > 1 || k != "value" {
                r.insert("property", k);
            }
            node!({ "secretKey": k, "remoteRef": r })
        })
        .collect();
    let meta = Meta::new(sm.name.as_str(), labels(model, sm.name.as_str(), "secret"))
        .with("berth.dev/purpose", &sm.purpose);
    Some(Obj::new(
        model.stack.as_str(),
        Kind::ExternalSecret,
        meta,
        [(
            "spec",
            node!({
                "refreshInterval": "1h",
                "secretStoreRef": { "kind": "ClusterSecretStore", "name": CLUSTER_SECRET_STORE },
                "target": { "name": &sm.name, "creationPolicy": "Owner" },
                "data": data,
            }),
        )],
    ))
}

fn cluster_secret_store(model: &Model) -> Obj<'_> {
    let region = model.region.as_deref().unwrap_or("us-east-1");
    Obj::new(
        model.stack.as_str(),
        Kind::ClusterSecretStore,
        Meta::new(
            CLUSTER_SECRET_STORE,
            node!({ "app.kubernetes.io/managed-by": "berth" }),
        ),
        [(
            "spec",
            node!({
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": region,
                        // IRSA: Terraform creates the role this service account assumes.
                        "auth": {
                            "jwt": {
                                "serviceAccountRef": {
                                    "name": "external-secrets",
                                    "namespace": "external-secrets",
                                },
                            },
                        },
                    },
                },
            }),
        )],
    )
}

/// The overlay's `secretGenerator` entry, when some values are local.
pub fn generator(model: &Model) -> Option<Node<'_>> {
    has_local(model).then(|| {
        node!([{
            "name": generated_secret_name(model),
            "envs": [GENERATED_SECRET_FILE],
            "options": {
                // Workloads name the Secret directly (also in the hydrated file).
                "disableNameSuffixHash": true,
                "labels": { "app.kubernetes.io/part-of": &model.stack, "app.kubernetes.io/managed-by": "berth" },
            },
        }])
    })
}

/// `secrets.env.example`: the key names `secrets.env` must hold, never a value.
pub fn env_example(model: &Model) -> String {
    let mut out = format!(
        "{}# Keys of the Secret `{}`. `berth deploy` writes them, with values from .berth/ state,\n\
         # the host environment or files, to {GENERATED_SECRET_FILE} (git-ignored) next to this file.\n",
        HEADER,
        generated_secret_name(model)
    );
    for (key, secret, k) in local_keys(model) {
        let from = match model.secret(&secret).map(|s| &s.source) {
            Some(SecretSource::Generate { length }) => format!("generated ({length} characters)"),
            Some(SecretSource::Env { var }) => format!("host environment variable {var}"),
            Some(SecretSource::File { path }) => format!("file {path}"),
            _ => "unknown".to_string(),
        };
        let what = if k == "value" {
            format!("secret {secret}")
        } else {
            format!("secret {secret}, key {k}")
        };
        out.push_str(&format!("# {what}: {from}\n{key}=\n"));
    }
    out
}

/// A secret value the environment needs but the lookup does not have, or cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret `{secret}` key `{key}`: {problem}")]
pub struct MissingSecret {
    pub secret: String,
    pub key: String,
    pub problem: String,
}

/// `k8s/overlays/ENV/secrets.env` with the values `lookup(secret, key)` gives. Pure; the driver
/// writes it (mode 0600) before `kubectl kustomize`/apply. Kustomize env files hold one line per
/// key, so a value with a line break is refused with a clear error.
pub fn secret_env_file(
    model: &Model,
    lookup: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<ArtifactSet, MissingSecret> {
    let mut set = ArtifactSet::default();
    let keys = local_keys(model);
    if keys.is_empty() {
        return Ok(set);
    }
    let mut text = String::new();
    for (key, secret, k) in keys {
        let value = lookup(&secret, &k).ok_or_else(|| MissingSecret {
            secret: secret.clone(),
            key: k.clone(),
            problem: "no value (run `berth secrets` or set its source)".into(),
        })?;
        if value.contains(['\n', '\r']) {
            return Err(MissingSecret {
                secret,
                key: k,
                problem: "the value has a line break, which a kustomize env file cannot hold"
                    .into(),
            });
        }
        text.push_str(&format!("{key}={value}\n"));
    }
    set.insert(
        format!("k8s/overlays/{}/{GENERATED_SECRET_FILE}", model.environment),
        text,
    );
    Ok(set)
}
