//! Scheduled backups of a store (`backup: { schedule, retain }`): a CronJob in the store's
//! image that writes one dump per run into the backup [`Target`] (a PersistentVolumeClaim
//! `<store>-backups`) and removes the ones older than `retain` days; its NetworkPolicy lets it
//! reach only the store and DNS. Hardened like every pod: non-root, read-only root, no token.
//!
//! Stores in the cluster are backed up this way; a managed PostgreSQL (RDS) is also dumped
//! logically beside its native automated backups (Terraform sets their retention to the same
//! days), so `berth restore` can bring a dump back anywhere. Other managed engines rely on
//! their native backups alone.

use super::netpol;
use super::object::{Kind, Meta, Obj};
use super::parts::{
    container_security, empty_dir, esc, esc_text, labels, mount, pod_security, pod_skips,
    pull_policy, secret_key_env, skips,
};
use super::secrets::secret_ref;
use crate::backup::{self, Target, BACKUP_DIR};
use crate::tree::{node, Node};
use berth_spec::model::{BackupModel, EnvValue, Part, Realized, StoreModel};
use berth_spec::{Model, StoreType};

/// Finished backup Jobs kept for inspection.
const HISTORY: u32 = 3;

/// Whether Berth renders a backup CronJob for the store in this environment.
pub fn scheduled(store: &StoreModel) -> Option<&BackupModel> {
    let b = store.backup.as_ref()?;
    let dumps = match store.realization {
        Realized::InCluster => true,
        Realized::Managed => store.kind == StoreType::Postgres,
        _ => false,
    };
    dumps.then_some(b)
}

/// The name of the store's backup CronJob (and of its pods).
pub fn cronjob_name(store: &StoreModel) -> String {
    format!("{}-backup", store.name)
}

pub fn objects<'a>(model: &'a Model, store: &'a StoreModel) -> Vec<Obj<'a>> {
    let Some(b) = scheduled(store) else {
        return Vec::new();
    };
    let name = cronjob_name(store);
    let lab = labels(model, name.clone(), "backup");
    let mut objs = vec![Obj::new(
        store.name.as_str(),
        Kind::ServiceAccount,
        Meta::new(name.clone(), lab.clone()),
        [("automountServiceAccountToken", Node::Bool(false))],
    )];
    if let Target::Volume { claim } = backup::target(model, store) {
        let pvc = node!({
            "accessModes": ["ReadWriteOnce"],
            "resources": { "requests": { "storage": store.storage.as_str() } },
        });
        objs.push(Obj::new(
            store.name.as_str(),
            Kind::PersistentVolumeClaim,
            Meta::new(claim, lab.clone()),
            [("spec", pvc)],
        ));
    }
    objs.push(cronjob(model, store, b, &name, lab));
    objs.push(netpol::backup(model, store, name));
    objs
}

/// The backup container's environment: the password (and for a managed store, its host).
fn env<'a>(model: &'a Model, store: &'a StoreModel) -> (Vec<Node<'a>>, String) {
    let var = backup::password_var(store.kind);
    if store.realization == Realized::Managed {
        let (s, k) = secret_ref(model, &store.password_secret, "password");
        let (hs, hk) = secret_ref(model, &store.password_secret, "host");
        let env = vec![
            secret_key_env("BACKUP_HOST", hs, hk),
            secret_key_env(var, s, k),
        ];
        return (env, "\"$BACKUP_HOST\"".to_string());
    }
    let (s, k) = secret_ref(model, &store.password_secret, "value");
    (vec![secret_key_env(var, s, k)], store.name.clone())
}

/// The image of the upload and download container for a managed bucket (the AWS CLI, which
/// finds the pod's EKS Pod Identity credentials itself).
pub const AWS_CLI_IMAGE: &str = "public.ecr.aws/aws-cli/aws-cli:2.27.0";

/// The bucket of the object store, as the upload container reads it.
const BUCKET: &str = "\"$S3_BUCKET\"";

