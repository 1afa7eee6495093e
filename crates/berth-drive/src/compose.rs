//! The compose driver: `up`, `down`, `status`, `logs`, `restart`, `run` of one compose
//! environment through `docker compose`, project name = stack name. It executes the
//! environment's [`ComposePlan`], which render returns beside the files: what to start in which
//! order, which services have health checks, which are jobs, which secrets are needed.
//!
//! Decisions:
//! - Files: every command first writes the environment's compose files into
//!   `.berth/compose/<env>/` (only changed files are rewritten); both are always passed
//!   (`-f compose.stores.yaml -f compose.services.yaml`), so orphans are judged against the
//!   whole stack even when a recipe starts only part of it.
//! - Secrets: only the commands that create containers (`up`, `run`, and `deploy` through
//!   `up`) materialise secret values and write the `.secrets/*.env` files, and only under the
//!   environment's lock ([`ComposeDriver::prepare`] takes it as an argument). `status`,
//!   `logs`, `down` and `restart` run on the compose files alone
//!   ([`ComposeDriver::write_files`]): docker compose reads env files when it creates
//!   containers, not to list, show the logs of, restart or remove them, so a missing `env:`
//!   variable never stops them.
//! - Order: Berth, not compose, sequences the start. Stores first, then the workloads level by
//!   level (a workload after the services and jobs it needs), each level
//!   `docker compose up -d --no-deps NAMES` and then waited for by polling
//!   `docker compose ps -a --format json`: services until healthy (or running when they have
//!   no health check), jobs until they exit 0. Compose's own `depends_on` conditions stay in
//!   the files for people who run them by hand; with `--no-deps` compose never blocks on
//!   them, so the progress display stays live.
//! - Convergence is compose's: it recreates a container only when its configuration hash
//!   changed, so a second `up` recreates nothing, a changed service is the only one recreated,
//!   a stopped or killed container is started again (same container). Berth compares the
//!   container IDs before and after and reports what was created, recreated or left alone.
//! - Failure: a service that turns `unhealthy`, exits, or crash-loops (`restarting`), or a job
//!   that exits non-zero, fails `up` at once with the reason, the last health-check output and
//!   its last log lines; waiting beyond the phase timeout fails the same way. Containers are
//!   left as they are (the next `up` converges from there).
//! - Interruption: the caller's cancel flag (set on SIGINT) is checked between every command
//!   and every poll; `up` then returns [`DriveError::Interrupted`] and the caller releases the
//!   lock. Nothing is rolled back: a later `up` converges.

pub mod backup;
mod error;
mod ops;
mod state;

pub use berth_render::plan::{ComposePlan, Endpoint, Kind, Unit};
pub use error::DriveError;
pub use ops::hook_cmd;
pub use state::{parse_ps, phase, Container, Phase};

use crate::artifacts;
use crate::clock::Clock;
use crate::process::{Cmd, Output, Runner};
use crate::secrets::{self, SecretSources};
use crate::select::{self, Selection};
use crate::workspace::{EnvLock, Workspace};
use berth_render::ArtifactSet;
use berth_spec::{Model, Only, Platform};
use error::docker_hint;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Why a wait fails when a container it watches disappears.
const GONE: &str = "lost its container while Berth waited for it: it was removed (`docker rm`, or `berth down` from another shell); run `berth up` to start it again";

/// How many log lines a failure report shows.
pub const LOG_LINES: u32 = 20;

/// Receives progress while the driver works (the CLI draws it).
pub trait Observer {
    /// A step starts ("starting stores", "running pre command …").
    fn step(&self, _msg: &str) {}
    /// A wait starts for these services.
    fn begin(&self, _targets: &[(String, Kind)]) {}
    /// A service changed phase; `elapsed` since the wait began.
    fn update(&self, _name: &str, _phase: &Phase, _elapsed: Duration) {}
    /// The wait ended (successfully or not).
    fn end(&self) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// Options of `up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Per phase (stores, each workload level).
    pub timeout: Duration,
    /// Rebuild images that have a `build:` section.
    pub build: bool,
}

