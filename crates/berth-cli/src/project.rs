//! Loading the project's spec for a command: diagnostics printed, exit code decided.

use crate::printer::Printer;
use berth_spec::{Diagnostic, Source, Spec};
use std::path::{Path, PathBuf};

/// Exit codes (stable, documented in the README).
pub mod exit {
    pub const OK: u8 = 0;
    /// Invalid spec, failed operation, drift found.
    pub const FAILED: u8 = 1;
    /// Usage error: unknown environment, missing file, bad arguments.
    pub const USAGE: u8 = 2;
}

pub struct Project {
    pub source: Source,
    pub spec: Spec,
    pub path: PathBuf,
    pub warnings: Vec<Diagnostic>,
}

impl Project {
    /// The directory that holds berth.yaml: relative paths of the spec are relative to it.
    pub fn root(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

pub fn read_source(path: &Path, printer: &Printer) -> Result<Source, u8> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Source::new(path.display().to_string(), text)),
            Err(_) => {
                printer.error(format!("{} is not valid UTF-8 text", path.display()));
                Err(exit::FAILED)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            printer.error(format!(
                "no spec at {}: run `berth init` to write one, or pass `-f FILE`",
                path.display()
            ));
            Err(exit::USAGE)
        }
        Err(e) => {
            printer.error(format!("cannot read {}: {e}", path.display()));
            Err(exit::USAGE)
        }
    }
}

/// Load and check; print diagnostics; Err(exit code) when the spec has errors.
pub fn load(path: &Path, printer: &Printer) -> Result<Project, u8> {
    let source = read_source(path, printer)?;
    let loaded = berth_spec::validate(&source);
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        printer.diagnostics(&source, &loaded.diagnostics);
        printer.error(format!(
            "{} is invalid: {errors} error{}",
            source.path,
            if errors == 1 { "" } else { "s" }
        ));
        return Err(exit::FAILED);
    }
    let spec = loaded.spec.ok_or(exit::FAILED)?;
    Ok(Project {
        source,
        spec,
        path: path.to_path_buf(),
        warnings: loaded.diagnostics,
    })
}
