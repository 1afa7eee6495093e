//! The compose driver: `up`, `down`, `status`, `logs`, `restart`, `run` of one
//! compose environment through `docker compose`, project name = stack name.
//!
//! Decisions:
//! - Files: every command first renders the environment into `.berth/compose/<env>/` (only
//!   changed files are rewritten) and writes the secret env files from `.berth/secrets.json`;
//!   both compose files are always passed (`-f compose.stores.yaml -f compose.services.yaml`),
//!   so orphans are judged against the whole stack even when a recipe starts only part of it.
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

use crate::clock::Clock;
use crate::process::{Cmd, Output, Runner};
use crate::secrets::{self, SecretError, SecretSources};
use crate::select::{self, Selection, UnknownService};
use crate::workspace::{EnvLock, LockError, Workspace};
use berth_spec::model::{Check, Realized, StoreModel};
use berth_spec::{Model, Platform, StoreType};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How many log lines a failure report shows.
pub const LOG_LINES: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("environment `{env}` runs on {platform}, not compose: `berth up` drives compose environments ({hint})")]
    NotCompose {
        env: String,
        platform: String,
        hint: String,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Select(#[from] UnknownService),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run `{command}`: {source}; is Docker installed (docker compose v2 or newer)?")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed{}:\n{detail}{}", code.map(|c| format!(" (exit {c})")).unwrap_or_default(), hint.as_ref().map(|h| format!("\nhint: {h}")).unwrap_or_default())]
    Docker {
        command: String,
        code: Option<i32>,
        detail: String,
        hint: Option<String>,
    },
    #[error("{what} `{name}` {reason}{}\n{}", health.as_ref().map(|h| format!("\nlast health check: {h}")).unwrap_or_default(), logs_block(name, logs))]
    Failed {
        what: &'static str,
        name: String,
        reason: String,
        health: Option<String>,
        logs: String,
    },
    #[error("timed out after {waited_s}s waiting for {}\n{}", pending.join(", "), logs_block(pending.first().map(String::as_str).unwrap_or(""), logs))]
    Timeout {
        pending: Vec<String>,
        waited_s: u64,
        logs: String,
    },
    #[error("stores not running: {}; start them first (`berth up`, or a recipe with `only: stores`)", stores.join(", "))]
    StoresNotRunning { stores: Vec<String> },
    #[error("interrupted; containers started so far keep running: run `berth up` again to converge, or `berth down` to stop")]
    Interrupted,
    #[error("{stage} command `{command}` failed{}", code.map(|c| format!(" (exit {c})")).unwrap_or_else(|| " (killed by a signal)".into()))]
    Hook {
        stage: &'static str,
        command: String,
        code: Option<i32>,
    },
}

fn logs_block(name: &str, logs: &str) -> String {
    if logs.trim().is_empty() {
        format!("(no log output from `{name}`)")
    } else {
        let mut s = format!("last log lines of `{name}`:\n");
        for l in logs.trim_end().lines() {
            s.push_str("  │ ");
            s.push_str(l);
            s.push('\n');
        }
        s.trim_end().to_string()
    }
}

/// What a compose service is, for waiting and reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Store,
    Service,
    Job,
}

impl Kind {
    fn one_shot(self) -> bool {
        self == Kind::Job
    }
    fn word(self) -> &'static str {
        match self {
            Kind::Store => "store",
            Kind::Service => "service",
            Kind::Job => "job",
        }
    }
}

/// Where a waited-for service stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No container yet.
    Pending,
    /// Created/running, health check not passed yet (or a job still running).
    Starting,
    /// Running and healthy.
    Healthy,
    /// Running, no health check.
    Running,
    /// A job that exited 0.
    Completed,
    Failed(String),
}

impl Phase {
    pub fn done(&self) -> bool {
        matches!(self, Phase::Healthy | Phase::Running | Phase::Completed)
    }
    pub fn label(&self) -> String {
        match self {
            Phase::Pending => "waiting".into(),
            Phase::Starting => "starting".into(),
            Phase::Healthy => "healthy".into(),
            Phase::Running => "running".into(),
            Phase::Completed => "completed".into(),
            Phase::Failed(r) => format!("failed: {r}"),
        }
    }
}

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

/// One container as `docker compose ps --format json` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub service: String,
    pub state: String,
    pub health: String,
    pub exit_code: i64,
    /// `127.0.0.1:18080->8080/tcp`.
    pub ports: Vec<String>,
}