impl Default for UpOptions {
    fn default() -> Self {
        UpOptions {
            timeout: Duration::from_secs(300),
            build: false,
        }
    }
}

/// What `up` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpReport {
    /// Services that got a container for the first time.
    pub created: Vec<String>,
    /// Services whose container was replaced (configuration changed).
    pub recreated: Vec<String>,
    /// Services that kept their container.
    pub unchanged: Vec<String>,
    pub endpoints: Vec<Endpoint>,
}

/// One line of `berth status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub kind: Kind,
    /// `running`, `exited`, `restarting`, …, or `absent` (no container).
    pub state: String,
    /// `healthy`, `unhealthy`, `starting`, or empty when there is no health check.
    pub health: String,
    pub restarts: u64,
    pub exit_code: Option<i64>,
    pub containers: Vec<String>,
    pub ports: Vec<String>,
    /// The other stores this store's container serves (one LocalStack for an environment).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub serves: Vec<String>,
}

/// The environment's compose files, written into `.berth/compose/<env>/`: enough to list,
/// show the logs of and remove its containers.
#[derive(Debug, Clone)]
pub struct Files {
    pub dir: PathBuf,
    /// Files rewritten.
    pub changed: usize,
}

/// The compose files and the secret env files: what creating containers needs. Only
/// [`ComposeDriver::prepare`] makes one, under the environment's lock.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub dir: PathBuf,
    /// Files rewritten, secret env files included.
    pub changed: usize,
}

/// Drives one compose environment; render's files and plan are made once, in [`ComposeDriver::new`].
pub struct ComposeDriver<'a> {
    pub model: &'a Model,
    /// What to start, wait for and report.
    pub plan: ComposePlan,
    /// The compose files (paths relative to `.berth/`).
    files: ArtifactSet,
    pub ws: Workspace,
    pub runner: &'a dyn Runner,
    pub clock: &'a dyn Clock,
    pub sources: &'a dyn SecretSources,
    /// Set (e.g. by a SIGINT handler) to stop waiting.
    pub cancel: Arc<AtomicBool>,
    /// Interval between `ps` polls.
    pub poll: Duration,
}

impl<'a> ComposeDriver<'a> {
    pub fn new(
        model: &'a Model,
        ws: Workspace,
        runner: &'a dyn Runner,
        clock: &'a dyn Clock,
        sources: &'a dyn SecretSources,
    ) -> Result<Self, DriveError> {
        if model.platform != Platform::Compose {
            let (platform, hint) = match model.platform {
                Platform::Kubernetes => (
                    "kubernetes",
                    "render it with `berth render` and apply deploy/k8s/rendered".to_string(),
                ),
                _ => (
                    "native",
                    "native environments are not driven yet".to_string(),
                ),
            };
            return Err(DriveError::NotCompose {
                env: model.environment.clone(),
                platform: platform.into(),
                hint,
            });
        }
        Ok(Self::from_rendered(
            model,
            berth_render::plan::compose(model),
            ws,
            runner,
            clock,
            sources,
        ))
    }

    /// A driver for files and a plan rendered elsewhere (e.g. the containers of a `berth dev`
    /// session); `model` is what they were rendered from.
    pub fn from_rendered(
        model: &'a Model,
        rendered: berth_render::Rendered<ComposePlan>,
        ws: Workspace,
        runner: &'a dyn Runner,
        clock: &'a dyn Clock,
        sources: &'a dyn SecretSources,
    ) -> Self {
        ComposeDriver {
            model,
            plan: rendered.plan,
            files: rendered.files,
            ws,
            runner,
            clock,
            sources,
            cancel: Arc::new(AtomicBool::new(false)),
            poll: Duration::from_millis(500),
        }
    }

