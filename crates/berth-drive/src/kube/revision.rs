//! Revisions of a Kubernetes environment: every successful `up`/`deploy` (and `rollback`)
//! records what it applied — each phase's hydrated manifest (never the Secret of local values:
//! the driver creates it separately and it is in no phase file), its rollouts and the image
//! references — in `.berth/revisions/<env>/N.json` and in the cluster as the ConfigMap
//! `<stack>-berth-rev-N` (labelled `app.kubernetes.io/managed-by=berth`). The last
//! [`KEEP`] are kept. `rollback` re-applies one of them.

use super::steps::{self, FIELD_MANAGER};
use super::{KubeDriver, KubeError};
use crate::compose::DriveError;
use crate::fsutil::{self, Content};
use berth_render::plan::{PhaseName, WaitFor};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How many revisions are kept (locally and in the cluster).
pub const KEEP: usize = 10;

/// The ConfigMap key holding the revision as JSON.
pub const KEY: &str = "revision.json";

/// One recorded revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub number: u32,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// `up` (also a recipe's `deploy`) or `rollback`.
    pub command: String,
    /// The revision this one rolled back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<u32>,
    /// The built images' tag (empty when none are built).
    pub tag: String,
    /// Every image the workloads reference.
    pub images: Vec<String>,
    pub phases: Vec<RevisionPhase>,
}

/// One phase as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionPhase {
    /// `namespace`, `config`, `stores`, `jobs`, `services`, `late-jobs`, `ingress`.
    pub phase: String,
    /// `Kind/name` of every object.
    pub objects: Vec<String>,
    /// `kind/name` of every rollout waited for.
    pub rollouts: Vec<String>,
    /// The phase file as applied.
    pub manifest: String,
}

impl RevisionPhase {
    /// Jobs are not re-run by a rollback (migrations only run forward; a Job's template is
    /// immutable): the `jobs` and `late-jobs` phases are left out.
    pub fn restorable(&self) -> bool {
        self.phase != PhaseName::Jobs.word() && self.phase != PhaseName::LateJobs.word()
    }
}

/// One step of `rollback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum RollbackStep {
    /// Server-side apply of the revision's phase manifest (on stdin).
    Apply {
        phase: String,
        objects: Vec<String>,
        command: Vec<String>,
    },
    /// `kubectl rollout status` of every rollout of the phase.
    Wait {
        phase: String,
        rollouts: Vec<String>,
        timeout_s: u64,
    },
}

impl RollbackStep {
    pub fn summary(&self) -> String {
        match self {
            RollbackStep::Apply { phase, objects, .. } => {
                format!("apply {phase}: {}", objects.join(", "))
            }
            RollbackStep::Wait {
                phase,
                rollouts,
                timeout_s,
            } => format!("wait {phase} (≤{timeout_s}s): {}", rollouts.join(", ")),
        }
    }
}

/// The steps that restore `rev` (pure: what `rollback --dry-run` prints).
pub fn rollback_steps(
    rev: &Revision,
    context: &str,
    namespace: &str,
    timeout_s: u64,
) -> Vec<RollbackStep> {
    let mut out = Vec::new();
    for p in rev.phases.iter().filter(|p| p.restorable()) {
        out.push(RollbackStep::Apply {
            phase: p.phase.clone(),
            objects: p.objects.clone(),
            command: steps::kubectl(
                context,
                &[
                    "-n",
                    namespace,
                    "apply",
                    "--server-side",
                    "--field-manager",
                    FIELD_MANAGER,
                    "-f",
                    "-",
                ],
            ),
        });
        if !p.rollouts.is_empty() {
            out.push(RollbackStep::Wait {
                phase: p.phase.clone(),
                rollouts: p.rollouts.clone(),
                timeout_s,
            });
        }
    }
    out
}

/// Which revision `rollback` restores: `to`, or the one before the latest.
pub fn pick(revisions: &[Revision], to: Option<u32>) -> Result<&Revision, KubeError> {
    let latest = revisions.last().ok_or(KubeError::NoRevisions)?;
    match to {
        Some(n) => {
            revisions
                .iter()
                .find(|r| r.number == n)
                .ok_or_else(|| KubeError::UnknownRevision {
                    number: n,
                    known: revisions.iter().map(|r| r.number).collect(),
                })
        }
        None => revisions
            .iter()
            .rev()
            .find(|r| r.number < latest.number)
            .ok_or(KubeError::NoEarlierRevision(latest.number)),
    }
}

