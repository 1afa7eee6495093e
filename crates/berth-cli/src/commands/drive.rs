//! Shared by the commands that drive an environment (up, down, status, logs, restart, run,
//! deploy, the menu): choosing the environment, building the driver on the real runner and
//! clock, Ctrl-C handling, the live progress display and the deploy-history record.

use crate::error::CliError;
use crate::printer::Printer;
use crate::project::{self, Project};
use crate::settings::GlobalSettings;
use berth_drive::clock::{rfc3339, Clock, SystemClock};
use berth_drive::compose::{Kind, Observer, Phase};
use berth_drive::history::{History, Record};
use berth_drive::kube::{KubeDriver, KubeOptions};
use berth_drive::process::SystemRunner;
use berth_drive::secrets::HostSources;
use berth_drive::{ComposeDriver, DriveError, Workspace};
use berth_spec::{Model, Platform};
use indicatif::{MultiProgress, ProgressBar, ProgressState, ProgressStyle};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub static RUNNER: SystemRunner = SystemRunner;
pub static CLOCK: SystemClock = SystemClock;
pub static SOURCES: HostSources = HostSources;

/// The environment a command works on and the project's `.berth/` workspace.
pub struct Session {
    pub model: Model,
    pub workspace: Workspace,
    /// `--context` (Kubernetes environments).
    pub context: Option<String>,
}

/// Load the spec (its warnings shown) and resolve ENV (default: the first compose environment).
pub fn session(
    g: &GlobalSettings,
    printer: &Printer,
    env: Option<&str>,
) -> Result<Session, CliError> {
    let project = project::load(&g.file)?;
    printer.diagnostics(&project.source, &project.warnings);
    let mut model = match env {
        Some(name) => berth_spec::resolve(&project.spec, name)?,
        None => first_compose(&project).ok_or_else(|| {
            CliError::usage(format!(
                "{} has no compose environment; add one, e.g. `environments: {{ local: {{ platform: compose }} }}`, or name the environment",
                project.source.path
            ))
        })?,
    };
    if model.platform == Platform::Kubernetes {
        // The objects applied hold the project files' content (ConfigMaps), as rendered.
        let files = berth_drive::project_files::read(&project.root(), &project.spec)
            .map_err(|e| CliError::failure(e.to_string()))?;
        berth_render::attach_files(&mut model, &files);
    }
    let workspace = g.workspace.workspace(project.root());
    Ok(Session {
        model,
        workspace,
        context: g.context.clone(),
    })
}

/// The first environment (in spec order) whose platform is compose.
pub fn first_compose(project: &Project) -> Option<Model> {
    project.spec.environments.keys().find_map(|name| {
        berth_spec::resolve(&project.spec, name)
            .ok()
            .filter(|m| m.platform == Platform::Compose)
    })
}

/// The names of the environments Berth drives (compose and Kubernetes), in spec order.
pub fn driven_envs(project: &Project) -> Vec<String> {
    project
        .spec
        .environments
        .keys()
        .filter(|name| {
            berth_spec::resolve(&project.spec, name)
                .is_ok_and(|m| matches!(m.platform, Platform::Compose | Platform::Kubernetes))
        })
        .map(|k| k.value.clone())
        .collect()
}

impl Session {
    /// True for a Kubernetes environment (driven by [`Session::kube_driver`]).
    pub fn is_kubernetes(&self) -> bool {
        self.model.platform == Platform::Kubernetes
    }

    pub fn kube_driver(&self) -> Result<KubeDriver<'_>, DriveError> {
        let mut d = KubeDriver::new(
            &self.model,
            self.workspace.clone(),
            &RUNNER,
            &CLOCK,
            &SOURCES,
            KubeOptions {
                context: self.context.clone(),
            },
        )?;
        d.cancel = cancel_flag();
        Ok(d)
    }

    pub fn driver(&self) -> Result<ComposeDriver<'_>, DriveError> {
        ComposeDriver::new(
            &self.model,
            self.workspace.clone(),
            &RUNNER,
            &CLOCK,
            &SOURCES,
        )
    }
}

/// The process-wide Ctrl-C flag; the handler is installed once, on first use.
pub fn cancel_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // Captured children (docker compose, hooks) run in their own process groups, so the
        // terminal's SIGINT does not reach them: Berth stops them (SIGTERM, then SIGKILL)
        // and leaves cleanly. SIGTERM to Berth does the same. A failure to install only
        // loses the clean stop.
        let _ = ctrlc::set_handler(move || {
            f.store(true, Ordering::SeqCst);
            berth_drive::process::cancel();
        });
        flag
    })
    .clone()
}