    pub fn env(&self) -> &str {
        &self.model.environment
    }

    pub fn project(&self) -> &str {
        &self.model.stack
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Take the environment's lock and the compose project's machine-wide one (held by the
    /// commands that start or remove containers).
    pub fn lock(&self) -> Result<EnvLock, DriveError> {
        self.ensure_workspace()?;
        let lock = self.ws.lock(self.env())?;
        // After the environment's own lock: a second `up` here is refused naming its pid.
        Ok(lock.with_project(self.ws.lock_project(self.project())?))
    }

    fn ensure_workspace(&self) -> Result<(), DriveError> {
        self.ws.ensure().map_err(|source| DriveError::Io {
            path: self.ws.dir.clone(),
            source,
        })
    }

    /// Write the environment's compose files into `.berth/compose/<env>/` (no secret values).
    pub fn write_files(&self) -> Result<Files, DriveError> {
        self.ensure_workspace()?;
        let changed = artifacts::write(&self.files, &self.ws.dir).map_err(|e| DriveError::Io {
            path: e.path,
            source: e.source,
        })?;
        Ok(Files {
            dir: self.ws.compose_dir(self.env()),
            changed: changed.len(),
        })
    }

    /// The compose files plus every secret the plan needs: generated values created once into
    /// `.berth/secrets.json`, the others read from the host, all written into the secret env
    /// files. Only under the environment's lock.
    pub fn prepare(&self, lock: &EnvLock) -> Result<Prepared, DriveError> {
        debug_assert_eq!(lock.env, self.env(), "the lock of another environment");
        let files = self.write_files()?;
        self.refuse_lost_secrets()?;
        let values = secrets::materialise(
            &self.plan.secrets,
            &self.ws.root,
            &self.ws.secrets_path(),
            self.sources,
        )?;
        let written = secrets::write_env_files(self.model, &values, &self.ws.dir)?;
        Ok(Prepared {
            dir: files.dir,
            changed: files.changed + written,
        })
    }

    /// Refuse to generate a store's secret afresh when the store's data volume exists: the
    /// value it was initialised with is lost (`.berth/secrets.json` deleted or replaced).
    fn refuse_lost_secrets(&self) -> Result<(), DriveError> {
        let path = self.ws.secrets_path();
        let fresh = secrets::ungenerated(&self.plan.secrets, &path)?;
        if fresh.is_empty() {
            return Ok(());
        }
        let existing = self.volumes()?;
        let (mut names, mut stores, mut volumes) = (Vec::new(), Vec::new(), Vec::new());
        for secret in fresh {
            for store in self.model.stores.iter().filter(|s| {
                secret.needed_by.contains(&s.name)
                    && existing.contains(&berth_render::compose::volume_name(s))
            }) {
                names.push(secret.name.clone());
                stores.push(store.name.clone());
                volumes.push(format!(
                    "{}_{}",
                    self.project(),
                    berth_render::compose::volume_name(store)
                ));
            }
        }
        if names.is_empty() {
            return Ok(());
        }
        for v in [&mut names, &mut stores, &mut volumes] {
            v.sort();
            v.dedup();
        }
        Err(DriveError::SecretsLost {
            path,
            secrets: names,
            stores,
            volumes,
        })
    }

    /// The compose volume names of the project's existing Docker volumes.
    fn volumes(&self) -> Result<BTreeSet<String>, DriveError> {
        let label = format!("label=com.docker.compose.project={}", self.project());
        let cmd = Cmd::new("docker").args([
            "volume",
            "ls",
            "--filter",
            &label,
            "--format",
            "{{.Label \"com.docker.compose.volume\"}}",
        ]);
        let out = self.exec(&cmd)?;
        Ok(out.stdout.lines().map(|l| l.trim().to_string()).collect())
    }

    /// The selection of `only` and a subset of services (empty: all) on this plan.
    pub fn select(&self, only: Option<Only>, services: &[String]) -> Result<Selection, DriveError> {
        Ok(select::select(&self.plan, only, services)?)
    }

    /// `docker compose -p STACK -f stores -f services ARGS` in the environment's directory
    /// (with the observability profile's file and `--profile observability` when the
    /// environment has one, so `down`, `ps` and `logs` see its containers too).
    pub fn compose_cmd<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let profile: &[&str] = if self.plan.observability.is_empty() {
            &[]
        } else {
            &["--profile", "observability"]
        };
        Cmd::new("docker")
            .args(["compose", "--ansi", "never", "-p", self.project()])
            .args(self.plan.files.iter().flat_map(|f| ["-f", f.as_str()]))
            .args(profile.iter().copied())
            .args(args)
            .cwd(self.ws.compose_dir(self.env()))
    }

    fn exec(&self, cmd: &Cmd) -> Result<Output, DriveError> {
        let out = self.runner.output(cmd).map_err(|source| {
            if source.kind() == std::io::ErrorKind::Interrupted {
                DriveError::Interrupted
            } else {
                DriveError::Spawn {
                    command: cmd.display(),
                    source,
                }
            }
        })?;
        if self.cancelled() {
            return Err(DriveError::Interrupted);
        }
        if !out.success() {
            let detail = out.stderr.trim().to_string();
            return Err(DriveError::Docker {
                command: cmd.display(),
                code: out.code,
                hint: docker_hint(&detail),
                detail,
            });
        }
        Ok(out)
    }

    /// Every container of the project (`ps -a`).
    pub fn ps(&self) -> Result<Vec<Container>, DriveError> {
        let cmd = self.compose_cmd(["ps", "-a", "--format", "json"]);
        let out = self.exec(&cmd)?;
        parse_ps(&out.stdout).map_err(|e| DriveError::Docker {
            command: cmd.display(),
            code: out.code,
            detail: format!("unexpected output ({e}):\n{}", out.stdout),
            hint: None,
        })
    }

    /// Start the selection: stores, then workloads level by level, each waited for.
    pub fn up(
        &self,
        _prepared: &Prepared,
        sel: &Selection,
        opts: &UpOptions,
        obs: &dyn Observer,
    ) -> Result<UpReport, DriveError> {
        let before = self.ps()?;
        self.require_running(&before, &sel.required_stores)?;
        let mut started: Vec<String> = Vec::new();
        for (what, targets) in self.waves(sel) {
            let names: Vec<&str> = targets.iter().map(|u| u.service.as_str()).collect();
            obs.step(&format!("starting {what}: {}", names.join(", ")));
            let mut args = vec!["up", "-d", "--no-deps", "--remove-orphans"];
            if opts.build {
                args.push("--build");
            }
            args.extend(names.iter().copied());
            self.exec(&self.compose_cmd(args))?;
            self.wait(&targets, opts.timeout, obs)?;
            started.extend(names.iter().map(|s| s.to_string()));
        }
        if !sel.workloads.is_empty() {
            started.extend(self.up_observability(opts, obs)?);
        }
        let after = if started.is_empty() {
            before.clone()
        } else {
            self.ps()?
        };
        Ok(UpReport {
            endpoints: endpoints(&self.plan, sel),
            ..compare(&before, &after, &started)
        })
    }

    /// Start the observability profile's services whose image is on this machine (the image
    /// its variable names, else the rendered default; nothing is pulled), each waited for; the
    /// others are reported as skipped. Returns the started services.
    fn up_observability(
        &self,
        opts: &UpOptions,
        obs: &dyn Observer,
    ) -> Result<Vec<String>, DriveError> {
        let mut targets = Vec::new();
        for o in &self.plan.observability {
            let image = std::env::var(&o.variable).unwrap_or_else(|_| o.image.clone());
            let inspect = Cmd::new("docker").args([
                "image",
                "inspect",
                "--format",
                "{{.Id}}",
                image.as_str(),
            ]);
            match self.runner.output(&inspect) {
                Ok(out) if out.success() => targets.push(o.unit.clone()),
                _ => obs.step(&format!(
                    "observability: not starting {}: image {image} is not on this machine (set {} to a local image)",
                    o.unit.service, o.variable
                )),
            }
        }
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = targets.iter().map(|u| u.service.as_str()).collect();
        obs.step(&format!("starting observability: {}", names.join(", ")));
        let mut args = vec![
            "--profile",
            "observability",
            "up",
            "-d",
            "--no-deps",
            "--pull",
            "never",
        ];
        args.extend(names.iter().copied());
        self.exec(&self.compose_cmd(args))?;
        self.wait(&targets, opts.timeout, obs)?;
        Ok(names.iter().map(|s| s.to_string()).collect())
    }

    /// Fail unless every one of `stores` (which this start relies on without starting them)
    /// is already running and ready.
    fn require_running(&self, ps: &[Container], stores: &[String]) -> Result<(), DriveError> {
        let missing: Vec<String> = stores
            .iter()
            .filter(|s| {
                let cs: Vec<&Container> = ps.iter().filter(|c| &&c.service == s).collect();
                let healthcheck = self.plan.unit(s).is_some_and(|u| u.healthcheck);
                !phase(Kind::Store, healthcheck, &cs).done()
            })
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(DriveError::StoresNotRunning { stores: missing })
        }
    }