/// Parse `docker compose ps --format json`: one object per line (compose ≥ 2.21) or one array.
pub fn parse_ps(text: &str) -> Result<Vec<Container>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<serde_json::Value> = if t.starts_with('[') {
        serde_json::from_str(t).map_err(|e| e.to_string())?
    } else {
        t.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?
    };
    let s = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
    };
    Ok(values
        .iter()
        .map(|v| {
            let mut ports: Vec<String> = v
                .get("Publishers")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let published = p.get("PublishedPort")?.as_u64()?;
                    if published == 0 {
                        return None;
                    }
                    let url = p.get("URL").and_then(|u| u.as_str()).unwrap_or("0.0.0.0");
                    let target = p.get("TargetPort")?.as_u64()?;
                    let proto = p.get("Protocol").and_then(|u| u.as_str()).unwrap_or("tcp");
                    Some(format!("{url}:{published}->{target}/{proto}"))
                })
                .collect();
            ports.sort();
            ports.dedup();
            Container {
                id: s(v, "ID"),
                name: s(v, "Name"),
                service: s(v, "Service"),
                state: s(v, "State"),
                health: s(v, "Health"),
                exit_code: v.get("ExitCode").and_then(|x| x.as_i64()).unwrap_or(0),
                ports,
            }
        })
        .collect())
}

/// The phase of a service from its containers; `healthchecked` when its compose definition has
/// a health check (then only `healthy` is ready: right after a start Docker may not report a
/// health state yet).
pub fn phase(kind: Kind, healthchecked: bool, containers: &[&Container]) -> Phase {
    if containers.is_empty() {
        return Phase::Pending;
    }
    let mut phases = containers.iter().map(|c| one(kind, healthchecked, c));
    let all: Vec<Phase> = phases.by_ref().collect();
    if let Some(f) = all.iter().find(|p| matches!(p, Phase::Failed(_))) {
        return f.clone();
    }
    if all.iter().all(Phase::done) {
        return all[0].clone();
    }
    Phase::Starting
}

fn one(kind: Kind, healthchecked: bool, c: &Container) -> Phase {
    match (c.state.as_str(), kind.one_shot()) {
        ("exited", true) if c.exit_code == 0 => Phase::Completed,
        ("exited", _) | ("dead", _) => Phase::Failed(format!("exited with code {}", c.exit_code)),
        ("restarting", _) => Phase::Failed(format!(
            "keeps crashing and restarting (last exit code {})",
            c.exit_code
        )),
        ("paused", _) => Phase::Failed("is paused (`docker unpause` it)".into()),
        ("running", true) => Phase::Starting,
        ("running", false) => match c.health.as_str() {
            "healthy" => Phase::Healthy,
            "unhealthy" => Phase::Failed("is unhealthy: its health check keeps failing".into()),
            "" if !healthchecked => Phase::Running,
            _ => Phase::Starting,
        },
        _ => Phase::Starting,
    }
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub name: String,
    pub port: String,
    pub url: String,
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
}

/// The prepared files of an environment.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub dir: PathBuf,
    /// Services of compose.stores.yaml: (compose service, store it belongs to, kind).
    pub store_services: Vec<(String, String, Kind)>,
    /// Compose services that have a health check.
    pub healthchecked: BTreeSet<String>,
    /// Files rewritten by this preparation.
    pub changed: usize,
}

