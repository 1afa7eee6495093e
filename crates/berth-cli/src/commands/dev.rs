//! `berth dev [ENV]`: a native or compose environment's development loop in the foreground. `--dry-run`
//! prints the plan (text, or `-o json|yaml`); otherwise the session runs until Ctrl-C, its
//! processes' and containers' output multiplexed on stdout, one colour-prefixed line each
//! (plain without a terminal or with `--no-color`), Berth's own notes on stderr.

use super::drive::{self, Progress};
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project;
use crate::settings::{DevSettings, GlobalSettings};
use berth_drive::dev::{DevObserver, DevSession};
use berth_drive::process::Stream;
use berth_render::plan::DevPlan;
use berth_spec::{Model, Platform};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;

pub fn run(g: &GlobalSettings, printer: &Printer, s: DevSettings) -> Result<ExitStatus, CliError> {
    let (model, root) = model(g, printer, s.environment.as_deref())?;
    let workspace = g.workspace.workspace(root);
    let mut session = DevSession::new(
        &model,
        workspace,
        &drive::RUNNER,
        &drive::CLOCK,
        &drive::SOURCES,
    )?;
    if s.dry_run {
        printer.report(&PlanReport(session.plan()))?;
        return Ok(ExitStatus::Success);
    }
    session.preflight()?;
    session.timeout = s.timeout;
    session.cancel = drive::cancel_flag();
    let width = session
        .plan()
        .processes
        .iter()
        .map(|p| p.name.len())
        .chain(session.model.stores.iter().map(|s| s.name.len()))
        .chain(session.model.workloads.iter().map(|w| w.name.len()))
        .max()
        .unwrap_or(6);
    let out = Mux {
        color: printer.color && std::io::IsTerminal::is_terminal(&std::io::stdout()),
        quiet: printer.quiet,
        width,
        colors: Mutex::new(BTreeMap::new()),
    };
    printer.info(format!(
        "berth dev: {} ({}), Ctrl-C stops everything",
        model.stack, model.environment
    ));
    let report = session.run(&Progress::new(printer), &out)?;
    printer.success(format!(
        "{} ({}) stopped: processes and containers stopped, volumes kept",
        model.stack, model.environment
    ));
    printer.report(&Stopped(&report))?;
    Ok(ExitStatus::Success)
}

/// The end state of every process (`-o json|yaml`; the text form said it already).
#[derive(serde::Serialize)]
#[serde(transparent)]
struct Stopped<'a>(&'a berth_drive::dev::DevReport);

impl Report for Stopped<'_> {
    fn text(&self, _printer: &Printer) -> Result<(), CliError> {
        Ok(())
    }
}

/// ENV (else the first native environment) and the project root.
fn model(
    g: &GlobalSettings,
    printer: &Printer,
    env: Option<&str>,
) -> Result<(Model, std::path::PathBuf), CliError> {
    let project = project::load(&g.file)?;
    printer.diagnostics(&project.source, &project.warnings);
    let root = project.root();
    if let Some(name) = env {
        return Ok((berth_spec::resolve(&project.spec, name)?, root));
    }
    let models: Vec<Model> = project
        .spec
        .environments
        .keys()
        .filter_map(|name| berth_spec::resolve(&project.spec, name).ok())
        .collect();
    let first = |platform: Platform| models.iter().position(|m| m.platform == platform);
    let model = first(Platform::Native)
        .or_else(|| first(Platform::Compose))
        .map(|i| models[i].clone())
        .ok_or_else(|| {
            CliError::usage(format!(
                "{} has no native or compose environment; add one, e.g. `environments: {{ dev: {{ platform: native }} }}`, or name the environment",
                project.source.path
            ))
        })?;
    Ok((model, root))
}

/// The plan, as `--dry-run` shows it.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct PlanReport<'a>(&'a DevPlan);

impl Report for PlanReport<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let p = self.0;
        let mut t = format!("berth dev {} ({})\n", p.project, p.environment);
        if let Some(c) = &p.containers {
            for s in &c.stores {
                let urls: Vec<&str> = s.endpoints.iter().map(|e| e.url.as_str()).collect();
                t.push_str(&format!(
                    "  container  {:12} store    {}\n",
                    s.name,
                    urls.join(" ")
                ));
            }
            let network = match p.platform {
                Platform::Native => " (host network)",
                _ => "",
            };
            for w in &c.workloads {
                t.push_str(&format!(
                    "  container  {:12} {:8}{network}\n",
                    w.name(),
                    w.unit.kind.word()
                ));
                let rules = p.watch.iter().filter(|s| s.service == w.name());
                for r in rules.flat_map(|s| s.rules.iter()) {
                    t.push_str(&match &r.target {
                        Some(target) => format!("             sync: {} -> {target}\n", r.path),
                        None => format!("             rebuild on: {}\n", r.path),
                    });
                }
            }
            if !p.watch.is_empty() {
                t.push_str(&format!(
                    "  then       docker compose -f {} watch --no-up\n",
                    c.files.join(" -f ")
                ));
            }
        }
        for pr in &p.processes {
            t.push_str(&format!(
                "  process    {:12} {:8} {}  (in {})\n",
                pr.name,
                pr.kind.word(),
                pr.run,
                pr.workdir
            ));
            if !pr.watch.is_empty() {
                t.push_str(&format!("             watch: {}\n", pr.watch.join(", ")));
            }
            if let Some(r) = &pr.readiness {
                t.push_str(&format!(
                    "             ready: {}\n",
                    serde_json::to_string(&r.probe).unwrap_or_default()
                ));
            }
            for v in &pr.env {
                let value = serde_json::to_value(&v.value).unwrap_or_default();
                t.push_str(&format!(
                    "             {}={}\n",
                    v.name,
                    value.as_str().unwrap_or("")
                ));
            }
        }
        printer.out(t);
        Ok(())
    }
}

/// The multiplexed log stream: `name | line`, each name in its own colour.
struct Mux {
    color: bool,
    quiet: bool,
    width: usize,
    colors: Mutex<BTreeMap<String, usize>>,
}

const PALETTE: [&str; 6] = ["36", "33", "35", "32", "34", "91"];

impl Mux {
    fn prefix(&self, name: &str) -> String {
        let w = self.width;
        if !self.color {
            return format!("{name:w$} | ");
        }
        let mut colors = self.colors.lock().unwrap();
        let n = colors.len();
        let c = *colors.entry(name.to_string()).or_insert(n % PALETTE.len());
        format!("\x1b[{}m{name:w$} |\x1b[0m ", PALETTE[c])
    }
}

impl DevObserver for Mux {
    fn line(&self, name: &str, _stream: Stream, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}{text}", self.prefix(name));
    }

    fn note(&self, name: &str, msg: &str) {
        if !self.quiet {
            let msg = if self.color {
                format!("\x1b[2m▸ {msg}\x1b[0m")
            } else {
                format!("▸ {msg}")
            };
            eprintln!("{}{msg}", self.prefix(name));
        }
    }

    fn status(&self, msg: &str) {
        if !self.quiet {
            eprintln!(
                "{}",
                if self.color {
                    format!("\x1b[1m✓ {msg}\x1b[0m")
                } else {
                    format!("✓ {msg}")
                }
            );
        }
    }
}
