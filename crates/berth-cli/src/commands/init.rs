//! `berth init`: a commented starter berth.yaml that validates as written.

use crate::error::{CliError, ExitStatus};
use crate::printer::Printer;
use crate::settings::{GlobalSettings, InitSettings};
use berth_drive::fsutil::Content;

const TEMPLATE: &str = include_str!("../../templates/init.yaml");

pub fn run(g: &GlobalSettings, printer: &Printer, s: InitSettings) -> Result<ExitStatus, CliError> {
    if g.file.exists() && !s.force {
        return Err(CliError::usage(format!(
            "{} already exists; pass --force to overwrite it",
            g.file.display()
        )));
    }
    let name = s.name.unwrap_or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .map(|n| sanitize(&n))
            .unwrap_or_else(|| "my-stack".into())
    });
    let text = TEMPLATE.replace("{{name}}", &name);
    // The starter must validate as written; a bad --name shows up here with its diagnostic.
    let source = berth_spec::Source::new(g.file.display().to_string(), text.as_str());
    let loaded = berth_spec::validate(&source);
    if loaded.diagnostics.iter().any(|d| d.is_error()) {
        return Err(CliError::usage(format!(
            "`{name}` cannot be used as the stack name; pass --name NAME"
        ))
        .with_diagnostics(source, loaded.diagnostics));
    }
    berth_drive::fsutil::write_atomic(&g.file, text.as_bytes(), Content::State)
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", g.file.display())))?;
    printer.success(format!(
        "wrote {}; next: `berth validate`, then `berth up`",
        g.file.display()
    ));
    Ok(ExitStatus::Success)
}

fn sanitize(name: &str) -> String {
    let s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s = s.trim_matches('-').chars().take(63).collect::<String>();
    if s.is_empty() {
        "my-stack".into()
    } else {
        s
    }
}