pub struct ComposeDriver<'a> {
    pub model: &'a Model,
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
        Ok(ComposeDriver {
            model,
            ws,
            runner,
            clock,
            sources,
            cancel: Arc::new(AtomicBool::new(false)),
            poll: Duration::from_millis(500),
        })
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

    /// Take the environment's lock (held by up/deploy/down).
    pub fn lock(&self) -> Result<EnvLock, DriveError> {
        self.ws.ensure().map_err(|source| DriveError::Io {
            path: self.ws.dir.clone(),
            source,
        })?;
        Ok(self.ws.lock(self.env())?)
    }

    /// Render the environment into `.berth/compose/<env>/` and write its secret env files.
    pub fn prepare(&self) -> Result<Prepared, DriveError> {
        let io = |path: PathBuf| move |source| DriveError::Io { path, source };
        self.ws.ensure().map_err(io(self.ws.dir.clone()))?;
        let set = berth_render::compose::render(self.model);
        let mut changed = 0;
        for (path, bytes) in set.iter() {
            let p = self.ws.dir.join(path);
            if crate::fsutil::write_if_changed(&p, bytes, false).map_err(io(p.clone()))? {
                changed += 1;
            }
        }
        let values = secrets::materialise(
            self.model,
            &self.ws.root,
            &self.ws.secrets_path(),
            self.sources,
        )?;
        changed += secrets::write_env_files(self.model, &values, &self.ws.dir)?;
        let stores_path = format!(
            "{}/compose.stores.yaml",
            berth_render::compose::dir(self.model)
        );
        let stores_yaml = set.get_str(&stores_path).unwrap_or("");
        let services_path = format!(
            "{}/compose.services.yaml",
            berth_render::compose::dir(self.model)
        );
        let mut healthchecked = healthchecked_in(stores_yaml);
        healthchecked.extend(healthchecked_in(set.get_str(&services_path).unwrap_or("")));
        Ok(Prepared {
            dir: self.ws.compose_dir(self.env()),
            store_services: store_services(self.model, stores_yaml),
            healthchecked,
            changed,
        })
    }

    /// `docker compose -p STACK -f stores -f services ARGS` in the environment's directory.
    pub fn compose_cmd<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Cmd::new("docker")
            .args([
                "compose",
                "--ansi",
                "never",
                "-p",
                self.project(),
                "-f",
                "compose.stores.yaml",
                "-f",
                "compose.services.yaml",
            ])
            .args(args)
            .cwd(self.ws.compose_dir(self.env()))
    }

    fn exec(&self, cmd: &Cmd) -> Result<Output, DriveError> {
        let out = self
            .runner
            .output(cmd)
            .map_err(|source| DriveError::Spawn {
                command: cmd.display(),
                source,
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
        prepared: &Prepared,
        sel: &Selection,
        opts: &UpOptions,
        obs: &dyn Observer,
    ) -> Result<UpReport, DriveError> {
        let before = self.ps()?;
        if !sel.required_stores.is_empty() {
            let missing: Vec<String> = sel
                .required_stores
                .iter()
                .filter(|s| {
                    let cs: Vec<&Container> = before.iter().filter(|c| &&c.service == s).collect();
                    !phase(Kind::Store, prepared.healthchecked.contains(*s), &cs).done()
                })
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(DriveError::StoresNotRunning { stores: missing });
            }
        }
        let mut started: Vec<String> = Vec::new();
        let store_targets: Vec<(String, Kind)> = prepared
            .store_services
            .iter()
            .filter(|(_, store, _)| sel.stores.contains(store))
            .map(|(svc, _, kind)| (svc.clone(), *kind))
            .collect();
        let mut waves: Vec<(&str, Vec<(String, Kind)>)> = Vec::new();
        if !store_targets.is_empty() {
            waves.push(("stores", store_targets));
        }
        for level in select::levels(self.model, &sel.workloads) {
            let targets: Vec<(String, Kind)> = level
                .into_iter()
                .map(|n| {
                    let job = self.model.workload(&n).is_some_and(|w| w.is_job());
                    (n, if job { Kind::Job } else { Kind::Service })
                })
                .collect();
            let what = if targets.iter().all(|(_, k)| *k == Kind::Job) {
                "jobs"
            } else {
                "services"
            };
            waves.push((what, targets));
        }
        for (what, targets) in &waves {
            let names: Vec<&str> = targets.iter().map(|(n, _)| n.as_str()).collect();
            obs.step(&format!("starting {what}: {}", names.join(", ")));
            let mut args = vec!["up", "-d", "--no-deps", "--remove-orphans"];
            if opts.build {
                args.push("--build");
            }
            args.extend(names.iter().copied());
            self.exec(&self.compose_cmd(args))?;
            self.wait(prepared, targets, opts.timeout, obs)?;
            started.extend(names.iter().map(|s| s.to_string()));
        }
        let after = if started.is_empty() {
            before.clone()
        } else {
            self.ps()?
        };
        Ok(UpReport {
            endpoints: endpoints(self.model, sel),
            ..compare(&before, &after, &started)
        })
    }

    /// Poll until every target is done; fail at the first failure, on timeout or on cancel.
    pub fn wait(
        &self,
        prepared: &Prepared,
        targets: &[(String, Kind)],
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        obs.begin(targets);
        let result = self.wait_inner(prepared, targets, timeout, obs);
        obs.end();
        result
    }

    fn wait_inner(
        &self,
        prepared: &Prepared,
        targets: &[(String, Kind)],
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let start = self.clock.instant();
        let mut last: BTreeMap<&str, Phase> = BTreeMap::new();
        loop {
            if self.cancelled() {
                return Err(DriveError::Interrupted);
            }
            let containers = self.ps()?;
            let elapsed = self.clock.instant().saturating_duration_since(start);
            let mut pending = Vec::new();
            for (name, kind) in targets {
                let cs: Vec<&Container> =
                    containers.iter().filter(|c| &c.service == name).collect();
                let p = phase(*kind, prepared.healthchecked.contains(name), &cs);
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
                return Err(DriveError::Timeout {
                    pending,
                    waited_s: elapsed.as_secs(),
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

    /// Stop and remove the project's containers and network; named volumes only when asked.
    pub fn down(&self, volumes: bool) -> Result<(), DriveError> {
        let mut args = vec!["down", "--remove-orphans"];
        if volumes {
            args.push("--volumes");
        }
        self.exec(&self.compose_cmd(args))?;
        Ok(())
    }

    /// Per service: state, health, restarts, ports.
    pub fn status(&self, prepared: &Prepared) -> Result<Vec<ServiceStatus>, DriveError> {
        let containers = self.ps()?;
        let restarts = self.restart_counts(&containers);
        let mut names: Vec<(String, Kind)> = prepared
            .store_services
            .iter()
            .map(|(s, _, k)| {
                (
                    s.clone(),
                    if *k == Kind::Job {
                        Kind::Job
                    } else {
                        Kind::Store
                    },
                )
            })
            .collect();
        for w in &self.model.workloads {
            names.push((
                w.name.clone(),
                if w.is_job() { Kind::Job } else { Kind::Service },
            ));
        }
        // Containers of services no longer in the spec (orphans) are shown too.
        for c in &containers {
            if !names.iter().any(|(n, _)| n == &c.service) {
                names.push((c.service.clone(), Kind::Service));
            }
        }
        Ok(names
            .into_iter()
            .map(|(name, kind)| {
                let cs: Vec<&Container> = containers.iter().filter(|c| c.service == name).collect();
                let pick = |f: fn(&Container) -> &str| -> String {
                    let mut v: Vec<&str> = cs.iter().map(|c| f(c)).collect();
                    v.dedup();
                    v.join(",")
                };
                ServiceStatus {
                    state: if cs.is_empty() {
                        "absent".into()
                    } else {
                        pick(|c| &c.state)
                    },
                    health: pick(|c| &c.health),
                    restarts: cs
                        .iter()
                        .map(|c| restarts.get(&c.id).copied().unwrap_or(0))
                        .sum(),
                    exit_code: cs.iter().find(|c| c.state == "exited").map(|c| c.exit_code),
                    containers: cs.iter().map(|c| c.name.clone()).collect(),
                    ports: cs.iter().flat_map(|c| c.ports.clone()).collect(),
                    name,
                    kind,
                }
            })
            .collect())
    }

    /// Docker's restart count per container id (`docker inspect`).
    fn restart_counts(&self, containers: &[Container]) -> BTreeMap<String, u64> {
        let ids: Vec<&str> = containers
            .iter()
            .map(|c| c.id.as_str())
            .filter(|i| !i.is_empty())
            .collect();
        if ids.is_empty() {
            return BTreeMap::new();
        }
        let cmd = Cmd::new("docker")
            .args(["inspect", "--format", "{{.Id}} {{.RestartCount}}"])
            .args(ids.iter().copied());
        let Ok(out) = self.runner.output(&cmd) else {
            return BTreeMap::new();
        };
        let mut m = BTreeMap::new();
        for line in out.stdout.lines() {
            if let Some((id, n)) = line.split_once(' ') {
                if let Ok(n) = n.trim().parse() {
                    // ps reports short or full ids depending on the version: key by both.
                    for c in containers
                        .iter()
                        .filter(|c| !c.id.is_empty() && id.starts_with(&c.id))
                    {
                        m.insert(c.id.clone(), n);
                    }
                }
            }
        }
        m
    }

    /// The compose services a user may name (stores, their helpers, workloads).
    pub fn service_names(&self, prepared: &Prepared) -> Vec<String> {
        prepared
            .store_services
            .iter()
            .map(|(s, _, _)| s.clone())
            .chain(self.model.workloads.iter().map(|w| w.name.clone()))
            .collect()
    }

    fn known(&self, prepared: &Prepared, name: &str) -> Result<(), DriveError> {
        let known = self.service_names(prepared);
        if known.iter().any(|k| k == name) {
            Ok(())
        } else {
            Err(UnknownService {
                name: name.into(),
                known,
            }
            .into())
        }
    }

    /// `docker compose logs` on the terminal.
    pub fn logs(
        &self,
        prepared: &Prepared,
        service: Option<&str>,
        follow: bool,
        tail: Option<u32>,
    ) -> Result<Option<i32>, DriveError> {
        if let Some(s) = service {
            self.known(prepared, s)?;
        }
        let mut args: Vec<String> = vec!["logs".into()];
        if follow {
            args.push("--follow".into());
        }
        if let Some(n) = tail {
            args.push("--tail".into());
            args.push(n.to_string());
        }
        args.extend(service.map(String::from));
        self.interactive(&self.compose_cmd(args))
    }

    fn interactive(&self, cmd: &Cmd) -> Result<Option<i32>, DriveError> {
        self.runner
            .interactive(cmd)
            .map_err(|source| DriveError::Spawn {
                command: cmd.display(),
                source,
            })
    }

    /// Restart one service (or store) and wait until it is healthy again.
    pub fn restart(
        &self,
        prepared: &Prepared,
        service: &str,
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        self.known(prepared, service)?;
        let kind = if prepared.store_services.iter().any(|(s, _, _)| s == service) {
            Kind::Store
        } else if self.model.workload(service).is_some_and(|w| w.is_job()) {
            Kind::Job
        } else {
            Kind::Service
        };
        let containers = self.ps()?;
        if !containers.iter().any(|c| c.service == service) {
            return Err(DriveError::Failed {
                what: kind.word(),
                name: service.into(),
                reason: "has no container: start it with `berth up` first".into(),
                health: None,
                logs: String::new(),
            });
        }
        obs.step(&format!("restarting {service}"));
        self.exec(&self.compose_cmd(["restart", service]))?;
        self.wait(prepared, &[(service.to_string(), kind)], timeout, obs)
    }

    /// Run a job once in a new container (`docker compose run --rm`), output on the terminal;
    /// returns its exit code.
    pub fn run_job(
        &self,
        prepared: &Prepared,
        job: &str,
        tty: bool,
    ) -> Result<Option<i32>, DriveError> {
        self.known(prepared, job)?;
        let mut args = vec!["run", "--rm", "--no-deps"];
        if !tty {
            args.push("-T");
        }
        args.push(job);
        self.interactive(&self.compose_cmd(args))
    }

    /// Run a recipe's pre or post command with `sh -c` in the project root. `berth` in the
    /// command is this binary (its directory leads PATH); BERTH_ENVIRONMENT and BERTH_STACK are set.
    pub fn hook(&self, stage: &'static str, command: &str) -> Result<(), DriveError> {
        let mut cmd = Cmd::new("sh")
            .args(["-c", command])
            .cwd(self.ws.root.clone())
            .env("BERTH_ENVIRONMENT", self.env())
            .env("BERTH_STACK", self.project());
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(PathBuf::from))
        {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut paths = vec![dir];
            paths.extend(std::env::split_paths(&path));
            if let Ok(joined) = std::env::join_paths(paths) {
                cmd = cmd.env("PATH", joined.to_string_lossy().into_owned());
            }
        }
        let code = self.interactive(&cmd)?;
        if self.cancelled() {
            return Err(DriveError::Interrupted);
        }
        if code != Some(0) {
            return Err(DriveError::Hook {
                stage,
                command: command.into(),
                code,
            });
        }
        Ok(())
    }
}

/// Services of a rendered compose file that define an enabled health check.
fn healthchecked_in(yaml: &str) -> BTreeSet<String> {
    let doc: serde_json::Value = serde_saphyr::from_str(yaml).unwrap_or_default();
    doc.get("services")
        .and_then(|s| s.as_object())
        .into_iter()
        .flatten()
        .filter(|(_, svc)| {
            svc.get("healthcheck")
                .is_some_and(|h| h.get("disable").and_then(|d| d.as_bool()) != Some(true))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Services of the rendered stores file with the store each belongs to (a store's own service
/// and helpers such as `<store>-init`, which are one-shot jobs).
fn store_services(model: &Model, stores_yaml: &str) -> Vec<(String, String, Kind)> {
    let doc: serde_json::Value = serde_saphyr::from_str(stores_yaml).unwrap_or_default();
    let Some(services) = doc.get("services").and_then(|s| s.as_object()) else {
        return Vec::new();
    };
    services
        .iter()
        .filter_map(|(name, svc)| {
            let owner = model
                .stores
                .iter()
                .filter(|s| name == &s.name || name.starts_with(&format!("{}-", s.name)))
                .max_by_key(|s| s.name.len())?;
            let restart = svc.get("restart").and_then(|r| r.as_str()).unwrap_or("");
            let kind =
                if matches!(restart, "no" | "on-failure") || restart.starts_with("on-failure:") {
                    Kind::Job
                } else {
                    Kind::Store
                };
            Some((name.clone(), owner.name.clone(), kind))
        })
        .collect()
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

/// Published host ports of the selection (all bound to 127.0.0.1 by the renderer).
pub fn endpoints(model: &Model, sel: &Selection) -> Vec<Endpoint> {
    let mut out = Vec::new();
    for w in model
        .workloads
        .iter()
        .filter(|w| sel.workloads.contains(&w.name))
    {
        for p in &w.ports {
            let Some(host) = p.publish else { continue };
            let http = p.name.contains("http")
                || p.name == "web"
                || matches!(&w.health, Some(h) if matches!(&h.check, Check::Http { port_name, .. } if port_name == &p.name));
            let url = if http {
                format!("http://127.0.0.1:{host}")
            } else {
                format!("127.0.0.1:{host}")
            };
            out.push(Endpoint {
                name: w.name.clone(),
                port: p.name.clone(),
                url,
            });
        }
    }
    for s in model
        .stores
        .iter()
        .filter(|s| sel.stores.contains(&s.name) && s.realization == Realized::Container)
    {
        if let Some(host) = s.publish {
            out.push(Endpoint {
                name: s.name.clone(),
                port: s.port.to_string(),
                url: store_url(s, host),
            });
        }
        for p in s.extra_ports.iter() {
            if let Some(host) = p.publish {
                out.push(Endpoint {
                    name: s.name.clone(),
                    port: p.name.clone(),
                    url: format!("http://127.0.0.1:{host}"),
                });
            }
        }
    }
    out
}

fn store_url(s: &StoreModel, host: u16) -> String {
    match s.kind {
        StoreType::Redis => format!("redis://127.0.0.1:{host}"),
        StoreType::Postgres => format!(
            "postgres://{}@127.0.0.1:{host}/{}",
            s.user,
            s.database.as_deref().unwrap_or("postgres")
        ),
        StoreType::Mongodb => format!("mongodb://127.0.0.1:{host}/?directConnection=true"),
        StoreType::Rabbitmq => format!("amqp://{}@127.0.0.1:{host}", s.user),
    }
}

/// A hint for the docker errors newcomers hit here.
fn docker_hint(stderr: &str) -> Option<String> {
    let s = stderr.to_ascii_lowercase();
    if s.contains("pull access denied")
        || s.contains("no such image")
        || (s.contains("pulling") && s.contains("error"))
        || s.contains("registry-1.docker.io")
        || s.contains("manifest unknown")
        || s.contains("failed to resolve reference")
    {
        Some("an image is missing locally and cannot be pulled; build it first (scripts/build-images.sh for berth-local/*, the app's build script for your images) or set `image:`/`build:`".into())
    } else if s.contains("cannot connect to the docker daemon")
        || s.contains("permission denied while trying to connect")
    {
        Some("is the Docker engine running, and may this user use it (docker group)?".into())
    } else if s.contains("port is already allocated") || s.contains("address already in use") {
        Some(
            "a published host port is taken by another program: change `publish:` in berth.yaml"
                .into(),
        )
    } else if s.contains("is not a docker command")
        || s.contains("unknown command \"compose\"")
        || s.contains("unknown shorthand flag")
    {
        Some("install the docker compose v2 plugin (~/.docker/cli-plugins/docker-compose)".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
