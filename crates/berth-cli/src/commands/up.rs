//! `berth up [ENV]`: under the environment's lock, render into `.berth/`, write secrets, run
//! a recipe's pre commands, start stores, jobs and services with live health progress, run
//! post commands, print the endpoints. `berth deploy NAME` is the same with a recipe.
//! Kubernetes environments go to `kube` (images, secrets, phased apply; `--dry-run`).

use super::drive::{self, Progress, Session};
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::settings::{GlobalSettings, UpSettings};
use berth_drive::compose::{UpOptions, UpReport};
use berth_drive::DriveError;
use berth_spec::Only;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What to start.
pub struct Plan<'a> {
    pub recipe: Option<&'a str>,
    pub only: Option<Only>,
    pub services: Vec<String>,
    pub pre: Vec<String>,
    pub post: Vec<String>,
    pub opts: UpOptions,
    /// Print the plan, change nothing (Kubernetes).
    pub dry_run: bool,
    /// Roll back to the last revision when a rollout or Job fails (Kubernetes).
    pub atomic: bool,
    /// Use the images CI built and pushed under the commit tag: build, load and push nothing
    /// (Kubernetes).
    pub no_build: bool,
}

pub fn run(g: &GlobalSettings, printer: &Printer, s: UpSettings) -> Result<ExitStatus, CliError> {
    let session = drive::session(g, printer, s.environment.as_deref())?;
    let plan = Plan {
        recipe: None,
        only: None,
        services: s.services,
        pre: Vec::new(),
        post: Vec::new(),
        opts: UpOptions {
            timeout: s.timeout,
            build: s.build,
        },
        dry_run: s.dry_run,
        atomic: s.atomic,
        no_build: s.no_build,
    };
    execute(printer, &session, &plan)
}

/// Bring the plan up.
pub fn execute(printer: &Printer, session: &Session, plan: &Plan) -> Result<ExitStatus, CliError> {
    if session.is_kubernetes() {
        return super::kube::up(printer, session, plan);
    }
    if plan.atomic {
        return Err(CliError::usage(
            "--atomic is for Kubernetes environments (it rolls back to the last recorded revision)",
        ));
    }
    if plan.dry_run {
        return Err(CliError::usage(
            "--dry-run is for Kubernetes environments; `berth render` shows a compose environment's files",
        ));
    }
    let started = Instant::now();
    let mut driver = session.driver()?;
    driver.cancel = drive::cancel_flag();
    let lock = driver.lock()?;
    let progress = Progress::new(printer);
    let result = (|| -> Result<UpReport, DriveError> {
        let sel = driver.select(plan.only, &plan.services)?;
        let prepared = driver.prepare(&lock)?;
        for cmd in &plan.pre {
            berth_drive::compose::Observer::step(&progress, &format!("pre: {cmd}"));
            driver.hook("pre", cmd)?;
        }
        printer.info(format!(
            "{} {} ({}) from {}",
            if plan.recipe.is_some() {
                "deploying"
            } else {
                "starting"
            },
            session.model.stack,
            session.model.environment,
            berth_drive::workspace::relative(
                &prepared.dir,
                &std::env::current_dir().unwrap_or_default()
            )
            .display()
        ));
        let report = driver.up(&prepared, &sel, &plan.opts, &progress)?;
        for cmd in &plan.post {
            berth_drive::compose::Observer::step(&progress, &format!("post: {cmd}"));
            driver.hook("post", cmd)?;
        }
        Ok(report)
    })();
    drive::record_up(printer, session, plan.recipe, started, &result);
    printer.report(&Up {
        report: &result?,
        session,
        took: started.elapsed(),
    })?;
    Ok(ExitStatus::Success)
}

/// What `up` did; serialized as the driver's report.
struct Up<'a> {
    report: &'a UpReport,
    session: &'a Session,
    took: Duration,
}

impl Serialize for Up<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.report.serialize(s)
    }
}

impl Report for Up<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        summary(printer, self.session, self.report, self.took);
        Ok(())
    }
}

fn summary(printer: &Printer, session: &Session, r: &UpReport, took: Duration) {
    let mut parts = Vec::new();
    for (n, what) in [
        (&r.created, "created"),
        (&r.recreated, "recreated"),
        (&r.unchanged, "unchanged"),
    ] {
        if !n.is_empty() {
            parts.push(format!("{what}: {}", n.join(", ")));
        }
    }
    printer.success(format!(
        "{} ({}) is up in {:.1}s{}",
        session.model.stack,
        session.model.environment,
        took.as_secs_f64(),
        if parts.is_empty() {
            String::new()
        } else {
            format!(" — {}", parts.join("; "))
        }
    ));
    if !r.endpoints.is_empty() {
        let w = r.endpoints.iter().map(|e| e.name.len()).max().unwrap_or(0);
        let pw = r.endpoints.iter().map(|e| e.port.len()).max().unwrap_or(0);
        let mut text = String::from("endpoints:\n");
        for e in &r.endpoints {
            text.push_str(&format!("  {:w$}  {:pw$}  {}\n", e.name, e.port, e.url));
        }
        printer.out(text);
    }
}
