//! `berth backup ENV STORE` and `berth restore ENV STORE [--from ID]` on a compose
//! environment: the dump runs in the store's own container (its tools, its password variable),
//! and `docker compose cp` moves the file between the container and the host, where backups
//! are kept under `.berth/backups/ENV/STORE/ID.EXT` (ID: the UTC time, `20261202T210455Z`).
//! Both are plans first ([`BackupPlan`]: the exact commands), printed by `--dry-run`.

use super::{ComposeDriver, DriveError, Files, Observer};
use crate::process::Cmd;
use berth_render::backup;
use berth_spec::model::{Realized, StoreModel};
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Inside the store's container, where a file is staged between the host and the tools.
const STAGE: &str = "/tmp/berth-backup";

/// What a backup or restore does, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupPlan {
    pub environment: String,
    pub store: String,
    /// `backup` or `restore`.
    pub action: &'static str,
    /// The backup's ID (its UTC time).
    pub id: String,
    /// The file on the host.
    pub file: PathBuf,
    /// The backup in the stack's object store (`s3://BUCKET/backups/STORE/STORE-ID.EXT`), when
    /// the environment has an `s3` store: a backup is uploaded there, a restore reads it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The commands, each as argv.
    pub steps: Vec<Vec<String>>,
}

/// The object store a compose environment's backups go to: the `s3` store's container, the
/// client that runs in it, the bucket.
struct Bucket<'a> {
    service: &'a str,
    client: backup::Client,
    name: String,
}

/// `20261202T210455Z` of a time.
pub fn backup_id(t: SystemTime) -> String {
    crate::clock::rfc3339(t).replace(['-', ':'], "")
}