/// (variable, wiring suffix) of the object store's wiring the upload container reads.
const S3_VARS: [(&str, &str); 5] = [
    ("S3_BUCKET", "BUCKET"),
    ("AWS_ENDPOINT_URL", "ENDPOINT"),
    ("AWS_DEFAULT_REGION", "REGION"),
    ("AWS_ACCESS_KEY_ID", "ACCESS_KEY_ID"),
    ("AWS_SECRET_ACCESS_KEY", "SECRET_ACCESS_KEY"),
];

/// The secrets (secret, key) the upload container of the object store `s3` reads.
pub fn s3_secret_refs(s3: &StoreModel) -> Vec<(&str, &str)> {
    S3_VARS
        .iter()
        .filter_map(|(_, suffix)| s3.wiring.extra.get(*suffix))
        .flat_map(|v| v.secret_refs())
        .collect()
}

/// One variable of the upload container: a literal or one secret key.
fn wiring_env<'a>(model: &Model, name: &'a str, v: &'a EnvValue) -> Node<'a> {
    match v.0.as_slice() {
        [Part::Secret { secret, key }] => {
            let (s, k) = secret_ref(model, secret, key);
            secret_key_env(name, s, k)
        }
        _ => node!({ "name": name, "value": esc(&v.render(|_, _| String::new())) }),
    }
}

/// A container that runs `script` with the backup volume at [`BACKUP_DIR`] and a scratch
/// `/tmp`.
fn container<'a>(
    model: &'a Model,
    name: &'static str,
    image: Option<String>,
    script: &str,
    env: Vec<Node<'a>>,
) -> Node<'a> {
    node!({
        "name": name,
        "image": image,
        "imagePullPolicy": pull_policy(model),
        "command": ["sh", "-c", esc_text(script).into_owned()],
        "env": env,
        "resources": {
            "requests": { "cpu": "50m", "memory": "128Mi" },
            "limits": { "cpu": "500m", "memory": "512Mi" },
        },
        "securityContext": container_security(),
        "volumeMounts": [mount("backups", BACKUP_DIR), mount("tmp", "/tmp")],
    })
}

/// The container that moves backups between [`BACKUP_DIR`] and the object store `s3`:
/// `script` gets the client and the bucket.
fn s3_container<'a>(
    model: &'a Model,
    s3: &'a StoreModel,
    name: &'static str,
    script: impl FnOnce(backup::Client, &str) -> String,
) -> Node<'a> {
    let client = backup::Client::of(s3, false);
    let image = match s3.realization {
        Realized::Managed => Some(AWS_CLI_IMAGE.to_string()),
        _ => s3.image.as_ref().map(ToString::to_string),
    };
    let mut env: Vec<Node> = S3_VARS
        .iter()
        .filter_map(|(var, suffix)| Some(wiring_env(model, var, s3.wiring.extra.get(*suffix)?)))
        .collect();
    // The clients keep their configuration under $HOME (mc: MC_CONFIG_DIR); the root is
    // read-only.
    env.push(node!({ "name": "HOME", "value": "/tmp" }));
    env.push(node!({ "name": "MC_CONFIG_DIR", "value": "/tmp/.mc" }));
    container(model, name, image, &script(client, BUCKET), env)
}

/// The pod of a backup or restore run: `init` then `main`, the backup volume (the claim, or an
/// emptyDir between the two containers for an object store) and a scratch `/tmp`.
fn pod<'a>(
    model: &'a Model,
    store: &'a StoreModel,
    name: &str,
    (init, main): (Option<Node<'a>>, Node<'a>),
    lab: Node<'a>,
) -> Node<'a> {
    let volume = match backup::target(model, store) {
        Target::Volume { claim } => {
            node!({ "name": "backups", "persistentVolumeClaim": { "claimName": claim } })
        }
        Target::Object { .. } => {
            node!({ "name": "backups", "emptyDir": { "sizeLimit": store.storage.as_str() } })
        }
    };
    let mut spec = node!({
        "serviceAccountName": name.to_string(),
        "automountServiceAccountToken": false,
        "securityContext": pod_security(),
        "restartPolicy": "OnFailure",
    });
    if let Some(init) = init {
        spec.insert("initContainers", Node::List(vec![init]));
    }
    spec.insert("containers", Node::List(vec![main]));
    spec.insert("volumes", node!([volume, empty_dir("tmp", "1Gi")]));
    node!({ "metadata": { "labels": lab }, "spec": spec })
}

