//! `berth dev`: the development loop of a native or compose environment, in the foreground. It
//! executes the [`DevPlan`] render returns: the containers (stores, services without `dev.run`,
//! or a compose environment's whole stack) through the compose driver, the host processes
//! through its own supervisor, and in a compose environment `docker compose watch --no-up`
//! (sync and rebuild, `compose.dev.yaml`) as one more supervised program.
//!
//! Decisions:
//! - Order: stores first (healthy), then the workloads level by level (a workload after the
//!   services it uses and the jobs it waits for): a level's containers through `docker compose
//!   up`, its processes started together and waited for (readiness probe, or exit 0 for a job).
//! - Processes: `sh -c RUN` in `workdir`, each in its own process group, environment = the
//!   developer's plus the plan's (secret parts filled in from `.berth/secrets.json` and the
//!   host). A process is stopped by group: SIGTERM, SIGKILL after a grace period.
//! - Crashes: a service that exits is started again after a backoff (250 ms doubling to 8 s),
//!   reported; 5 exits in a row before becoming ready is a crash loop: fatal while starting,
//!   afterwards the service is left `crashed` until a change or `berth restart` revives it.
//! - Changes under `dev.watch` (filtered by `.gitignore`) restart the process once per burst:
//!   the restart happens 100 ms after the last change.
//! - Stores realized `process` (native): their servers start as supervised processes after the
//!   container stores and before the workloads; a missing server program is an error before
//!   anything starts.
//! - Compose environments: the stack is started like `berth up` (images built from the source
//!   as it is), then `docker compose watch --no-up` runs in the foreground of the session; its
//!   exit ends the session with an error.
//! - Stop (Ctrl-C, i.e. the cancel flag): every process group stopped, the log followers
//!   ended, the containers stopped (`docker compose stop`: volumes kept); a second Ctrl-C
//!   kills at once. The session then counts as a success.

mod child;
mod error;
pub mod probe;
pub mod state;
mod supervisor;
mod watch;

pub use error::DevError;
pub use state::{Paths, ProcessState, SessionState};
pub use supervisor::DevObserver;

use crate::clock::Clock;
use crate::compose::{ComposeDriver, Observer};
use crate::process::{Runner, Stream};
use crate::secrets::{self, SecretSources};
use crate::select::Selection;
use crate::workspace::Workspace;
use berth_render::plan::dev::{container_model, DevPlan, WatchAction};
use berth_render::plan::Kind;
use berth_render::Rendered;
use berth_spec::model::DepKind;
use berth_spec::{Model, Platform};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use supervisor::Supervisor;

/// A line or a change from a child, a probe or the watcher, for the supervisor's loop.
#[derive(Debug)]
pub enum Event {
    Line {
        name: String,
        stream: Stream,
        text: String,
    },
    Exited {
        name: String,
        gen: u64,
        code: Option<i32>,
    },
    Probe {
        name: String,
        gen: u64,
        ok: bool,
    },
    Changed {
        name: String,
    },
}

/// What a finished session did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DevReport {
    /// From the start until everything was ready.
    pub ready_ms: Option<u64>,
    pub processes: Vec<ProcessState>,
}

/// One `berth dev` session of a native environment.
pub struct DevSession<'a> {
    pub model: &'a Model,
    pub rendered: Rendered<DevPlan>,
    pub ws: Workspace,
    pub runner: &'a dyn Runner,
    pub clock: &'a dyn Clock,
    pub sources: &'a dyn SecretSources,
    /// Set on Ctrl-C: stop (a second time while stopping: kill).
    pub cancel: Arc<AtomicBool>,
    /// Wait for the containers (per phase).
    pub timeout: Duration,
}

impl<'a> DevSession<'a> {
    pub fn new(
        model: &'a Model,
        ws: Workspace,
        runner: &'a dyn Runner,
        clock: &'a dyn Clock,
        sources: &'a dyn SecretSources,
    ) -> Result<Self, DevError> {
        let rendered = berth_render::plan::dev(model).ok_or_else(|| DevError::NotNative {
            env: model.environment.clone(),
        })?;
        Ok(DevSession {
            model,
            rendered,
            ws,
            runner,
            clock,
            sources,
            cancel: Arc::new(AtomicBool::new(false)),
            timeout: Duration::from_secs(300),
        })
    }

    pub fn plan(&self) -> &DevPlan {
        &self.rendered.plan
    }

    pub fn paths(&self) -> Paths {
        Paths::new(&self.ws, &self.model.environment)
    }

    /// Problems the plan cannot see: watch paths and working directories that do not exist.
    pub fn preflight(&self) -> Result<(), DevError> {
        for w in &self.plan().watch {
            for r in &w.rules {
                let full = self.ws.root.join(&r.path);
                if !full.exists() {
                    return Err(DevError::WatchPathMissing {
                        name: w.service.clone(),
                        key: match r.action {
                            WatchAction::Sync => "sync",
                            WatchAction::Rebuild => "watch",
                        },
                        path: r.path.clone(),
                        full,
                    });
                }
            }
        }
        for p in &self.plan().processes {
            if let Some(program) = p.requires.iter().find(|prog| !on_path(prog)) {
                return Err(DevError::ProgramMissing {
                    name: p.name.clone(),
                    program: program.clone(),
                });
            }
            let full = self.ws.root.join(&p.workdir);
            if !full.is_dir() {
                return Err(DevError::WorkdirMissing {
                    name: p.name.clone(),
                    path: p.workdir.clone(),
                    full,
                });
            }
            for w in &p.watch {
                let full = self.ws.root.join(w);
                if !full.exists() {
                    return Err(DevError::WatchPathMissing {
                        name: p.name.clone(),
                        key: "watch",
                        path: w.clone(),
                        full,
                    });
                }
            }
        }
        Ok(())
    }

