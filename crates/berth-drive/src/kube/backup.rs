//! `berth backup ENV STORE` and `berth restore ENV STORE [--from ID]` on a Kubernetes
//! environment: a backup is a Job made from the store's backup CronJob (`kubectl create job
//! --from=cronjob/…`); a restore is the Job `berth_render::kube::restore_job` renders, fed to
//! `kubectl create -f -`. Both are plans first ([`KubeBackupPlan`]), then waited for until the
//! Job completes.

use super::KubeDriver;
use crate::compose::{DriveError, Observer};
use berth_render::kube::plan::{WaitFor, WaitTarget};
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// What a backup or restore on Kubernetes runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KubeBackupPlan {
    pub environment: String,
    pub store: String,
    /// `backup` or `restore`.
    pub action: &'static str,
    /// The Job it creates.
    pub job: String,
    /// The command, as argv.
    pub command: Vec<String>,
    /// The Job's manifest piped to the command (restores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

/// The lower-case time stamp Job names carry (`20261202t210455z`).
fn stamp(t: SystemTime) -> String {
    crate::compose::backup::backup_id(t).to_lowercase()
}

impl KubeDriver<'_> {
    fn backed_store(&self, name: &str) -> Result<&berth_spec::model::StoreModel, DriveError> {
        let store = self.model.store(name).ok_or_else(|| {
            DriveError::Backup(format!(
                "`{name}` is not a store of `{}`",
                self.model.environment
            ))
        })?;
        if berth_render::kube::backups::scheduled(store).is_none() {
            return Err(DriveError::Backup(format!(
                "store `{name}` has no backup CronJob in `{}`: add `backup: {{ schedule: \"0 3 * * *\" }}` to it (stores in the cluster, and managed PostgreSQL)",
                self.model.environment
            )));
        }
        Ok(store)
    }

    /// One backup now, from the store's CronJob.
    pub fn backup_plan(&self, store: &str) -> Result<KubeBackupPlan, DriveError> {
        let s = self.backed_store(store)?;
        let cron = berth_render::kube::backups::cronjob_name(s);
        let job = format!("{cron}-{}", stamp(self.clock.now()));
        let from = format!("--from=cronjob/{cron}");
        Ok(KubeBackupPlan {
            environment: self.model.environment.clone(),
            store: store.into(),
            action: "backup",
            command: self.kubectl(
                &self.context()?,
                &["create", "job", job.as_str(), from.as_str()],
            ),
            job,
            manifest: None,
        })
    }

    /// A restore from backup `from` (default: the newest in the backup volume).
    pub fn restore_plan(
        &self,
        store: &str,
        from: Option<&str>,
    ) -> Result<KubeBackupPlan, DriveError> {
        let s = self.backed_store(store)?;
        let job = format!("{}-restore-{}", s.name, stamp(self.clock.now()));
        let manifest = berth_render::kube::backups::restore_job(&self.model, s, from, &job)
            .ok_or_else(|| {
                DriveError::Backup(format!(
                    "`{store}` has no backups in `{}`",
                    self.model.environment
                ))
            })?;
        Ok(KubeBackupPlan {
            environment: self.model.environment.clone(),
            store: store.into(),
            action: "restore",
            command: self.kubectl(&self.context()?, &["create", "-f", "-"]),
            job,
            manifest: Some(manifest),
        })
    }

    /// Create the Job, then wait until it completes.
    pub fn execute_backup(
        &self,
        plan: &KubeBackupPlan,
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let ctx = self.check_context()?;
        obs.step(&format!("{} {}: job/{}", plan.action, plan.store, plan.job));
        self.exec(&plan.command, plan.manifest.clone())?;
        let target = WaitTarget {
            kind: "Job".into(),
            name: plan.job.clone(),
            until: WaitFor::Complete,
            owner: plan.store.clone(),
        };
        self.job(&ctx, &target, self.clock.instant(), timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::compose::Phase;
    use crate::kube::KubeOptions;
    use crate::process::{Cmd, Output, Runner};
    use crate::secrets::HostSources;
    use crate::Workspace;
    use std::sync::Mutex;
    use std::time::Instant;

    const SPEC: &str = r#"
name: shop
services:
  api: { image: "x/api:1", uses: [db, cache], strategy: canary }
stores:
  db: { type: postgres, version: "16", backup: { schedule: "0 3 * * *", retain: 3 } }
  cache: { type: redis, version: "7", backup: { schedule: "0 4 * * *" } }
  queue: { type: rabbitmq, version: "3" }
environments:
  dev: { platform: kubernetes, cluster: kind }
"#;

    /// kubectl as a cluster answers it: contexts, a reachable API, Jobs that complete.
    #[derive(Default)]
    struct Cluster(Mutex<Vec<(String, Option<String>)>>);

    impl Runner for Cluster {
        fn output(&self, cmd: &Cmd) -> std::io::Result<Output> {
            let line = std::iter::once(cmd.program.as_str())
                .chain(cmd.args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            self.0
                .lock()
                .unwrap()
                .push((line.clone(), cmd.stdin.clone()));
            let stdout = if line.contains("get-contexts") {
                "kind-shop\n".to_string()
            } else if line.contains("config view") {
                r#"{"clusters":[{"cluster":{"server":"https://127.0.0.1:6443"}}]}"#.to_string()
            } else if line.contains("get rollouts.argoproj.io/api") {
                r#"{"spec":{"strategy":{"canary":{"steps":[{"setWeight":10},{"pause":{}},{"setWeight":25},{"pause":{}}]}}},"status":{"phase":"Paused","currentStepIndex":2,"message":"CanaryPauseStep"}}"#.to_string()
            } else if line.contains("get pods") {
                r#"{"items":[]}"#.to_string()
            } else if line.contains("get job") {
                r#"{"status":{"conditions":[{"type":"Complete","status":"True"}]}}"#.to_string()
            } else {
                String::new()
            };
            Ok(Output {
                code: Some(0),
                stdout,
                stderr: String::new(),
            })
        }
        fn interactive(&self, cmd: &Cmd) -> std::io::Result<Option<i32>> {
            self.output(cmd).map(|o| o.code)
        }
    }

    struct Fixed;
    impl Clock for Fixed {
        fn now(&self) -> SystemTime {
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_245_495)
        }
        fn instant(&self) -> Instant {
            Instant::now()
        }
        fn sleep(&self, _: Duration) {}
    }

    struct Quiet;
    impl Observer for Quiet {
        fn step(&self, _: &str) {}
        fn update(&self, _: &str, _: &Phase, _: Duration) {}
    }

    fn with_driver(f: impl FnOnce(&KubeDriver, &Cluster)) {
        let spec = berth_spec::validate_strict(&berth_spec::Source::new("berth.yaml", SPEC))
            .unwrap_or_else(|e| panic!("{e}"));
        let model = berth_spec::resolve(&spec, "dev").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cluster = Cluster::default();
        let d = KubeDriver::new(
            &model,
            Workspace::new(dir.path()),
            &cluster,
            &Fixed,
            &HostSources,
            KubeOptions { context: None },
        )
        .unwrap();
        f(&d, &cluster);
    }

    #[test]
    fn status_shows_where_a_rollout_stands() {
        with_driver(|d, _| {
            let status = d.status().unwrap();
            let api = status.iter().find(|w| w.name == "api").unwrap();
            let step = api.rollout.as_ref().unwrap();
            assert_eq!(step.summary(), "canary step 3/4 Paused (CanaryPauseStep)");
            let db = status.iter().find(|w| w.name == "db").unwrap();
            assert!(db.rollout.is_none());
        });
    }

    // (The restart of a Rollout is tested here, beside the other scripted-cluster tests.)
    #[test]
    fn restarting_a_rollout_patches_its_restart_time_then_waits() {
        with_driver(|d, cluster| {
            d.restart("api", Duration::from_secs(60), &Quiet).unwrap();
            let calls = cluster.0.lock().unwrap();
            let lines: Vec<&str> = calls.iter().map(|(l, _)| l.as_str()).collect();
            let patch = lines
                .iter()
                .position(|l| {
                    *l == "kubectl --context kind-shop -n shop patch rollouts.argoproj.io/api --type merge -p {\"spec\":{\"restartAt\":\"2026-12-02T21:04:55Z\"}}"
                })
                .unwrap_or_else(|| panic!("{lines:#?}"));
            let wait = lines
                .iter()
                .position(|l| l.contains("wait --for=condition=Available rollouts.argoproj.io/api"))
                .unwrap_or_else(|| panic!("{lines:#?}"));
            assert!(patch < wait);
            assert!(!lines.iter().any(|l| l.contains("rollout restart")));
        });
    }

    #[test]
    fn a_backup_is_a_job_from_the_cronjob_waited_for() {
        with_driver(|d, cluster| {
            let plan = d.backup_plan("db").unwrap();
            assert_eq!(plan.job, "db-backup-20261202t210455z");
            assert_eq!(
                plan.command.join(" "),
                "kubectl --context kind-shop -n shop create job db-backup-20261202t210455z --from=cronjob/db-backup"
            );
            d.execute_backup(&plan, Duration::from_secs(60), &Quiet)
                .unwrap();
            let calls = cluster.0.lock().unwrap();
            let create = calls
                .iter()
                .position(|(l, _)| l.contains("create job"))
                .unwrap();
            let wait = calls
                .iter()
                .position(|(l, _)| l.contains("get job db-backup-20261202t210455z"))
                .unwrap();
            assert!(create < wait);
        });
    }

    #[test]
    fn a_restore_pipes_its_job_and_names_the_backup() {
        with_driver(|d, cluster| {
            let plan = d.restore_plan("db", Some("20261201T030000Z")).unwrap();
            let manifest = plan.manifest.clone().unwrap();
            assert!(manifest.contains("kind: Job"), "{manifest}");
            assert!(
                manifest.contains("/backups/db-20261201T030000Z.pgdump"),
                "{manifest}"
            );
            assert!(manifest.contains("pg_restore"), "{manifest}");
            assert!(manifest.contains("claimName: db-backups"), "{manifest}");
            d.execute_backup(&plan, Duration::from_secs(60), &Quiet)
                .unwrap();
            let calls = cluster.0.lock().unwrap();
            let (_, stdin) = calls
                .iter()
                .find(|(l, _)| l.ends_with("create -f -"))
                .unwrap();
            assert_eq!(stdin.as_deref(), Some(manifest.as_str()));
            // Without --from, the Job picks the newest file itself.
            let newest = d.restore_plan("db", None).unwrap().manifest.unwrap();
            assert!(newest.contains("tail -n 1"), "{newest}");
        });
    }

    #[test]
    fn stores_without_a_backup_say_why_and_redis_restores_over_the_network() {
        with_driver(|d, _| {
            let e = d.backup_plan("queue").unwrap_err().to_string();
            assert!(
                e.contains("no backup CronJob") && e.contains("backup:"),
                "{e}"
            );
            // Redis: the Job loads the snapshot into a private server and migrates the keys.
            let redis = d.restore_plan("cache", None).unwrap().manifest.unwrap();
            assert!(redis.contains("MIGRATE cache 6379"), "{redis}");
            let e = d.backup_plan("nope").unwrap_err().to_string();
            assert!(e.contains("not a store"), "{e}");
        });
    }
}
