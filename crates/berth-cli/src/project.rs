//! Loading the project's spec for a command: read, checked, the errors as one [`CliError`]
//! carrying the diagnostics, the warnings kept for the command to show.

use crate::error::CliError;
use berth_spec::{Diagnostic, Source, Spec};
use std::path::{Path, PathBuf};

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

    /// The output directory of rendered files: OUT, else `deploy` next to berth.yaml.
    pub fn out_dir(&self, out: Option<&Path>) -> PathBuf {
        out.map(Path::to_path_buf)
            .unwrap_or_else(|| self.root().join("deploy"))
    }
}

/// The spec's text; a missing file is a usage error that says how to get one. Only a regular
/// file within the input limit is read (`berth_drive::input`).
pub fn read_source(path: &Path) -> Result<Source, CliError> {
    use berth_drive::input::{read_text, InputError};
    match read_text(path) {
        Ok(text) => Ok(Source::new(path.display().to_string(), text)),
        Err(InputError::NotFound(_)) => Err(CliError::usage(format!(
            "no spec at {}: run `berth init` to write one, or pass `-f FILE`",
            path.display()
        ))),
        Err(e @ (InputError::NotUtf8(_) | InputError::TooLarge { .. })) => {
            Err(CliError::failure(e.to_string()))
        }
        Err(e) => Err(CliError::usage(e.to_string())),
    }
}

/// `N error` / `N errors`.
pub fn error_count(n: usize) -> String {
    format!("{n} error{}", if n == 1 { "" } else { "s" })
}

/// Load and check, with the project files the spec mounts looked up next to it.
pub fn validate(source: &Source, path: &Path) -> berth_spec::Loaded {
    let dir = path.parent().unwrap_or(Path::new("."));
    berth_spec::validate_with(source, &|rel| dir.join(rel).exists())
}

/// Load and check; an invalid spec is an error carrying its diagnostics.
pub fn load(path: &Path) -> Result<Project, CliError> {
    let source = read_source(path)?;
    let loaded = validate(&source, path);
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let spec = match loaded.spec {
        Some(spec) if errors == 0 => spec,
        _ => {
            let message = format!("{} is invalid: {}", source.path, error_count(errors));
            return Err(CliError::failure(message).with_diagnostics(source, loaded.diagnostics));
        }
    };
    Ok(Project {
        source,
        spec,
        path: path.to_path_buf(),
        warnings: loaded.diagnostics,
    })
}
