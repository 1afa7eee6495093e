//! `berth diff [ENV]`: unified diff between the files on disk and what the spec renders;
//! exit 1 when they differ.

use super::render::render_set;
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project;
use crate::settings::{DiffSettings, GlobalSettings};
use serde::Serialize;

/// The differences: which files, and the unified diff (disk → rendered).
#[derive(Serialize)]
struct Differences {
    dir: String,
    /// Paths (relative to `dir`) whose content differs.
    changed: Vec<String>,
    /// Paths (relative to `dir`) that do not exist.
    missing: Vec<String>,
    diff: String,
}

impl Report for Differences {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        if self.diff.is_empty() {
            printer.success("no differences");
        } else {
            printer.out(&self.diff);
        }
        Ok(())
    }
}

pub fn run(g: &GlobalSettings, printer: &Printer, s: DiffSettings) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    let set = render_set(&project, &s.environments)?;
    let dir = project.out_dir(s.out.as_deref());
    let drift = berth_drive::artifacts::drift(&set, &dir);
    let report = Differences {
        dir: dir.display().to_string(),
        changed: drift.changed,
        missing: drift.missing,
        diff: berth_drive::artifacts::diff(&set, &dir),
    };
    printer.report(&report)?;
    Ok(if report.diff.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