    /// The start waves of a selection: its stores' services (helpers included), then one wave
    /// per workload level.
    fn waves(&self, sel: &Selection) -> Vec<(&'static str, Vec<Unit>)> {
        let mut waves = Vec::new();
        let mut stores: Vec<Unit> = Vec::new();
        for unit in self
            .plan
            .stores
            .iter()
            .filter(|s| sel.stores.contains(&s.name))
            .flat_map(|s| s.services.iter())
        {
            // Stores that share a container start it once.
            if !stores.contains(unit) {
                stores.push(unit.clone());
            }
        }
        if !stores.is_empty() {
            waves.push(("stores", stores));
        }
        for level in select::levels(&self.plan, &sel.workloads) {
            let targets: Vec<Unit> = level
                .iter()
                .filter_map(|n| self.plan.workload(n).map(|w| w.unit.clone()))
                .collect();
            let what = if targets.iter().all(|u| u.kind == Kind::Job) {
                "jobs"
            } else {
                "services"
            };
            waves.push((what, targets));
        }
        waves
    }

    /// Poll until every target is done; fail at the first failure, on timeout or on cancel.
    pub fn wait(
        &self,
        targets: &[Unit],
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let named: Vec<(String, Kind)> = targets
            .iter()
            .map(|u| (u.service.clone(), u.kind))
            .collect();
        obs.begin(&named);
        let result = self.wait_inner(targets, timeout, obs);
        obs.end();
        result
    }

