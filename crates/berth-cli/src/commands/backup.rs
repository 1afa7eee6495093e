//! `berth backup ENV STORE` (one backup now) and `berth restore ENV STORE [--from ID]`: the
//! plan first (`--dry-run`, `-o json`), then executed under the environment's lock — in the
//! store's container on compose (files kept in `.berth/backups/`), as a Job on Kubernetes.

use super::drive::{self, Progress};
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::settings::{BackupSettings, GlobalSettings};
use berth_drive::compose::backup::BackupPlan;
use berth_drive::kube::backup::KubeBackupPlan;
use serde::Serialize;

/// The plan of either platform, and whether it ran.
#[derive(Serialize)]
struct Outcome<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    compose: Option<&'a BackupPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kubernetes: Option<&'a KubeBackupPlan>,
    /// False for `--dry-run`.
    done: bool,
}

impl Report for Outcome<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        if let Some(p) = self.compose {
            if self.done {
                let verb = if p.action == "backup" {
                    "backed up to"
                } else {
                    "restored from"
                };
                printer.success(format!(
                    "{} {verb} {} (id {})",
                    p.store,
                    p.object
                        .clone()
                        .unwrap_or_else(|| p.file.display().to_string()),
                    p.id
                ));
            } else {
                printer.out(format!(
                    "{} of `{}` (id {}, file {}{}):",
                    p.action,
                    p.store,
                    p.id,
                    p.file.display(),
                    p.object
                        .as_ref()
                        .map(|o| format!(", object {o}"))
                        .unwrap_or_default()
                ));
                for s in &p.steps {
                    printer.out(format!("  {}", s.join(" ")));
                }
            }
        }
        if let Some(p) = self.kubernetes {
            if self.done {
                printer.success(format!(
                    "{} of {}: job/{} completed",
                    p.action, p.store, p.job
                ));
            } else {
                printer.out(format!("{} of `{}`: job/{}", p.action, p.store, p.job));
                printer.out(format!("  {}", p.command.join(" ")));
                if let Some(m) = &p.manifest {
                    printer.out(m);
                }
            }
        }
        Ok(())
    }
}

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: BackupSettings,
) -> Result<ExitStatus, CliError> {
    let session = drive::session(g, printer, Some(&s.environment))?;
    let progress = Progress::new(printer);
    if session.is_kubernetes() {
        let driver = session.kube_driver()?;
        let plan = match s.restore {
            false => driver.backup_plan(&s.store)?,
            true => driver.restore_plan(&s.store, s.from.as_deref())?,
        };
        if !s.dry_run {
            let _lock = driver.lock()?;
            driver.execute_backup(&plan, s.timeout, &progress)?;
        }
        printer.report(&Outcome {
            compose: None,
            kubernetes: Some(&plan),
            done: !s.dry_run,
        })?;
        return Ok(ExitStatus::Success);
    }
    let mut driver = session.driver()?;
    driver.cancel = drive::cancel_flag();
    let plan = match s.restore {
        false => driver.backup_plan(&s.store)?,
        true => driver.restore_plan(&s.store, s.from.as_deref())?,
    };
    if !s.dry_run {
        let _lock = driver.lock()?;
        let files = driver.write_files()?;
        driver.execute_backup(&files, &plan, s.timeout, &progress)?;
    }
    printer.report(&Outcome {
        compose: Some(&plan),
        kubernetes: None,
        done: !s.dry_run,
    })?;
    Ok(ExitStatus::Success)
}
