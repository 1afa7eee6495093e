//! The other commands on a Kubernetes environment: `down` (delete what the plan applies, in
//! reverse phase order; the Namespace, and with it the stores' volume claims, only with
//! `--volumes`), `status` (pods per workload and store from `kubectl get pods -o json`),
//! `logs`, `restart` (rollout restart + wait), `run JOB` (delete the Job, apply its phase
//! again, wait until complete). Read-only commands (`status`, `logs`) write nothing.

use super::rollout::RolloutStep;
use super::{context, steps, KubeDriver, KubeError};
use crate::compose::{DriveError, Observer};
use crate::process::Cmd;
use berth_render::plan::{PhaseName, WaitFor, WaitTarget};
use serde::Serialize;
use std::time::Duration;

/// One workload or store as the cluster sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadStatus {
    pub name: String,
    /// Pods whose containers are all ready.
    pub ready: usize,
    pub total: usize,
    pub restarts: u64,
    pub images: Vec<String>,
    pub pods: Vec<PodSummary>,
    /// Where its Argo Rollout stands (services with a canary or blue-green strategy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStep>,
}

/// One pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodSummary {
    pub name: String,
    /// `Running`, `Pending`, `Succeeded`, `Failed`.
    pub phase: String,
    pub ready: bool,
    pub restarts: u64,
}

