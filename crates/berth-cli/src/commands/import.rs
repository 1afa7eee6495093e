//! `berth import`: an existing docker compose project → a commented berth.yaml, checked by
//! Berth's own validator before anything is written; the report says what was written and
//! which compose keys were dropped or approximated. Its flags are `args::ImportCli`.

use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::settings::{ImportSettings, ImportTarget};
use berth_drive::fsutil::Content;
use berth_import::{ImportError, ImportOptions, ImportOutcome, Reader};
use berth_spec::Spec;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A compose key path with what happened to it.
#[derive(Serialize)]
struct Note {
    path: String,
    message: String,
}

/// What the import wrote and what it could not carry over.
#[derive(Serialize)]
struct Imported {
    stack: String,
    /// `docker` (docker compose config) or `builtin`.
    reader: &'static str,
    /// The berth.yaml written; `null` when it went to stdout.
    written: Option<String>,
    services: usize,
    stores: usize,
    secrets: usize,
    /// Inferences worth reviewing (also in the file's header).
    inferred: Vec<Note>,
    /// Compose keys dropped or approximated (also in the file's header).
    warnings: Vec<Note>,
}

impl Report for Imported {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        for w in &self.warnings {
            printer.warn(format!("{}: {}", w.path, w.message));
        }
        let reader = match self.reader {
            "docker" => "docker compose config",
            _ => "the built-in compose reader",
        };
        printer.success(format!(
            "imported `{}` with {reader}: {} service(s)/job(s), {} store(s), {} secret(s); {} inference(s), {} key(s) dropped or approximated (listed in the header){}",
            self.stack,
            self.services,
            self.stores,
            self.secrets,
            self.inferred.len(),
            self.warnings.len(),
            self.written.as_ref().map(|f| format!(" → {f}")).unwrap_or_default()
        ));
        if let Some(f) = &self.written {
            printer.info(format!(
                "next: berth -f {f} validate && berth -f {f} render"
            ));
        }
        Ok(())
    }
}

pub fn run(printer: &Printer, s: ImportSettings) -> Result<ExitStatus, CliError> {
    if let ImportTarget::File(out) = &s.target {
        if out.exists() && !s.force {
            return Err(CliError::usage(format!(
                "{} already exists; pass --force to overwrite it, or -o OTHER.yaml",
                out.display()
            )));
        }
    }
    // Ctrl-C and SIGTERM stop the `docker compose config` child (its whole process group).
    super::drive::cancel_flag();
    let outcome = berth_import::import(&options(&s)).map_err(import_error)?;
    // The emitted spec must pass Berth's own checks before anything is written.
    let target = match &s.target {
        ImportTarget::File(out) => out.as_path(),
        ImportTarget::Stdout => Path::new("berth.yaml"),
    };
    let source = berth_spec::Source::new(target.display().to_string(), outcome.yaml.as_str());
    let loaded = berth_spec::validate(&source);
    let spec = match loaded.spec {
        Some(spec) if !loaded.diagnostics.iter().any(|d| d.is_error()) => spec,
        _ => {
            return Err(CliError::failure(
                "the imported berth.yaml does not validate; nothing was written (this is a bug in berth import: please report it with the compose file)",
            )
            .with_diagnostics(source, loaded.diagnostics))
        }
    };
    match &s.target {
        ImportTarget::Stdout => printer.out(&outcome.yaml),
        ImportTarget::File(out) => {
            berth_drive::fsutil::write_atomic(out, outcome.yaml.as_bytes(), Content::State)
                .map_err(|e| CliError::failure(format!("cannot write {}: {e}", out.display())))?
        }
    }
    printer.report(&report(&spec, outcome, &s.target))?;
    Ok(ExitStatus::Success)
}

fn options(s: &ImportSettings) -> ImportOptions {
    let output_dir = match &s.target {
        ImportTarget::Stdout => None,
        ImportTarget::File(out) => Some(match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }),
    };
    ImportOptions {
        files: s.files.clone(),
        profiles: s.profiles.clone(),
        project_dir: s.project_dir.clone(),
        project_name: s.project_name.clone(),
        reader: s.reader,
        kubernetes: s.kubernetes,
        output_dir,
        environment: None,
    }
}

/// A compose project that is not there is a usage error; one that cannot be read, a failure.
fn import_error(e: ImportError) -> CliError {
    match e {
        ImportError::NoComposeFile(_) | ImportError::Io { .. } => CliError::usage(e.to_string()),
        ImportError::Interrupted => CliError::new(ExitStatus::Interrupted, e.to_string()),
        _ => CliError::failure(e.to_string()),
    }
}

fn report(spec: &Spec, outcome: ImportOutcome, target: &ImportTarget) -> Imported {
    let notes = |list: Vec<berth_import::Warning>| {
        list.into_iter()
            .map(|w| Note {
                path: w.path,
                message: w.message,
            })
            .collect()
    };
    Imported {
        stack: spec.name.value.clone(),
        reader: match outcome.reader {
            Reader::Docker => "docker",
            _ => "builtin",
        },
        written: match target {
            ImportTarget::File(out) => Some(out.display().to_string()),
            ImportTarget::Stdout => None,
        },
        services: spec.services.len(),
        stores: spec.stores.len(),
        secrets: spec.secrets.len(),
        inferred: notes(outcome.inferred),
        warnings: notes(outcome.warnings),
    }
}