/// The containers of one scheduled backup: the dump (pruning the volume), or the dump into
/// the emptyDir and the upload (pruning the bucket by name, except a managed bucket, whose
/// lifecycle rule expires the prefix).
fn backup_containers<'a>(
    model: &'a Model,
    store: &'a StoreModel,
    retain: u32,
) -> (Option<Node<'a>>, Node<'a>) {
    let (env, host) = env(model, store);
    let image = store.image.as_ref().map(ToString::to_string);
    match backup::target(model, store) {
        Target::Volume { .. } => {
            let script = backup::scheduled(store, &host, Some(retain));
            (None, container(model, "backup", image, &script, env))
        }
        Target::Object { store: s3 } => {
            let dump = container(
                model,
                "dump",
                image,
                &backup::scheduled(store, &host, None),
                env,
            );
            let prune = (s3.realization != Realized::Managed).then_some(retain);
            let upload = s3_container(model, s3, "upload", |c, bucket| {
                backup::upload(c, bucket, store, BACKUP_DIR, prune)
            });
            (Some(dump), upload)
        }
    }
}

fn cronjob<'a>(
    model: &'a Model,
    store: &'a StoreModel,
    b: &BackupModel,
    name: &str,
    lab: Node<'a>,
) -> Obj<'a> {
    let containers = backup_containers(model, store, b.retain_days);
    let pod = pod(model, store, name, containers, lab.clone());
    let spec = node!({
        "schedule": b.schedule.clone(),
        "timeZone": "Etc/UTC",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 600,
        "successfulJobsHistoryLimit": HISTORY,
        "failedJobsHistoryLimit": HISTORY,
        "jobTemplate": { "spec": { "backoffLimit": 2, "template": pod } },
    });
    let mut meta = Meta::new(name.to_string(), lab);
    skips(&mut meta, &pod_skips(model));
    Obj::new(store.name.as_str(), Kind::CronJob, meta, [("spec", spec)])
}

/// A Job that restores the store from backup `id` (the newest without one), as YAML for
/// `kubectl create -f -`; `None` when the store has no backups here. From an object store an
/// init container downloads the backup into the emptyDir first.
pub fn restore_job(
    model: &Model,
    store: &StoreModel,
    id: Option<&str>,
    job: &str,
) -> Option<String> {
    scheduled(store)?;
    let name = cronjob_name(store);
    let ext = backup::extension(store.kind);
    let pick = match id {
        Some(id) => format!("f={BACKUP_DIR}/{}", backup::file_name(store, id)),
        None => format!("f=$(ls -1 {BACKUP_DIR}/{}-*.{ext} | tail -n 1)", store.name),
    };
    let (env, host) = env(model, store);
    let script = format!(
        "set -eu; {pick}; test -f \"$f\"; echo \"restore $f\"; ( {} ) < \"$f\"",
        backup::restore(store, &host)
    );
    let fetch = match backup::target(model, store) {
        Target::Volume { .. } => None,
        Target::Object { store: s3 } => Some(s3_container(model, s3, "fetch", |c, bucket| {
            backup::fetch(c, bucket, store, id, BACKUP_DIR)
        })),
    };
    let image = store.image.as_ref().map(ToString::to_string);
    let main = container(model, "restore", image, &script, env);
    let lab = labels(model, name.clone(), "backup");
    let mut meta = Meta::new(job.to_string(), lab.clone());
    skips(&mut meta, &pod_skips(model));
    let spec = node!({
        "backoffLimit": 0,
        "ttlSecondsAfterFinished": super::parts::JOB_TTL_SECONDS,
        "template": pod(model, store, &name, (fetch, main), lab),
    });
    let obj = Obj::new(store.name.as_str(), Kind::Job, meta, [("spec", spec)]);
    let mut out = String::new();
    crate::yaml::append(&mut out, obj.tree(), Some(&model.namespace));
    Some(out)
}
