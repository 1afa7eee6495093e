//! `berth validate`: every problem of the spec in one run, as diagnostics or as a report.

use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project::{error_count, read_source};
use crate::settings::GlobalSettings;
use berth_spec::{Diagnostic, Source};
use serde::Serialize;

/// The outcome of the checks.
#[derive(Serialize)]
struct Validation<'a> {
    file: &'a str,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
    #[serde(skip)]
    source: &'a Source,
    /// Services, stores and environments of a valid spec.
    #[serde(skip)]
    counts: [usize; 3],
}

impl Report for Validation<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        printer.diagnostics(self.source, self.diagnostics);
        if !self.valid {
            return Ok(());
        }
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        printer.success(format!(
            "{} is valid: {}, {}, {}{}",
            self.file,
            count(self.counts[0], "service"),
            count(self.counts[1], "store"),
            count(self.counts[2], "environment"),
            if self.warnings > 0 {
                format!(" ({})", count(self.warnings, "warning"))
            } else {
                String::new()
            }
        ));
        Ok(())
    }
}

pub fn run(g: &GlobalSettings, printer: &Printer) -> Result<ExitStatus, CliError> {
    let source = read_source(&g.file)?;
    let loaded = crate::project::validate(&source, &g.file);
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = loaded.diagnostics.len() - errors;
    let spec = loaded.spec.as_ref();
    let report = Validation {
        file: &source.path,
        valid: errors == 0,
        errors,
        warnings,
        diagnostics: &loaded.diagnostics,
        source: &source,
        counts: [
            spec.map_or(0, |s| s.services.len()),
            spec.map_or(0, |s| s.stores.len()),
            spec.map_or(0, |s| s.environments.len()),
        ],
    };
    printer.report(&report)?;
    if errors == 0 {
        return Ok(ExitStatus::Success);
    }
    Err(CliError::failure(format!(
        "{} is invalid: {}{}",
        source.path,
        error_count(errors),
        if warnings > 0 {
            format!(", {warnings} warning(s)")
        } else {
            String::new()
        }
    )))
}