/// Append a deploy-history record (a failure to write it is a warning, not fatal).
/// Record an `up` (or, when a recipe started it, a `deploy`) in the history.
pub fn record_up<T>(
    printer: &Printer,
    session: &Session,
    recipe: Option<&str>,
    started: Instant,
    result: &Result<T, DriveError>,
) {
    let command = if recipe.is_some() { "deploy" } else { "up" };
    let result = result.as_ref().map(|_| ());
    record(printer, session, command, recipe, started, result);
}

pub fn record(
    printer: &Printer,
    session: &Session,
    command: &str,
    recipe: Option<&str>,
    started: Instant,
    result: Result<(), &DriveError>,
) {
    let (outcome, detail) = match result {
        Ok(()) => ("ok", None),
        Err(DriveError::Interrupted) => ("interrupted", None),
        Err(e) => ("failed", Some(cause(&e.to_string()))),
    };
    let rec = Record {
        time: rfc3339(CLOCK.now()),
        environment: session.model.environment.clone(),
        command: command.into(),
        recipe: recipe.map(String::from),
        outcome: outcome.into(),
        detail,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    if let Err(e) = History::append(&session.workspace.history_path(), rec) {
        printer.warn(format!("cannot record the deploy history: {e}"));
    }
}

/// The cause of a failure for the history: its first two lines (the second often holds the
/// tool's own message, e.g. after "`docker compose down` failed (exit 1):"), at most 300
/// characters.
fn cause(message: &str) -> String {
    let text: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(2)
        .collect();
    let text = text.join(" ");
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// At most this many characters of a phase are shown on a live line (the whole reason is in
/// the error that follows a failure).
const BAR_MESSAGE_CHARS: usize = 48;

/// `text` on one line, cut at `max` characters.
fn clip_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

/// The live per-service display: spinners in a terminal, plain lines otherwise.
pub struct Progress {
    quiet: bool,
    tty: bool,
    multi: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
    width: Mutex<usize>,
}

impl Progress {
    pub fn new(printer: &Printer) -> Self {
        Progress {
            quiet: printer.quiet,
            tty: printer.terminal && !printer.quiet,
            multi: MultiProgress::new(),
            bars: Mutex::new(BTreeMap::new()),
            width: Mutex::new(10),
        }
    }
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Store => "store",
        Kind::Service => "service",
        Kind::Job => "job",
    }
}

impl Observer for Progress {
    fn step(&self, msg: &str) {
        // indicatif drops `println` when stderr is not a terminal: plain lines then.
        if self.tty {
            let _ = self.multi.println(format!("▸ {msg}"));
        } else if !self.quiet {
            eprintln!("▸ {msg}");
        }
    }

    fn begin(&self, targets: &[(String, Kind)]) {
        let w = targets
            .iter()
            .map(|(n, _)| n.len())
            .max()
            .unwrap_or(10)
            .max(10);
        *self.width.lock().unwrap() = w;
        if !self.tty {
            return;
        }
        // The time is the bar's own, redrawn at every tick (the driver reports phase changes
        // only); a short line, so a narrower terminal after a resize still clears it.
        let style = ProgressStyle::with_template("  {spinner} {prefix} {msg} ({secs})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .with_key("secs", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1}s", s.elapsed().as_secs_f64());
            })
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✓");
        let mut bars = self.bars.lock().unwrap();
        for (name, kind) in targets {
            let pb = self.multi.add(ProgressBar::new_spinner());
            pb.set_style(style.clone());
            pb.set_prefix(format!("{name:w$} {:7}", kind_word(*kind)));
            pb.set_message("waiting");
            pb.enable_steady_tick(Duration::from_millis(100));
            bars.insert(name.clone(), pb);
        }
    }

    fn update(&self, name: &str, phase: &Phase, elapsed: Duration) {
        if self.tty {
            if let Some(pb) = self.bars.lock().unwrap().get(name) {
                let text = clip_line(&phase.label(), BAR_MESSAGE_CHARS);
                pb.set_elapsed(elapsed);
                if phase.done() {
                    pb.finish_with_message(text);
                } else if matches!(phase, Phase::Failed(_)) {
                    pb.abandon_with_message(text);
                } else {
                    pb.set_message(text);
                }
            }
        } else if !self.quiet {
            let text = format!("{} ({:.1}s)", phase.label(), elapsed.as_secs_f64());
            let w = *self.width.lock().unwrap();
            eprintln!("  {name:w$} {text}");
        }
    }

    fn end(&self) {
        for (_, pb) in std::mem::take(&mut *self.bars.lock().unwrap()) {
            if !pb.is_finished() {
                pb.abandon();
            }
        }
    }
}
