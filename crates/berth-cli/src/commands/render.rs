//! `berth render`: write the artifacts, or with `--check` report drift without writing.

use crate::args::Global;
use crate::printer::Printer;
use crate::project::{self, exit, Project};
use berth_render::ArtifactSet;
use std::path::PathBuf;

/// Render the selected environments of a loaded project; prints the error and returns the exit
/// code when an environment is unknown.
pub fn render_set(
    project: &Project,
    printer: &Printer,
    envs: &[String],
) -> Result<ArtifactSet, u8> {
    berth_render::render(&project.spec, envs).map_err(|e| {
        printer.error(e.to_string());
        exit::USAGE
    })
}

pub fn out_dir(project: &Project, out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| project.root().join("deploy"))
}

pub fn run(
    g: &Global,
    printer: &Printer,
    envs: &[String],
    out: Option<PathBuf>,
    check: bool,
) -> u8 {
    let project = match project::load(&g.file, printer) {
        Ok(p) => p,
        Err(code) => return code,
    };
    printer.diagnostics(&project.source, &project.warnings);
    let set = match render_set(&project, printer, envs) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let dir = out_dir(&project, out);
    printer.info(format!(
        "rendering {} file(s) for {}",
        set.len(),
        project.spec.name.value
    ));
    if check {
        let drift = berth_drive::artifacts::drift(&set, &dir);
        if drift.is_clean() {
            printer.success(format!(
                "{} files in {} match berth.yaml",
                set.len(),
                dir.display()
            ));
            return exit::OK;
        }
        for p in &drift.changed {
            printer.out(format!("changed  {}", dir.join(p).display()));
        }
        for p in &drift.missing {
            printer.out(format!("missing  {}", dir.join(p).display()));
        }
        printer.error(format!(
            "{} file(s) differ from berth.yaml; run `berth render` to update them (`berth diff` shows how)",
            drift.changed.len() + drift.missing.len()
        ));
        return exit::FAILED;
    }
    match berth_drive::artifacts::write(&set, &dir) {
        Ok(changed) => {
            printer.success(format!(
                "rendered {} files into {} ({} changed)",
                set.len(),
                dir.display(),
                changed.len()
            ));
            exit::OK
        }
        Err(e) => {
            printer.error(e.to_string());
            exit::FAILED
        }
    }
}