impl KubeDriver<'_> {
    /// Delete every object the plan applies (reverse phase order), the Secret of local values
    /// and the ApplySet parent; the Namespace only with `volumes`.
    pub fn down(&self, volumes: bool) -> Result<Vec<String>, DriveError> {
        let ctx = self.check_context()?;
        let mut deleted = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for phase in self.plan.phases.iter().rev() {
            for o in phase.apply.iter().rev() {
                if o.kind == "Namespace" {
                    continue;
                }
                names.push(format!("{}/{}", o.kind.to_lowercase(), o.name));
            }
        }
        if let Some(s) = &self.plan.secret {
            names.push(format!("secret/{}", s.name));
        }
        names.push(format!("secret/{}", steps::applyset(&self.plan)));
        let mut args = vec!["delete", "--ignore-not-found", "--wait=true"];
        args.extend(names.iter().map(String::as_str));
        self.exec(&self.kubectl(&ctx, &args), None)?;
        deleted.extend(names);
        if volumes {
            let ns = format!("namespace/{}", self.model.namespace);
            self.exec(
                &steps::kubectl(&ctx, &["delete", "--ignore-not-found", "--wait=true", &ns]),
                None,
            )?;
            deleted.push(ns);
        }
        Ok(deleted)
    }

    /// Pods per workload and store (by the labels Berth puts on them), in plan order.
    pub fn status(&self) -> Result<Vec<WorkloadStatus>, DriveError> {
        let ctx = self.check_context()?;
        let selector = format!("app.kubernetes.io/part-of={}", self.model.stack);
        let out = self.exec(
            &self.kubectl(&ctx, &["get", "pods", "-l", &selector, "-o", "json"]),
            None,
        )?;
        let pods = parse_pods(&out.stdout);
        let owners = self
            .model
            .stores
            .iter()
            .filter(|s| s.realization.runs_here() && s.served_by.is_none())
            .map(|s| s.name.as_str())
            .chain(self.model.workloads.iter().map(|w| w.name.as_str()));
        Ok(owners
            .map(|name| {
                let mine: Vec<&(String, PodSummary, Vec<String>)> =
                    pods.iter().filter(|(owner, _, _)| owner == name).collect();
                let mut images: Vec<String> = Vec::new();
                for (_, _, imgs) in &mine {
                    for i in imgs {
                        if !images.contains(i) {
                            images.push(i.clone());
                        }
                    }
                }
                WorkloadStatus {
                    name: name.to_string(),
                    ready: mine.iter().filter(|(_, p, _)| p.ready).count(),
                    total: mine.len(),
                    restarts: mine.iter().map(|(_, p, _)| p.restarts).sum(),
                    images,
                    pods: mine.iter().map(|(_, p, _)| p.clone()).collect(),
                    rollout: self.rollout_step(&ctx, name),
                }
            })
            .collect())
    }

    /// The step of `name`'s Argo Rollout, when it has one (best effort: `None` when kubectl
    /// cannot say).
    fn rollout_step(&self, ctx: &str, name: &str) -> Option<RolloutStep> {
        let w = self.model.workload(name)?;
        if w.strategy.is_rolling() {
            return None;
        }
        let resource = format!("rollouts.argoproj.io/{name}");
        let out = self
            .run(&self.kubectl(ctx, &["get", &resource, "-o", "json"]), None)
            .ok()?;
        if !out.success() {
            return None;
        }
        super::rollout::parse(&out.stdout)
    }

    /// Logs of one workload or store (all of the stack without one), on the terminal.
    pub fn logs(
        &self,
        service: Option<&str>,
        follow: bool,
        tail: Option<u32>,
    ) -> Result<Option<i32>, DriveError> {
        let ctx = self.check_context()?;
        let mut selector = format!("app.kubernetes.io/part-of={}", self.model.stack);
        if let Some(s) = service {
            self.owner(s)?;
            // A store another store's pod serves logs through that pod.
            let s = self.model.store(s).map_or(s, |st| st.runner());
            selector = format!("app.kubernetes.io/name={s},{selector}");
        }
        let tail = format!("--tail={}", tail.map_or(-1, i64::from));
        let mut args = vec![
            "logs",
            "-l",
            &selector,
            "--all-containers",
            "--prefix",
            &tail,
        ];
        if follow {
            args.push("-f");
        }
        let argv = self.kubectl(&ctx, &args);
        self.runner
            .interactive(&Cmd::new(&argv[0]).args(argv[1..].iter().cloned()))
            .map_err(|e| super::spawn_error("kubectl", e))
    }

    /// `kubectl rollout restart` a Deployment or StatefulSet (an Argo Rollout: `spec.restartAt`
    /// patched to now), then wait for its rollout.
    pub fn restart(
        &self,
        name: &str,
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let ctx = self.check_context()?;
        let target = self
            .plan
            .targets()
            .find(|t| t.owner == name && t.until == WaitFor::Rollout)
            .cloned()
            .ok_or_else(|| KubeError::Unknown(name.to_string()))?;
        obs.step(&format!("restarting {}", target.resource()));
        let argv = if target.kind == "Rollout" {
            // `kubectl rollout restart` knows built-in kinds only; the Argo Rollouts controller
            // replaces every pod created before `spec.restartAt` (what its kubectl plugin sets).
            let at = crate::clock::rfc3339(self.clock.now());
            let patch = format!("{{\"spec\":{{\"restartAt\":\"{at}\"}}}}");
            let resource = format!("rollouts.argoproj.io/{}", target.name);
            self.kubectl(&ctx, &["patch", &resource, "--type", "merge", "-p", &patch])
        } else {
            self.kubectl(&ctx, &["rollout", "restart", &target.resource()])
        };
        self.exec(&argv, None)?;
        self.wait(&ctx, &[target], timeout, obs)
    }

    /// Run a Job again: delete it, apply its phase again, wait until it completes.
    pub fn run_job(
        &self,
        name: &str,
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let ctx = self.check_context()?;
        let (phase, target) = self
            .plan
            .phases
            .iter()
            .find_map(|p| {
                let t = p
                    .wait
                    .iter()
                    .find(|t| t.name == name && t.until == WaitFor::Complete)?;
                Some((p, t.clone()))
            })
            .ok_or_else(|| KubeError::Unknown(name.to_string()))?;
        self.write_files()?;
        let job = format!("job/{name}");
        obs.step(&format!("running {job}"));
        self.exec(
            &self.kubectl(&ctx, &["delete", "--ignore-not-found", "--wait=true", &job]),
            None,
        )?;
        self.exec(
            &steps::kubectl(
                &ctx,
                &[
                    "apply",
                    "--server-side",
                    "--field-manager",
                    steps::FIELD_MANAGER,
                    "-f",
                    &phase.file,
                ],
            ),
            None,
        )?;
        self.wait(&ctx, &[target], timeout, obs)
    }

    /// Run a recipe's pre or post command (as compose recipes do).
    pub fn hook(&self, stage: &'static str, command: &str) -> Result<(), DriveError> {
        let cmd = crate::compose::hook_cmd(&self.ws.root, self.env(), &self.model.stack, command);
        let code = self
            .runner
            .interactive(&cmd)
            .map_err(|e| super::spawn_error("sh", e))?;
        if code != Some(0) {
            return Err(DriveError::Hook {
                stage,
                command: command.into(),
                code,
            });
        }
        Ok(())
    }

    /// Fails unless `name` is a workload or store of the environment.
    fn owner(&self, name: &str) -> Result<(), DriveError> {
        let known =
            self.model.workload(name).is_some() || self.model.stores.iter().any(|s| s.name == name);
        if known {
            Ok(())
        } else {
            Err(KubeError::Unknown(name.to_string()).into())
        }
    }

    /// The phases of a plan in the order `up` applies them (for reports).
    pub fn phases(&self) -> Vec<PhaseName> {
        self.plan.phases.iter().map(|p| p.phase).collect()
    }

    /// The wait targets of the plan (for reports).
    pub fn targets(&self) -> Vec<WaitTarget> {
        self.plan.targets().cloned().collect()
    }

    /// Whether the environment is on a local cluster.
    pub fn local(&self) -> bool {
        context::local(&self.model)
    }
}

/// (owner, pod, images) of every pod in `kubectl get pods -o json`; the owner is the pod's
/// `app.kubernetes.io/name` label.
pub fn parse_pods(json: &str) -> Vec<(String, PodSummary, Vec<String>)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let items = v["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|p| {
            let owner = p["metadata"]["labels"]["app.kubernetes.io/name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let statuses = p["status"]["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let ready = !statuses.is_empty() && statuses.iter().all(|c| c["ready"] == true);
            let restarts = statuses
                .iter()
                .map(|c| c["restartCount"].as_u64().unwrap_or(0))
                .sum();
            let images = p["spec"]["containers"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .filter_map(|c| c["image"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let pod = PodSummary {
                name: p["metadata"]["name"].as_str().unwrap_or_default().into(),
                phase: p["status"]["phase"].as_str().unwrap_or("Unknown").into(),
                ready,
                restarts,
            };
            (owner, pod, images)
        })
        .collect()
}
