//! `berth ci`: write the CI workflows the spec implies (`.github/workflows/berth.yml`);
//! `--dry-run` shows them without writing, `--check` reports drift (exit 1) like
//! `render --check`.

use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project;
use crate::settings::{CiSettings, GlobalSettings};
use berth_render::ArtifactSet;
use serde::Serialize;

/// One workflow file.
#[derive(Serialize)]
struct File {
    path: String,
    /// The file's text (`--dry-run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
}

/// What `berth ci` wrote, would write, or found different.
#[derive(Serialize)]
struct CiReport {
    /// The project directory the paths are relative to.
    dir: String,
    /// `write`, `dry-run` or `check`.
    mode: &'static str,
    files: Vec<File>,
    /// Paths that changed (write) or differ or are missing (check).
    changed: Vec<String>,
}

impl Report for CiReport {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        match self.mode {
            "dry-run" => {
                for f in &self.files {
                    printer.out(format!("# {}", f.path));
                    printer.out(f.content.as_deref().unwrap_or_default());
                }
            }
            "check" if self.changed.is_empty() => printer.success(format!(
                "{} workflow file(s) match berth.yaml",
                self.files.len()
            )),
            "check" => {
                for p in &self.changed {
                    printer.out(format!("differs  {p}"));
                }
            }
            _ => printer.success(format!(
                "wrote {} workflow file(s) under {} ({} changed)",
                self.files.len(),
                self.dir,
                self.changed.len()
            )),
        }
        Ok(())
    }
}

/// The workflows of the project's spec.
fn workflows(spec: &berth_spec::Spec) -> Result<ArtifactSet, CliError> {
    let models = spec
        .environments
        .keys()
        .map(|k| berth_spec::resolve(spec, &k.value))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(berth_render::ci::github(&models))
}

pub fn run(g: &GlobalSettings, printer: &Printer, s: CiSettings) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    printer.diagnostics(&project.source, &project.warnings);
    let set = workflows(&project.spec)?;
    let dir = project.root();
    let files = |content: bool| {
        set.iter()
            .map(|(p, b)| File {
                path: p.to_string(),
                content: content.then(|| String::from_utf8_lossy(b).into_owned()),
            })
            .collect()
    };
    let mut report = CiReport {
        dir: dir.display().to_string(),
        mode: "write",
        files: files(s.dry_run),
        changed: Vec::new(),
    };
    if s.dry_run {
        report.mode = "dry-run";
        printer.report(&report)?;
        return Ok(ExitStatus::Success);
    }
    if s.check {
        let drift = berth_drive::artifacts::drift(&set, &dir);
        report.mode = "check";
        report.changed = drift.changed.into_iter().chain(drift.missing).collect();
        printer.report(&report)?;
        if report.changed.is_empty() {
            return Ok(ExitStatus::Success);
        }
        return Err(CliError::failure(format!(
            "{} workflow file(s) differ from berth.yaml; run `berth ci` to update them",
            report.changed.len()
        )));
    }
    report.changed =
        berth_drive::artifacts::write(&set, &dir).map_err(|e| CliError::failure(e.to_string()))?;
    printer.report(&report)?;
    Ok(ExitStatus::Success)
}
