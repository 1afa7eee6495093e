//! The Kubernetes driver: `up` (and `deploy`), `down`, `status`, `logs`, `restart`, `run` of one
//! Kubernetes environment through kubectl and the cluster CLIs, behind the same
//! [`Runner`](crate::process::Runner) seam, lock and [`Observer`] as compose.
//!
//! Decisions:
//! - The plan first. [`KubeDriver::new`] computes the image tag (`tag`), renders the
//!   [`KubePlan`] and its phase files for the tagged model, and [`KubeDriver::steps`] turns it
//!   into the ordered [`Step`]s with their exact argv. `--dry-run` prints them and calls no
//!   program but git; `up` checks the tools and the context, then walks them.
//! - Context safety (`context`): the environment's context must exist and belong to it; the
//!   cluster must answer (`kubectl get --raw /readyz`) before anything is built or applied.
//! - Secrets: the values (`.berth/secrets.json`, host environment, files) become the Secret
//!   `<stack>-secrets`, piped to `kubectl apply -f -` on stdin; never written to a file.
//! - Apply: server-side, field manager `berth`, phase by phase (files in `.berth/kube/<env>/`),
//!   each phase's rollouts waited for with `kubectl rollout status --timeout`, its Jobs polled
//!   (`kubectl get job -o json`) until `Complete` (or `Failed`: their logs are shown). Last, the
//!   whole environment is applied once more as the ApplySet `<stack>-berth` with `--prune`, so
//!   objects that left the spec are deleted, and only those Berth applied.
//! - A failure stops `up` with one message; what was applied stays (a later `up` converges,
//!   `down` removes it).

pub mod backup;
pub mod context;
mod error;
mod ops;
pub mod revision;
pub mod rollout;
pub mod steps;
pub mod tag;
#[cfg(test)]
mod tests;

pub use error::KubeError;
pub use ops::{PodSummary, WorkloadStatus};
pub use revision::{Revision, RollbackStep};
pub use steps::Step;

use crate::artifacts;
use crate::clock::Clock;
use crate::compose::{DriveError, Observer, Phase};
use crate::process::{Cmd, Output, Runner};
use crate::secrets::{self, SecretSources};
use crate::workspace::{EnvLock, Workspace};
use berth_render::plan::{Kind, KubePlan, WaitFor, WaitTarget};
use berth_render::ArtifactSet;
use berth_spec::{Model, Platform};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How many log lines a failure shows.
pub const LOG_LINES: u32 = 20;

/// Options of the Kubernetes driver.
#[derive(Debug, Clone, Default)]
pub struct KubeOptions {
    /// `--context`: overrides the context the environment names.
    pub context: Option<String>,
}

/// What `up` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KubeUpReport {
    pub context: String,
    pub namespace: String,
    /// The tag of the images built (empty when none are).
    pub tag: String,
    /// Images built and loaded or pushed.
    pub images: Vec<String>,
    /// Objects applied.
    pub applied: usize,
    /// What was waited for and became ready.
    pub ready: Vec<String>,
    /// The revision this `up` recorded.
    pub revision: u32,
}

/// Drives one Kubernetes environment; the plan is made once, in [`KubeDriver::new`].
pub struct KubeDriver<'a> {
    /// The environment with the built images' tag applied.
    pub model: Model,
    pub plan: KubePlan,
    files: ArtifactSet,
    pub tag: String,
    pub ws: Workspace,
    pub runner: &'a dyn Runner,
    pub clock: &'a dyn Clock,
    pub sources: &'a dyn SecretSources,
    pub options: KubeOptions,
    /// Set (e.g. by a SIGINT handler) to stop.
    pub cancel: Arc<AtomicBool>,
    /// Interval between Job polls.
    pub poll: Duration,
}

impl<'a> KubeDriver<'a> {
    pub fn new(
        model: &Model,
        ws: Workspace,
        runner: &'a dyn Runner,
        clock: &'a dyn Clock,
        sources: &'a dyn SecretSources,
        options: KubeOptions,
    ) -> Result<Self, DriveError> {
        if model.platform != Platform::Kubernetes {
            return Err(DriveError::NotCompose {
                env: model.environment.clone(),
                platform: "compose".into(),
                hint: "this is the Kubernetes driver".into(),
            });
        }
        let has_builds = model.workloads.iter().any(|w| w.build.is_some());
        let tag = if has_builds {
            tag::compute(runner, &ws.root, &model.tag)
        } else {
            String::new()
        };
        let model = if has_builds {
            tag::apply(model, &tag)
        } else {
            model.clone()
        };
        let rendered = berth_render::plan::kubernetes(&model);
        Ok(KubeDriver {
            model,
            plan: rendered.plan,
            files: rendered.files,
            tag,
            ws,
            runner,
            clock,
            sources,
            options,
            cancel: Arc::new(AtomicBool::new(false)),
            poll: Duration::from_secs(2),
        })
    }