impl KubeDriver<'_> {
    /// `.berth/revisions/<env>/`.
    pub fn revisions_dir(&self) -> PathBuf {
        self.ws.dir.join("revisions").join(self.env())
    }

    /// The recorded revisions in `.berth/`, oldest first (none when the directory is missing).
    pub fn local_revisions(&self) -> Result<Vec<Revision>, DriveError> {
        let dir = self.revisions_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|source| DriveError::Io {
                path: path.clone(),
                source,
            })?;
            let rev: Revision = serde_json::from_str(&text)
                .map_err(|e| KubeError::BadRevision(format!("{}: {e}", path.display())))?;
            out.push(rev);
        }
        out.sort_by_key(|r| r.number);
        Ok(out)
    }

    /// The revisions the cluster holds (the ConfigMaps `<stack>-berth-rev-N`), oldest first.
    pub fn cluster_revisions(&self, ctx: &str) -> Result<Vec<Revision>, DriveError> {
        let selector = format!(
            "app.kubernetes.io/managed-by=berth,berth.dev/revision-of={}",
            self.model.stack
        );
        let out = self.exec(
            &self.kubectl(ctx, &["get", "configmap", "-l", &selector, "-o", "json"]),
            None,
        )?;
        let v: serde_json::Value = if out.stdout.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&out.stdout)
                .map_err(|e| KubeError::BadRevision(format!("kubectl get configmap: {e}")))?
        };
        let mut revs = Vec::new();
        for item in v["items"].as_array().cloned().unwrap_or_default() {
            if let Some(text) = item["data"][KEY].as_str() {
                let rev: Revision = serde_json::from_str(text).map_err(|e| {
                    KubeError::BadRevision(format!(
                        "ConfigMap {}: {e}",
                        item["metadata"]["name"].as_str().unwrap_or("?")
                    ))
                })?;
                revs.push(rev);
            }
        }
        revs.sort_by_key(|r| r.number);
        Ok(revs)
    }

    /// `.berth/`'s revisions, or the cluster's when `.berth/` has none (read-only).
    pub fn revisions(&self) -> Result<Vec<Revision>, DriveError> {
        let local = self.local_revisions()?;
        if !local.is_empty() {
            return Ok(local);
        }
        let ctx = self.context()?;
        self.cluster_revisions(&ctx)
    }

    /// The ConfigMap holding `rev`, as JSON.
    fn config_map(&self, rev: &Revision) -> Result<String, DriveError> {
        let text = serde_json::to_string(rev)
            .map_err(|e| KubeError::BadRevision(format!("revision {}: {e}", rev.number)))?;
        Ok(serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.rev_name(rev.number),
                "namespace": self.model.namespace,
                "labels": {
                    "app.kubernetes.io/managed-by": "berth",
                    "berth.dev/revision-of": self.model.stack,
                    "berth.dev/revision": rev.number.to_string(),
                },
            },
            "data": { KEY: text },
        })
        .to_string())
    }

    fn rev_name(&self, n: u32) -> String {
        format!("{}-berth-rev-{n}", self.model.stack)
    }

    /// The revision of what this driver's plan applies.
    pub fn current_revision(&self, number: u32, command: &str) -> Result<Revision, DriveError> {
        let mut phases = Vec::new();
        for p in &self.plan.phases {
            let manifest = self
                .files
                .get_str(&p.file)
                .ok_or_else(|| KubeError::BadRevision(format!("no rendered file {}", p.file)))?
                .to_string();
            phases.push(RevisionPhase {
                phase: p.phase.word().to_string(),
                objects: p
                    .apply
                    .iter()
                    .map(|o| format!("{}/{}", o.kind, o.name))
                    .collect(),
                rollouts: p
                    .wait
                    .iter()
                    .filter(|w| w.until == WaitFor::Rollout)
                    .map(|w| w.resource())
                    .collect(),
                manifest,
            });
        }
        let mut images: Vec<String> = self
            .model
            .workloads
            .iter()
            .map(|w| w.image.to_string())
            .collect();
        images.sort();
        images.dedup();
        Ok(Revision {
            number,
            time: self.now_secs(),
            command: command.to_string(),
            rollback_of: None,
            tag: self.tag.clone(),
            images,
            phases,
        })
    }

    fn now_secs(&self) -> u64 {
        self.clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// The next revision number (after `.berth/`'s, or the cluster's when `.berth/` has none).
    pub fn next_number(&self, ctx: &str) -> Result<u32, DriveError> {
        let mut known = self.local_revisions()?;
        if known.is_empty() {
            known = self.cluster_revisions(ctx)?;
        }
        Ok(known.last().map(|r| r.number + 1).unwrap_or(1))
    }

    /// Store `rev` in the cluster and in `.berth/`, then drop all but the last [`KEEP`].
    pub fn record(&self, ctx: &str, rev: &Revision) -> Result<(), DriveError> {
        let apply = self.kubectl(
            ctx,
            &[
                "apply",
                "--server-side",
                "--field-manager",
                FIELD_MANAGER,
                "-f",
                "-",
            ],
        );
        self.exec(&apply, Some(self.config_map(rev)?))?;
        let path = self.revisions_dir().join(format!("{}.json", rev.number));
        let text = serde_json::to_string_pretty(rev)
            .map_err(|e| KubeError::BadRevision(format!("revision {}: {e}", rev.number)))?;
        fsutil::write_atomic(&path, text.as_bytes(), Content::State)
            .map_err(|source| DriveError::Io { path, source })?;
        let all = self.local_revisions()?;
        if all.len() > KEEP {
            for old in &all[..all.len() - KEEP] {
                let name = self.rev_name(old.number);
                self.exec(
                    &self.kubectl(ctx, &["delete", "configmap", &name, "--ignore-not-found"]),
                    None,
                )?;
                let p = self.revisions_dir().join(format!("{}.json", old.number));
                std::fs::remove_file(&p).map_err(|source| DriveError::Io { path: p, source })?;
            }
        }
        Ok(())
    }

    /// Re-apply `rev` (its restorable phases, server-side, manager berth), wait for its
    /// rollouts, then record a new revision marked as a rollback of it. Checks the context
    /// first. Returns the new revision.
    pub fn rollback(
        &self,
        _lock: &crate::workspace::EnvLock,
        rev: &Revision,
        timeout: std::time::Duration,
        obs: &dyn crate::compose::Observer,
    ) -> Result<Revision, DriveError> {
        let ctx = self.check_context()?;
        self.restore(&ctx, rev, timeout, obs)
    }

    /// [`Self::rollback`] once the context is checked.
    fn restore(
        &self,
        ctx: &str,
        rev: &Revision,
        timeout: std::time::Duration,
        obs: &dyn crate::compose::Observer,
    ) -> Result<Revision, DriveError> {
        for p in rev.phases.iter().filter(|p| p.restorable()) {
            let one = Revision {
                phases: vec![p.clone()],
                ..rev.clone()
            };
            for step in rollback_steps(&one, ctx, &self.model.namespace, timeout.as_secs()) {
                obs.step(&step.summary());
                match step {
                    RollbackStep::Apply { command, .. } => {
                        self.exec(&command, Some(p.manifest.clone()))?;
                    }
                    RollbackStep::Wait { rollouts, .. } => {
                        let targets: Vec<_> = rollouts.iter().map(|r| rollout_target(r)).collect();
                        self.wait(ctx, &targets, timeout, obs)?;
                    }
                }
            }
        }
        let number = self.next_number(ctx)?;
        let new = Revision {
            number,
            time: self.now_secs(),
            command: "rollback".into(),
            rollback_of: Some(rev.number),
            tag: rev.tag.clone(),
            images: rev.images.clone(),
            phases: rev.phases.clone(),
        };
        self.record(ctx, &new)?;
        Ok(new)
    }

    /// `up --atomic`: after `err`, when it is a failed rollout or Job, restore the last
    /// recorded revision. None when there is nothing to do (another failure, or no revision);
    /// otherwise the rollback's outcome.
    pub fn recover(
        &self,
        err: &DriveError,
        timeout: std::time::Duration,
        obs: &dyn crate::compose::Observer,
    ) -> Option<Result<Revision, DriveError>> {
        if !matches!(err, DriveError::Kube(KubeError::Failed { .. })) {
            return None;
        }
        let last = match self.local_revisions() {
            Ok(revs) => revs.last().cloned()?,
            Err(e) => return Some(Err(e)),
        };
        Some(
            self.context()
                .and_then(|ctx| self.restore(&ctx, &last, timeout, obs)),
        )
    }
}

/// A rollout target from its `kind/name`.
fn rollout_target(resource: &str) -> berth_render::plan::WaitTarget {
    let (kind, name) = resource.split_once('/').unwrap_or(("deployment", resource));
    berth_render::plan::WaitTarget {
        kind: kind.to_string(),
        name: name.to_string(),
        until: WaitFor::Rollout,
        owner: name.to_string(),
    }
}
