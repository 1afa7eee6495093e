//! `berth import`: an existing docker compose project → a commented berth.yaml, checked by
//! Berth's own validator before anything is written; the report says what was written and
//! which compose keys were dropped or approximated. Its flags are `args::ImportCli`.

use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report, WARNINGS_SHOWN};
use crate::settings::{ImportSettings, ImportTarget};
use berth_drive::fsutil::Content;
use berth_drive::input::InputError;
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

/// Prints the first [`WARNINGS_SHOWN`] warnings, grouped per service (or top-level key) with
/// their losses below it, then a count of the rest; nothing with `-q`.
fn print_warnings(printer: &Printer, warnings: &[Note]) {
    if printer.quiet {
        return;
    }
    let shown = &warnings[..warnings.len().min(WARNINGS_SHOWN)];
    let mut groups: Vec<(&str, Vec<&Note>)> = Vec::new();
    for w in shown {
        let owner = owner(&w.path);
        match groups.iter_mut().find(|(o, _)| *o == owner) {
            Some((_, list)) => list.push(w),
            None => groups.push((owner, vec![w])),
        }
    }
    for (owner, list) in groups {
        let mut msg = owner.to_string();
        for w in list {
            let key = w.path[owner.len()..].trim_start_matches('.');
            match key {
                "" => msg.push_str(&format!(": {}", w.message)),
                key => msg.push_str(&format!("\n  - {key}: {}", w.message)),
            }
        }
        printer.warn(msg);
    }
    printer.more_warnings(
        warnings.len() - shown.len(),
        "the file's header and `berth -o json import` list them all",
    );
}

/// The service (`services.NAME`) or top-level key a compose key path belongs to.
fn owner(path: &str) -> &str {
    let end = |from: usize| path[from..].find('.').map_or(path.len(), |i| from + i);
    match path.strip_prefix("services.") {
        Some(_) => &path[..end("services.".len())],
        None => &path[..end(0)],
    }
}

impl Report for Imported {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        print_warnings(printer, &self.warnings);
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
        _ => return Err(rejected(printer, &outcome, target, loaded.diagnostics)),
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

/// An import that does not validate is written next to the target as `NAME.rejected`, with its
/// warnings printed and the diagnostics pointing into that file; the command fails.
fn rejected(
    printer: &Printer,
    outcome: &ImportOutcome,
    target: &Path,
    diagnostics: Vec<berth_spec::Diagnostic>,
) -> CliError {
    print_warnings(printer, &notes(outcome.warnings.clone()));
    let mut name = target.as_os_str().to_owned();
    name.push(".rejected");
    let file = PathBuf::from(name);
    let written = berth_drive::fsutil::write_atomic(&file, outcome.yaml.as_bytes(), Content::State);
    // The diagnostics point into the file written, and never into one that could not be.
    let shown = match &written {
        Ok(()) => file.display().to_string(),
        Err(_) => format!("{} (not written)", file.display()),
    };
    let source = berth_spec::Source::new(shown, outcome.yaml.as_str());
    let message = match written {
        Ok(()) => format!(
            "the imported stack does not validate; written to {f} for review: fix the errors above in {f}, then rename it to {t}",
            f = file.display(),
            t = target.display()
        ),
        Err(e) => format!(
            "the imported stack does not validate, and {} cannot be written: {e}",
            file.display()
        ),
    };
    CliError::failure(message).with_diagnostics(source, diagnostics)
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
        ImportError::Input(ref i) if !matches!(i, InputError::TooLarge { .. }) => {
            CliError::usage(e.to_string())
        }
        ImportError::Interrupted => CliError::new(ExitStatus::Interrupted, e.to_string()),
        _ => CliError::failure(e.to_string()),
    }
}

fn notes(list: Vec<berth_import::Warning>) -> Vec<Note> {
    list.into_iter()
        .map(|w| Note {
            path: w.path,
            message: w.message,
        })
        .collect()
}

fn report(spec: &Spec, outcome: ImportOutcome, target: &ImportTarget) -> Imported {
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
