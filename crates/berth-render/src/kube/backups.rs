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
    container_security, empty_dir, esc_text, labels, mount, pod_security, pod_skips, pull_policy,
    secret_key_env, skips,
};
use super::secrets::secret_ref;
use crate::backup::{self, Target, BACKUP_DIR};
use crate::tree::{node, Node};
use berth_spec::model::{BackupModel, Realized, StoreModel};
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
    let Target::Volume { claim } = backup::target(store);
    let name = cronjob_name(store);
    let lab = labels(model, name.clone(), "backup");
    let pvc = node!({
        "accessModes": ["ReadWriteOnce"],
        "resources": { "requests": { "storage": store.storage.as_str() } },
    });
    vec![
        Obj::new(
            store.name.as_str(),
            Kind::ServiceAccount,
            Meta::new(name.clone(), lab.clone()),
            [("automountServiceAccountToken", Node::Bool(false))],
        ),
        Obj::new(
            store.name.as_str(),
            Kind::PersistentVolumeClaim,
            Meta::new(claim, lab.clone()),
            [("spec", pvc)],
        ),
        cronjob(model, store, b, &name, lab),
        netpol::backup(model, store, name),
    ]
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

/// The pod of a backup or restore run: `script` in the store's image, the backup volume at
/// [`BACKUP_DIR`], a scratch `/tmp`.
fn pod<'a>(
    model: &'a Model,
    store: &'a StoreModel,
    name: &str,
    script: &str,
    lab: Node<'a>,
) -> Node<'a> {
    let Target::Volume { claim } = backup::target(store);
    let (env, _) = env(model, store);
    let container = node!({
        "name": "backup",
        "image": store.image.as_ref().map(ToString::to_string),
        "imagePullPolicy": pull_policy(model),
        "command": ["sh", "-c", esc_text(script).into_owned()],
        "env": env,
        "resources": {
            "requests": { "cpu": "50m", "memory": "128Mi" },
            "limits": { "cpu": "500m", "memory": "512Mi" },
        },
        "securityContext": container_security(),
        "volumeMounts": [mount("backups", BACKUP_DIR), mount("tmp", "/tmp")],
    });
    node!({
        "metadata": { "labels": lab },
        "spec": {
            "serviceAccountName": name.to_string(),
            "automountServiceAccountToken": false,
            "securityContext": pod_security(),
            "restartPolicy": "OnFailure",
            "containers": [container],
            "volumes": [
                { "name": "backups", "persistentVolumeClaim": { "claimName": claim } },
                empty_dir("tmp", "1Gi"),
            ],
        },
    })
}

fn cronjob<'a>(
    model: &'a Model,
    store: &'a StoreModel,
    b: &BackupModel,
    name: &str,
    lab: Node<'a>,
) -> Obj<'a> {
    let (_, host) = env(model, store);
    let script = backup::scheduled(store, &host, b.retain_days);
    let pod = pod(model, store, name, &script, lab.clone());
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

/// A Job that restores the store from backup `id` in its volume (the newest without one), as
/// YAML for `kubectl create -f -`; `None` when the store has no backups here.
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
        Some(id) => format!("f={BACKUP_DIR}/{}-{id}.{ext}", store.name),
        None => format!("f=$(ls -1 {BACKUP_DIR}/{}-*.{ext} | tail -n 1)", store.name),
    };
    let (_, host) = env(model, store);
    let script = format!(
        "set -eu; {pick}; test -f \"$f\"; echo \"restore $f\"; ( {} ) < \"$f\"",
        backup::restore(store, &host)
    );
    let lab = labels(model, name.clone(), "backup");
    let mut meta = Meta::new(job.to_string(), lab.clone());
    skips(&mut meta, &pod_skips(model));
    let spec = node!({
        "backoffLimit": 0,
        "ttlSecondsAfterFinished": super::parts::JOB_TTL_SECONDS,
        "template": pod(model, store, &name, &script, lab),
    });
    let obj = Obj::new(store.name.as_str(), Kind::Job, meta, [("spec", spec)]);
    let mut out = String::new();
    crate::yaml::append(&mut out, obj.tree(), Some(&model.namespace));
    Some(out)
}