    /// Run until cancelled: start everything, supervise, stop everything.
    pub fn run(
        &self,
        progress: &dyn Observer,
        obs: &dyn DevObserver,
    ) -> Result<DevReport, DevError> {
        self.preflight()?;
        let lock = self
            .ws
            .lock(&self.model.environment)
            .map_err(crate::DriveError::from)?;
        // Its containers run in the stack's compose project: that machine-wide lock too.
        let lock = match &self.plan().containers {
            Some(_) => lock.with_project(
                self.ws
                    .lock_project(&self.model.stack)
                    .map_err(crate::DriveError::from)?,
            ),
            None => lock,
        };
        let cmodel = match self.model.platform {
            Platform::Native => container_model(self.model),
            _ => self.model.clone(),
        };
        let driver = self.plan().containers.clone().map(|plan| {
            let files = self.rendered.files.clone();
            let mut d = ComposeDriver::from_rendered(
                &cmodel,
                Rendered { files, plan },
                self.ws.clone(),
                self.runner,
                self.clock,
                self.sources,
            );
            d.cancel = self.cancel.clone();
            d
        });
        let values = secrets::materialise(
            &self.plan().secrets,
            &self.ws.root,
            &self.ws.secrets_path(),
            self.sources,
        )?;
        let mut sup = Supervisor::new(self, values, obs)?;
        let result = self.start(&mut sup, driver.as_ref(), &lock, progress);
        let result = match result {
            Ok(()) => sup.serve(),
            Err(e) => Err(e),
        };
        sup.shutdown();
        // Ctrl-C cancelled every captured command; stopping the containers is what it asked
        // for (a second Ctrl-C cancels this too).
        crate::process::resume();
        if let Some(d) = &driver {
            let stop = d.compose_cmd(["stop"]);
            if let Err(e) = self.runner.output(&stop) {
                obs.note("berth", &format!("cannot stop the containers: {e}"));
            }
        }
        sup.finish();
        drop(lock);
        match result {
            Ok(()) | Err(DevError::Interrupted) => Ok(sup.report()),
            Err(e) => Err(e),
        }
    }

    /// Stores, then each level's containers and processes.
    fn start(
        &self,
        sup: &mut Supervisor,
        driver: Option<&ComposeDriver>,
        lock: &crate::workspace::EnvLock,
        progress: &dyn Observer,
    ) -> Result<(), DevError> {
        let started = Instant::now();
        let prepared = driver.map(|d| d.prepare(lock)).transpose()?;
        if let (Some(d), Some(p)) = (driver, &prepared) {
            let stores: Vec<String> = d.plan.stores.iter().map(|s| s.name.clone()).collect();
            if !stores.is_empty() {
                let sel = Selection {
                    stores: stores.clone(),
                    ..Selection::default()
                };
                d.up(p, &sel, &self.up_options(), progress)?;
                sup.follow_containers(d, &stores, "store");
            }
        }
        let stores: Vec<String> = self
            .plan()
            .processes
            .iter()
            .filter(|p| p.kind == Kind::Store)
            .map(|p| p.name.clone())
            .collect();
        if !stores.is_empty() {
            sup.start_all(&stores)?;
        }
        for level in self.levels() {
            let (procs, containers): (Vec<String>, Vec<String>) = level
                .into_iter()
                .partition(|n| self.plan().processes.iter().any(|p| &p.name == n));
            if let (Some(d), Some(p), false) = (driver, &prepared, containers.is_empty()) {
                let sel = Selection {
                    workloads: containers.clone(),
                    ..Selection::default()
                };
                d.up(p, &sel, &self.up_options(), progress)?;
                sup.follow_containers(d, &containers, "service");
            }
            sup.start_all(&procs)?;
        }
        if let (Some(d), false) = (driver, self.plan().watch.is_empty()) {
            sup.follow_watch(d)?;
        }
        sup.ready(started.elapsed());
        Ok(())
    }

    fn up_options(&self) -> crate::compose::UpOptions {
        crate::compose::UpOptions {
            timeout: self.timeout,
            // A compose session starts from images of the source as it is now.
            build: self.model.platform == Platform::Compose,
        }
    }

    /// The workloads by start level: a workload after the services it uses and the jobs it
    /// waits for (the model lists them in dependency order).
    fn levels(&self) -> Vec<Vec<String>> {
        let mut level: BTreeMap<&str, usize> = BTreeMap::new();
        let mut out: Vec<Vec<String>> = Vec::new();
        for w in &self.model.workloads {
            let services = w.uses.iter().filter(|d| d.kind == DepKind::Service);
            let l = services
                .map(|d| d.name.as_str())
                .chain(w.after_jobs.iter().map(String::as_str))
                .filter_map(|n| level.get(n).map(|l| l + 1))
                .max()
                .unwrap_or(0);
            level.insert(&w.name, l);
            if out.len() <= l {
                out.resize(l + 1, Vec::new());
            }
            out[l].push(w.name.clone());
        }
        out
    }

    /// The absolute working directory of a process.
    fn workdir(&self, rel: &str) -> PathBuf {
        self.ws.root.join(rel)
    }
}

/// An executable file named `program` in a directory of PATH.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(program))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}