    fn wait_inner(
        &self,
        targets: &[Unit],
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let start = self.clock.instant();
        let mut last: BTreeMap<&str, Phase> = BTreeMap::new();
        // Targets that had a container during this wait: one that loses it fails at once.
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        loop {
            if self.cancelled() {
                return Err(DriveError::Interrupted);
            }
            let containers = self.ps()?;
            let elapsed = self.clock.instant().saturating_duration_since(start);
            let mut pending = Vec::new();
            for Unit {
                service: name,
                kind,
                healthcheck,
            } in targets
            {
                let cs: Vec<&Container> =
                    containers.iter().filter(|c| &c.service == name).collect();
                if !cs.is_empty() {
                    seen.insert(name);
                }
                let p = if cs.is_empty() && seen.contains(name.as_str()) {
                    Phase::Failed(GONE.into())
                } else {
                    phase(*kind, *healthcheck, &cs)
                };
                if last.get(name.as_str()) != Some(&p) {
                    obs.update(name, &p, elapsed);
                    last.insert(name, p.clone());
                }
                if let Phase::Failed(reason) = &p {
                    let health = cs
                        .iter()
                        .find(|c| c.health == "unhealthy")
                        .and_then(|c| self.last_health_output(&c.id));
                    return Err(DriveError::Failed {
                        what: kind.word(),
                        name: name.clone(),
                        reason: reason.clone(),
                        health,
                        logs: self.tail_logs(name),
                    });
                }
                if !p.done() {
                    pending.push(name.clone());
                }
            }
            if pending.is_empty() {
                return Ok(());
            }
            if elapsed >= timeout {
                let logs = self.tail_logs(&pending[0]);
                let health = containers
                    .iter()
                    .find(|c| c.service == pending[0])
                    .and_then(|c| self.last_health_output(&c.id));
                return Err(DriveError::Timeout {
                    pending,
                    waited_s: elapsed.as_secs(),
                    health,
                    logs,
                });
            }
            self.clock.sleep(self.poll);
        }
    }