impl ComposeDriver<'_> {
    /// Where the store's backups are kept on the host.
    pub fn backup_dir(&self, store: &str) -> PathBuf {
        self.ws.dir.join("backups").join(self.env()).join(store)
    }

    fn backed_store(&self, name: &str) -> Result<&StoreModel, DriveError> {
        let store = self.model.store(name).ok_or_else(|| {
            DriveError::Backup(format!(
                "`{name}` is not a store of `{}`; stores: {}",
                self.env(),
                self.model
                    .stores
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if store.realization != Realized::Container {
            return Err(DriveError::Backup(format!(
                "store `{name}` is {} in `{}`: Berth backs up the stores it runs",
                store.realization.name(),
                self.env()
            )));
        }
        Ok(store)
    }

    /// The backup's file, absolute (the commands run in the compose directory).
    fn file_of(&self, store: &StoreModel, id: &str) -> PathBuf {
        let f = self
            .backup_dir(&store.name)
            .join(format!("{id}.{}", backup::extension(store.kind)));
        std::path::absolute(&f).unwrap_or(f)
    }

    fn sh(&self, store: &str, script: String) -> Vec<String> {
        let cmd = self
            .compose_cmd(["exec", "-T", store, "sh", "-c"])
            .arg(script);
        argv(&cmd)
    }

    fn bucket(&self) -> Option<Bucket<'_>> {
        let s3 = backup::object_store(self.model)?;
        let name = s3.wiring.extra.get("BUCKET")?.as_plain()?;
        Some(Bucket {
            // The container that serves the bucket (another store's, when shared).
            service: s3.runner(),
            client: backup::Client::of(s3, true),
            name,
        })
    }

    fn object_url(b: &Bucket, store: &StoreModel, id: &str) -> String {
        format!(
            "s3://{}/{}{}",
            b.name,
            backup::prefix(store),
            backup::file_name(store, id)
        )
    }

    /// Steps that upload the host's `file` to the bucket (the store's old objects pruned after
    /// its `retain` days).
    fn upload_steps(
        &self,
        b: &Bucket,
        store: &StoreModel,
        id: &str,
        file: &str,
    ) -> Vec<Vec<String>> {
        let dir = format!("{STAGE}-upload-{id}");
        let retain = store.backup.as_ref().map(|r| r.retain_days);
        let upload = backup::upload(b.client, &b.name, store, &dir, retain);
        let to = format!("{}:{dir}/{}", b.service, backup::file_name(store, id));
        vec![
            self.sh(b.service, format!("mkdir -p {dir}")),
            argv(&self.compose_cmd(["cp", file, to.as_str()])),
            self.sh(
                b.service,
                format!("( {upload} ); rc=$?; rm -rf {dir}; exit $rc"),
            ),
        ]
    }

    /// Steps that download backup `id` from the bucket to the host's `file`.
    fn fetch_steps(
        &self,
        b: &Bucket,
        store: &StoreModel,
        id: &str,
        file: &str,
    ) -> Vec<Vec<String>> {
        let dir = format!("{STAGE}-fetch-{id}");
        let fetch = backup::fetch(b.client, &b.name, store, Some(id), &dir);
        let from = format!("{}:{dir}/{}", b.service, backup::file_name(store, id));
        vec![
            self.sh(b.service, format!("mkdir -p {dir} && {fetch}")),
            argv(&self.compose_cmd(["cp", from.as_str(), file])),
            self.sh(b.service, format!("rm -rf {dir}")),
        ]
    }

    /// The IDs of the store's backups in the bucket, oldest first (the object store's
    /// container must be running).
    fn bucket_backups(&self, b: &Bucket, store: &StoreModel) -> Result<Vec<String>, DriveError> {
        let list = backup::list(b.client, &b.name, store);
        let out = self.exec(
            &self
                .compose_cmd(["exec", "-T", b.service, "sh", "-c"])
                .arg(list),
        )?;
        let (head, tail) = (
            format!("{}-", store.name),
            format!(".{}", backup::extension(store.kind)),
        );
        let mut ids: Vec<String> = out
            .stdout
            .lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix(&head)?
                    .strip_suffix(&tail)
                    .map(String::from)
            })
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The plan of one backup now.
    pub fn backup_plan(&self, store: &str) -> Result<BackupPlan, DriveError> {
        let s = self.backed_store(store)?;
        let id = backup_id(self.clock.now());
        let file = self.file_of(s, &id);
        let dump = backup::dump(s, "127.0.0.1");
        let mut steps = vec![
            self.sh(
                store,
                format!(
                    "set -e; ( {dump} ) > {STAGE}-{id}.part && mv {STAGE}-{id}.part {STAGE}-{id}"
                ),
            ),
            {
                let (from, to) = (format!("{store}:{STAGE}-{id}"), file.display().to_string());
                argv(&self.compose_cmd(["cp", from.as_str(), to.as_str()]))
            },
            self.sh(store, format!("rm -f {STAGE}-{id}")),
        ];
        let bucket = self.bucket();
        if let Some(b) = &bucket {
            steps.extend(self.upload_steps(b, s, &id, &file.display().to_string()));
        }
        Ok(BackupPlan {
            environment: self.env().into(),
            store: store.into(),
            action: "backup",
            object: bucket.map(|b| Self::object_url(&b, s, &id)),
            id,
            file,
            steps,
        })
    }

    /// The IDs of the store's backups on the host, oldest first.
    pub fn backups(&self, store: &str) -> Vec<String> {
        let Ok(s) = self.backed_store(store) else {
            return Vec::new();
        };
        let ext = format!(".{}", backup::extension(s.kind));
        let mut ids: Vec<String> = std::fs::read_dir(self.backup_dir(store))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(&ext).map(String::from))
            .collect();
        ids.sort();
        ids
    }

    /// The plan of a restore from backup `from` (default: the newest).
    pub fn restore_plan(&self, store: &str, from: Option<&str>) -> Result<BackupPlan, DriveError> {
        let s = self.backed_store(store)?;
        let bucket = self.bucket();
        let (ids, place) = match &bucket {
            Some(b) => (
                self.bucket_backups(b, s)?,
                format!("s3://{}/{}", b.name, backup::prefix(s)),
            ),
            None => (
                self.backups(store),
                self.backup_dir(store).display().to_string(),
            ),
        };
        let id = match from {
            Some(id) if ids.iter().any(|i| i == id) => id.to_string(),
            Some(id) => {
                return Err(DriveError::Backup(format!(
                    "no backup `{id}` of `{store}` in {place}; backups: {}",
                    list(&ids)
                )))
            }
            None => ids.last().cloned().ok_or_else(|| {
                DriveError::Backup(format!(
                    "no backup of `{store}` in {place}: make one with `berth backup {} {store}`",
                    self.env()
                ))
            })?,
        };
        let file = self.file_of(s, &id);
        let restore = backup::restore(s, "127.0.0.1");
        let mut steps = match &bucket {
            Some(b) => self.fetch_steps(b, s, &id, &file.display().to_string()),
            None => Vec::new(),
        };
        steps.extend([
            {
                let (from, to) = (file.display().to_string(), format!("{store}:{STAGE}-{id}"));
                argv(&self.compose_cmd(["cp", from.as_str(), to.as_str()]))
            },
            self.sh(store, format!("set -e; ( {restore} ) < {STAGE}-{id}")),
            // `docker compose cp` wrote the file as root; the store's user cannot remove it.
            argv(
                &self
                    .compose_cmd(["exec", "-T", "-u", "0", store, "rm", "-f"])
                    .arg(format!("{STAGE}-{id}")),
            ),
        ]);
        Ok(BackupPlan {
            environment: self.env().into(),
            store: store.into(),
            action: "restore",
            object: bucket.map(|b| Self::object_url(&b, s, &id)),
            id,
            file,
            steps,
        })
    }

    /// Execute a backup or restore plan. The store must be running.
    pub fn execute_backup(
        &self,
        _files: &Files,
        plan: &BackupPlan,
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let mut needed = vec![plan.store.clone()];
        if plan.object.is_some() {
            needed.extend(self.bucket().map(|b| b.service.to_string()));
        }
        let ps = self.ps()?;
        let stopped: Vec<String> = needed
            .into_iter()
            .filter(|n| !ps.iter().any(|c| &c.service == n && c.state == "running"))
            .collect();
        if !stopped.is_empty() {
            return Err(DriveError::StoresNotRunning { stores: stopped });
        }
        if let Some(dir) = plan.file.parent() {
            std::fs::create_dir_all(dir).map_err(|source| DriveError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        for step in &plan.steps {
            obs.step(&format!(
                "{} {}: {}",
                plan.action,
                plan.store,
                step.last().map(String::as_str).unwrap_or("")
            ));
            self.exec(
                &Cmd::new(&step[0])
                    .args(step[1..].iter().cloned())
                    .cwd(self.ws.compose_dir(self.env())),
            )?;
        }
        if plan.action == "restore" {
            let unit = self.unit(&plan.store)?.clone();
            self.wait(std::slice::from_ref(&unit), timeout, obs)?;
        }
        Ok(())
    }
}

fn argv(cmd: &Cmd) -> Vec<String> {
    std::iter::once(cmd.program.clone())
        .chain(cmd.args.iter().cloned())
        .collect()
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}