    pub fn env(&self) -> &str {
        &self.model.environment
    }

    /// The context the environment acts on, without asking kubectl.
    pub fn context(&self) -> Result<String, DriveError> {
        context::expected(&self.model, self.options.context.as_deref())
            .map_err(|e| KubeError::NoContext(e).into())
    }

    /// Every step of `up`, in order (pure: what `--dry-run` prints).
    pub fn steps(&self, timeout: Duration) -> Result<Vec<Step>, DriveError> {
        Ok(steps::steps(
            &self.plan,
            &self.context()?,
            timeout.as_secs(),
        ))
    }

    /// Take the environment's lock.
    pub fn lock(&self) -> Result<EnvLock, DriveError> {
        self.ws.ensure().map_err(|source| DriveError::Io {
            path: self.ws.dir.clone(),
            source,
        })?;
        Ok(self.ws.lock(self.env())?)
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// `.berth/` (the plan's files are relative to it) once it exists; the project directory
    /// before (read-only commands never create `.berth/`).
    fn cwd(&self) -> &std::path::Path {
        if self.ws.dir.is_dir() {
            &self.ws.dir
        } else {
            &self.ws.root
        }
    }

    /// Run `argv` (in [`Self::cwd`]); a missing program is [`KubeError::MissingTool`].
    fn run(&self, argv: &[String], stdin: Option<String>) -> Result<Output, DriveError> {
        let mut cmd = Cmd::new(&argv[0])
            .args(argv[1..].iter().cloned())
            .cwd(self.cwd());
        cmd.stdin = stdin;
        let out = self
            .runner
            .output(&cmd)
            .map_err(|e| spawn_error(&argv[0], e))?;
        if self.cancelled() {
            return Err(DriveError::Interrupted);
        }
        Ok(out)
    }

    /// Run `argv`; a non-zero exit is [`KubeError::Command`].
    fn exec(&self, argv: &[String], stdin: Option<String>) -> Result<Output, DriveError> {
        let out = self.run(argv, stdin)?;
        if !out.success() {
            return Err(KubeError::Command {
                command: Cmd::new(&argv[0]).args(argv[1..].iter().cloned()).display(),
                code: out.code,
                detail: out.stderr.trim().to_string(),
            }
            .into());
        }
        Ok(out)
    }

    /// `kubectl --context CTX -n NS ARGS`.
    fn kubectl(&self, ctx: &str, args: &[&str]) -> Vec<String> {
        let mut a = vec!["-n", self.model.namespace.as_str()];
        a.extend_from_slice(args);
        steps::kubectl(ctx, &a)
    }

    /// Every program the steps run is installed; the context exists, belongs to the
    /// environment and its cluster answers. Returns the context.
    pub fn preflight(&self, steps: &[Step]) -> Result<String, DriveError> {
        let mut tools: Vec<&str> = vec!["kubectl"];
        for s in steps {
            if let Some(c) = s.command() {
                if !tools.contains(&c[0].as_str()) {
                    tools.push(&c[0]);
                }
            }
        }
        for t in tools {
            let cmd = Cmd::new(t).arg("version");
            let cmd = if t == "kubectl" {
                cmd.arg("--client")
            } else {
                cmd
            };
            self.runner.output(&cmd).map_err(|e| spawn_error(t, e))?;
        }
        self.check_context()
    }

    /// The context exists, belongs to the environment, and its cluster answers.
    pub fn check_context(&self) -> Result<String, DriveError> {
        let ctx = self.context()?;
        let list = self.exec(
            &["kubectl", "config", "get-contexts", "-o", "name"].map(String::from),
            None,
        )?;
        let known = context::parse_contexts(&list.stdout);
        if !known.contains(&ctx) {
            return Err(KubeError::UnknownContext {
                context: ctx,
                known,
                hint: self.start_hint(),
            }
            .into());
        }
        let view = self.exec(
            &steps::kubectl(&ctx, &["config", "view", "--minify", "-o", "json"]),
            None,
        )?;
        let server = context::server(&view.stdout);
        context::belongs(&self.model, &ctx, server.as_deref())
            .map_err(KubeError::ForeignContext)?;
        let ready = self.run(&steps::kubectl(&ctx, &["get", "--raw", "/readyz"]), None)?;
        if !ready.success() {
            return Err(KubeError::Unreachable {
                context: ctx,
                detail: ready.stderr.trim().to_string(),
                hint: self.start_hint(),
            }
            .into());
        }
        Ok(ctx)
    }

    fn start_hint(&self) -> String {
        let env = self.env();
        match self.model.cluster.map(|c| c.as_str()) {
            Some("eks") => format!("run `berth infra apply {env}`, then `aws eks update-kubeconfig --name CLUSTER` and pass --context"),
            Some(kind) => format!("start the {kind} cluster: `berth cluster create {env}`"),
            None => "give --context".into(),
        }
    }

    /// The Secret of local values as JSON (None when the environment has none).
    fn secret_json(&self) -> Result<Option<String>, DriveError> {
        let Some(s) = &self.plan.secret else {
            return Ok(None);
        };
        let values = secrets::materialise(
            &s.sources,
            &self.ws.root,
            &self.ws.secrets_path(),
            self.sources,
        )?;
        let lookup = |secret: &str, key: &str| values.get(secret)?.get(key).cloned();
        let obj =
            berth_render::kube::secret_object(&self.model, &lookup).map_err(KubeError::from)?;
        Ok(obj.map(|o| o.to_string()))
    }

    /// Write the plan's files into `.berth/kube/<env>/` (no secret values).
    pub fn write_files(&self) -> Result<(), DriveError> {
        artifacts::write(&self.files, &self.ws.dir).map_err(|e| DriveError::Io {
            path: e.path,
            source: e.source,
        })?;
        Ok(())
    }

    /// Walk the steps: preflight, files, then every step in order.
    pub fn up(
        &self,
        _lock: &EnvLock,
        steps: &[Step],
        obs: &dyn Observer,
    ) -> Result<KubeUpReport, DriveError> {
        let ctx = self.preflight(steps)?;
        let secret = self.secret_json()?;
        self.write_files()?;
        let mut report = KubeUpReport {
            context: ctx.clone(),
            namespace: self.model.namespace.clone(),
            tag: self.tag.clone(),
            images: Vec::new(),
            applied: 0,
            ready: Vec::new(),
            revision: 0,
        };
        for step in steps {
            obs.step(&step.summary());
            match step {
                Step::Build { command, .. } => {
                    let out = self.run_in_root(command)?;
                    if !out.success() {
                        return Err(failed_command(command, &out));
                    }
                }
                Step::Load { image, command } | Step::Push { image, command } => {
                    self.exec(command, None)?;
                    report.images.push(image.clone());
                }
                Step::Secret { command, .. } => {
                    self.exec(command, secret.clone())?;
                }
                Step::Apply {
                    command, objects, ..
                } => {
                    self.exec(command, None)?;
                    report.applied += objects.len();
                }
                Step::Wait {
                    targets, timeout_s, ..
                } => {
                    self.wait(&ctx, targets, Duration::from_secs(*timeout_s), obs)?;
                    report
                        .ready
                        .extend(targets.iter().map(WaitTarget::resource));
                }
                Step::Prune { command, .. } => {
                    let mut cmd = Cmd::new(&command[0])
                        .args(command[1..].iter().cloned())
                        .cwd(&self.ws.dir)
                        .env("KUBECTL_APPLYSET", "true");
                    cmd.stdin = None;
                    let out = self
                        .runner
                        .output(&cmd)
                        .map_err(|e| spawn_error(&command[0], e))?;
                    if !out.success() {
                        return Err(failed_command(command, &out));
                    }
                }
            }
        }
        let number = self.next_number(&ctx)?;
        self.record(&ctx, &self.current_revision(number, "up")?)?;
        report.revision = number;
        Ok(report)
    }

    /// A build runs in the project directory (build contexts are relative to berth.yaml).
    fn run_in_root(&self, argv: &[String]) -> Result<Output, DriveError> {
        let cmd = Cmd::new(&argv[0])
            .args(argv[1..].iter().cloned())
            .cwd(&self.ws.root)
            .env("DOCKER_BUILDKIT", "1");
        self.runner
            .output(&cmd)
            .map_err(|e| spawn_error(&argv[0], e))
    }

    /// Wait for every target: rollouts with `kubectl rollout status`, Jobs by polling.
    pub fn wait(
        &self,
        ctx: &str,
        targets: &[WaitTarget],
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let named: Vec<(String, Kind)> = targets
            .iter()
            .map(|t| (t.resource(), self.unit_kind(t)))
            .collect();
        obs.begin(&named);
        let result = self.wait_each(ctx, targets, timeout, obs);
        obs.end();
        result
    }

    fn unit_kind(&self, t: &WaitTarget) -> Kind {
        if t.until == WaitFor::Complete {
            Kind::Job
        } else if self.model.stores.iter().any(|s| s.name == t.owner) {
            Kind::Store
        } else {
            Kind::Service
        }
    }

    fn wait_each(
        &self,
        ctx: &str,
        targets: &[WaitTarget],
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let start = self.clock.instant();
        for t in targets {
            let elapsed = || self.clock.instant().saturating_duration_since(start);
            obs.update(&t.resource(), &Phase::Starting, elapsed());
            let left = timeout.saturating_sub(elapsed()).as_secs().max(1);
            let done = match t.until {
                WaitFor::Rollout => self.rollout(ctx, t, left),
                WaitFor::Complete => self.job(ctx, t, start, timeout),
            };
            if let Err(e) = &done {
                let reason = e.to_string().lines().next().unwrap_or("").to_string();
                obs.update(&t.resource(), &Phase::Failed(reason), elapsed());
                return done;
            }
            let phase = if t.until == WaitFor::Complete {
                Phase::Completed
            } else {
                Phase::Running
            };
            obs.update(&t.resource(), &phase, elapsed());
        }
        Ok(())
    }

    fn rollout(&self, ctx: &str, t: &WaitTarget, secs: u64) -> Result<(), DriveError> {
        let limit = format!("--timeout={secs}s");
        // `kubectl rollout` knows only built-in kinds; an Argo Rollout says it by condition.
        let argv = if t.kind == "Rollout" {
            let resource = format!("rollouts.argoproj.io/{}", t.name);
            self.kubectl(
                ctx,
                &["wait", "--for=condition=Available", &resource, &limit],
            )
        } else {
            self.kubectl(ctx, &["rollout", "status", &t.resource(), &limit])
        };
        let out = self.run(&argv, None)?;
        if out.success() {
            return Ok(());
        }
        Err(KubeError::Failed {
            what: format!("rollout of {}", t.resource()),
            reason: first_line(&out.stderr, "did not become ready"),
            logs: self.tail_logs(ctx, &t.resource()),
        }
        .into())
    }

    /// Poll the Job until `Complete`; `Failed` or the timeout end the wait with its logs.
    fn job(
        &self,
        ctx: &str,
        t: &WaitTarget,
        start: std::time::Instant,
        timeout: Duration,
    ) -> Result<(), DriveError> {
        let argv = self.kubectl(ctx, &["get", "job", &t.name, "-o", "json"]);
        loop {
            let out = self.exec(&argv, None)?;
            match job_state(&out.stdout) {
                JobState::Complete => return Ok(()),
                JobState::Failed(reason) => {
                    return Err(KubeError::Failed {
                        what: format!("job {}", t.name),
                        reason,
                        logs: self.tail_logs(ctx, &t.resource()),
                    }
                    .into())
                }
                JobState::Running => {}
            }
            let waited = self.clock.instant().saturating_duration_since(start);
            if waited >= timeout {
                return Err(KubeError::Failed {
                    what: format!("job {}", t.name),
                    reason: format!("not complete after {}s", waited.as_secs()),
                    logs: self.tail_logs(ctx, &t.resource()),
                }
                .into());
            }
            if self.cancelled() {
                return Err(DriveError::Interrupted);
            }
            self.clock.sleep(self.poll);
        }
    }

    /// The last log lines of `kind/name` (best effort).
    pub fn tail_logs(&self, ctx: &str, resource: &str) -> String {
        let n = format!("--tail={LOG_LINES}");
        let argv = self.kubectl(ctx, &["logs", resource, "--all-containers", &n]);
        match self.run(&argv, None) {
            Ok(o) => format!("{}{}", o.stdout, o.stderr),
            Err(_) => String::new(),
        }
    }
}

/// Where a Job stands, from `kubectl get job -o json`.
#[derive(Debug, PartialEq, Eq)]
enum JobState {
    Running,
    Complete,
    Failed(String),
}

fn job_state(json: &str) -> JobState {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let conds = v["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for c in &conds {
        if c["status"] != "True" {
            continue;
        }
        match c["type"].as_str() {
            Some("Complete") => return JobState::Complete,
            Some("Failed") => {
                let reason = c["message"]
                    .as_str()
                    .or(c["reason"].as_str())
                    .unwrap_or("failed");
                return JobState::Failed(reason.to_string());
            }
            _ => {}
        }
    }
    JobState::Running
}

fn first_line(text: &str, default: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(default)
        .to_string()
}

fn spawn_error(tool: &str, e: std::io::Error) -> DriveError {
    if e.kind() == std::io::ErrorKind::NotFound {
        KubeError::MissingTool {
            tool: tool.to_string(),
            hint: error::install_hint(tool),
        }
        .into()
    } else {
        DriveError::Spawn {
            command: tool.to_string(),
            source: e,
        }
    }
}

fn failed_command(argv: &[String], out: &Output) -> DriveError {
    let mut detail = out.stderr.trim().to_string();
    if detail.is_empty() {
        detail = out.stdout.trim().to_string();
    }
    KubeError::Command {
        command: Cmd::new(&argv[0]).args(argv[1..].iter().cloned()).display(),
        code: out.code,
        detail: detail
            .lines()
            .rev()
            .take(LOG_LINES as usize)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n"),
    }
    .into()
}
