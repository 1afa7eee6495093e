//! `berth render`: write the artifacts of every environment (or the named ones), or with
//! `--check` report the drift between the files on disk and the spec without writing.

use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project::{self, Project};
use crate::settings::{Environments, GlobalSettings, RenderSettings};
use berth_render::ArtifactSet;
use serde::Serialize;
use std::path::Path;

/// Render the selected environments of a loaded project (an unknown one is a usage error), with
/// the project files its `files:` mount (Kubernetes ConfigMaps hold their content).
pub fn render_set(project: &Project, envs: &Environments) -> Result<ArtifactSet, CliError> {
    let files = berth_drive::project_files::read(&project.root(), &project.spec)
        .map_err(|e| CliError::failure(e.to_string()))?;
    berth_render::render_with_files(&project.spec, envs.names(), &files).map_err(CliError::from)
}

/// What `render` wrote.
#[derive(Serialize)]
struct Rendered {
    dir: String,
    files: usize,
    /// Paths (relative to `dir`) whose content changed.
    changed: Vec<String>,
}

impl Report for Rendered {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        printer.success(format!(
            "rendered {} files into {} ({} changed)",
            self.files,
            self.dir,
            self.changed.len()
        ));
        Ok(())
    }
}

/// How the files on disk differ from what the spec renders (`render --check`).
#[derive(Serialize)]
struct Drift {
    dir: String,
    files: usize,
    clean: bool,
    /// Paths (relative to `dir`) whose content differs.
    changed: Vec<String>,
    /// Paths (relative to `dir`) that do not exist.
    missing: Vec<String>,
}

impl Report for Drift {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        if self.clean {
            printer.success(format!(
                "{} files in {} match berth.yaml",
                self.files, self.dir
            ));
        }
        let dir = Path::new(&self.dir);
        for p in &self.changed {
            printer.out(format!("changed  {}", dir.join(p).display()));
        }
        for p in &self.missing {
            printer.out(format!("missing  {}", dir.join(p).display()));
        }
        Ok(())
    }
}

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: RenderSettings,
) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    printer.diagnostics(&project.source, &project.warnings);
    let set = render_set(&project, &s.environments)?;
    let dir = project.out_dir(s.out.as_deref());
    printer.info(format!(
        "rendering {} file(s) for {}",
        set.len(),
        project.spec.name.value
    ));
    if s.check {
        return check(printer, &set, &dir);
    }
    let changed =
        berth_drive::artifacts::write(&set, &dir).map_err(|e| CliError::failure(e.to_string()))?;
    printer.report(&Rendered {
        dir: dir.display().to_string(),
        files: set.len(),
        changed,
    })?;
    Ok(ExitStatus::Success)
}

fn check(printer: &Printer, set: &ArtifactSet, dir: &Path) -> Result<ExitStatus, CliError> {
    let drift = berth_drive::artifacts::drift(set, dir);
    let report = Drift {
        dir: dir.display().to_string(),
        files: set.len(),
        clean: drift.is_clean(),
        changed: drift.changed,
        missing: drift.missing,
    };
    printer.report(&report)?;
    if report.clean {
        return Ok(ExitStatus::Success);
    }
    Err(CliError::failure(format!(
        "{} file(s) differ from berth.yaml; run `berth render` to update them (`berth diff` shows how)",
        report.changed.len() + report.missing.len()
    )))
}
