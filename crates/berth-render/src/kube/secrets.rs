//! Secrets by reference only. A secret whose source is AWS Secrets Manager becomes an
//! ExternalSecret (through the ClusterSecretStore `aws-secrets-manager`) that makes a Kubernetes
//! Secret of the same name; every other secret (generated into `.berth/` state, read from the
//! host environment or a file) becomes a key of the one Secret `<stack>-secrets`, which the
//! driver creates in the cluster from those values ([`secret_object`], piped to kubectl, never
//! written to a file); the overlay only refers to it by name. No value is ever part of a
//! rendered file.

use super::object::{Kind, Meta, Obj};
use super::parts::labels;
use crate::tree::node;
use crate::tree::Node;
use berth_spec::model::{SecretModel, SecretSource, StoreModel};
use berth_spec::Model;

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

/// Whether a store's own pods need its password (it runs in the cluster and has one: LocalStack,
/// OpenSearch and Mailpit have none).
pub fn store_needs_password(store: &StoreModel) -> bool {
    store.realization == berth_spec::model::Realized::InCluster && !store.password_secret.is_empty()
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
    // The upload containers of backups read the object store's wiring.
    if let Some(s3) = crate::backup::object_store(model) {
        if model
            .stores
            .iter()
            .any(|s| super::backups::scheduled(s).is_some())
        {
            for (s, k) in super::backups::s3_secret_refs(s3) {
                push(s, k);
            }
        }
    }
    for w in &model.workloads {
        for v in &w.env {
            for (s, k) in v.value.secret_refs() {
                push(s, k);
            }
        }
        for f in &w.secret_files {
            push(&f.secret, "value");
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

/// The keys of the Secret `<stack>-secrets` the driver creates, for the overlay's comment and
/// the plan: (key, secret, secret key), in model order.
pub fn local_secret_keys(model: &Model) -> Vec<(String, String, String)> {
    local_keys(model)
}

/// The overlay's comment on the Secret `<stack>-secrets` (empty when no value is local): which
/// keys it holds and where their values come from; `berth up` creates it, never a file here.
pub fn overlay_note(model: &Model) -> String {
    let keys = local_keys(model);
    if keys.is_empty() {
        return String::new();
    }
    let name = generated_secret_name(model);
    let mut out = format!(
        "# Secret `{name}` is not in these files: `berth up {}` creates it from .berth/ state,\n\
         # the host environment or files (by hand: kubectl create secret generic {name} …).\n\
         # Its keys:\n",
        model.environment,
    );
    for (key, secret, _) in keys {
        let from = match model.secret(&secret).map(|s| &s.source) {
            Some(SecretSource::Generate { length }) => format!("generated ({length} characters)"),
            Some(SecretSource::Env { var }) => format!("host environment variable {var}"),
            Some(SecretSource::File { path }) => format!("file {path}"),
            _ => "unknown".to_string(),
        };
        out.push_str(&format!("#   {key}: {from}\n"));
    }
    out
}

/// A secret value the environment needs but the lookup does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret `{secret}` key `{key}`: {problem}")]
pub struct MissingSecret {
    pub secret: String,
    pub key: String,
    pub problem: String,
}

/// The Secret `<stack>-secrets` with the values `lookup(secret, key)` gives, as one JSON object
/// (what the driver pipes to `kubectl apply -f -`); None when no value is local. Pure: the
/// values go from the caller to the cluster and are never written to a file.
pub fn secret_object(
    model: &Model,
    lookup: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<Option<serde_json::Value>, MissingSecret> {
    let keys = local_keys(model);
    if keys.is_empty() {
        return Ok(None);
    }
    let mut data = serde_json::Map::new();
    for (key, secret, k) in keys {
        let value = lookup(&secret, &k).ok_or_else(|| MissingSecret {
            secret: secret.clone(),
            key: k.clone(),
            problem: "no value (set its source, e.g. the environment variable it reads)".into(),
        })?;
        data.insert(key, serde_json::Value::String(value));
    }
    Ok(Some(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": generated_secret_name(model),
            "namespace": model.namespace,
            "labels": {
                "app.kubernetes.io/part-of": model.stack,
                "app.kubernetes.io/managed-by": "berth",
            },
        },
        "type": "Opaque",
        "stringData": data,
    })))
}