    /// The last lines of a service's logs (best effort: empty when unavailable).
    pub fn tail_logs(&self, service: &str) -> String {
        let n = LOG_LINES.to_string();
        let cmd = self.compose_cmd([
            "logs",
            "--no-color",
            "--no-log-prefix",
            "--tail",
            &n,
            service,
        ]);
        match self.runner.output(&cmd) {
            Ok(o) => {
                let mut s = o.stdout;
                s.push_str(&o.stderr);
                s
            }
            Err(_) => String::new(),
        }
    }

    fn last_health_output(&self, id: &str) -> Option<String> {
        if id.is_empty() {
            return None;
        }
        let cmd = Cmd::new("docker").args(["inspect", "--format", "{{json .State.Health}}", id]);
        let out = self.runner.output(&cmd).ok()?;
        let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).ok()?;
        let last = v.get("Log")?.as_array()?.last()?;
        let text = last.get("Output")?.as_str()?.trim();
        let code = last.get("ExitCode").and_then(|c| c.as_i64()).unwrap_or(-1);
        Some(if text.is_empty() {
            format!("exit {code}")
        } else {
            format!(
                "exit {code}: {}",
                text.lines().take(5).collect::<Vec<_>>().join(" | ")
            )
        })
    }
}

/// Created / recreated / unchanged, by comparing container IDs of the started services.
fn compare(before: &[Container], after: &[Container], started: &[String]) -> UpReport {
    let ids = |cs: &[Container], s: &str| -> BTreeSet<String> {
        cs.iter()
            .filter(|c| c.service == s)
            .map(|c| c.id.clone())
            .collect()
    };
    let mut r = UpReport::default();
    for s in started {
        let (b, a) = (ids(before, s), ids(after, s));
        if b.is_empty() {
            r.created.push(s.clone());
        } else if b == a {
            r.unchanged.push(s.clone());
        } else {
            r.recreated.push(s.clone());
        }
    }
    r
}

/// Published host ports of the selection (all bound to 127.0.0.1 by the renderer): the
/// workloads', then the stores'.
pub fn endpoints(plan: &ComposePlan, sel: &Selection) -> Vec<Endpoint> {
    let workloads = plan
        .workloads
        .iter()
        .filter(|w| sel.workloads.iter().any(|n| n == w.name()))
        .flat_map(|w| w.endpoints.iter().cloned());
    let stores = plan
        .stores
        .iter()
        .filter(|s| sel.stores.contains(&s.name))
        .flat_map(|s| s.endpoints.iter().cloned());
    let observability = plan
        .observability
        .iter()
        .filter(|_| !sel.workloads.is_empty())
        .flat_map(|o| o.endpoints.iter().cloned());
    workloads.chain(stores).chain(observability).collect()
}

#[cfg(test)]
mod tests;
