//! The one printer: results as text, JSON or YAML ([`Report`]), human messages on stderr,
//! colors only on a terminal. In JSON and YAML the result is the only thing on stdout.

use crate::error::CliError;
use berth_spec::{Diagnostic, Severity, Source};
use serde::Serialize;

/// How results are printed (`-o`, `--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Yaml,
}

/// A command's result: serialized as it is for JSON and YAML, or shown as text by [`Report::text`].
pub trait Report: Serialize {
    /// The human rendering: data lines through [`Printer::out`], messages on stderr.
    fn text(&self, printer: &Printer) -> Result<(), CliError>;
}

/// At most this many warnings are printed by one command; the rest are counted.
pub const WARNINGS_SHOWN: usize = 20;

/// Built from the global settings (`GlobalSettings::printer`).
fn unserializable(e: impl std::fmt::Display) -> CliError {
    CliError::failure(format!("cannot serialize the result: {e}"))
}

pub struct Printer {
    pub format: OutputFormat,
    pub color: bool,
    pub quiet: bool,
    /// stderr is a terminal: live progress instead of plain lines.
    pub terminal: bool,
}

impl Printer {
    /// Print a result in the chosen format.
    pub fn report(&self, report: &impl Report) -> Result<(), CliError> {
        match self.format {
            OutputFormat::Text => report.text(self),
            OutputFormat::Json => self.json(report),
            OutputFormat::Yaml => self.yaml(report),
        }
    }

    /// Any value as pretty JSON on stdout.
    pub fn json(&self, value: &impl Serialize) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value).map_err(unserializable)?;
        self.out(text);
        Ok(())
    }

    /// Any value as YAML on stdout.
    pub fn yaml(&self, value: &impl Serialize) -> Result<(), CliError> {
        let text = serde_saphyr::to_string(value).map_err(unserializable)?;
        self.out(text);
        Ok(())
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A progress or status line on stderr.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }

    pub fn success(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{} {}", self.paint("32", "✓"), msg.as_ref());
        }
    }

    pub fn warn(&self, msg: impl AsRef<str>) {
        eprintln!("{} {}", self.paint("1;33", "warning:"), msg.as_ref());
    }

    pub fn error(&self, msg: impl AsRef<str>) {
        eprintln!("{} {}", self.paint("1;31", "error:"), msg.as_ref());
    }

    /// A command's failure: the diagnostics behind it, then the message.
    pub fn failure(&self, e: &CliError) {
        if let Some(d) = e.diagnostics() {
            self.diagnostics(&d.source, &d.list);
        }
        self.error(e.to_string());
    }

    /// A line of a result on stdout.
    pub fn out(&self, text: impl AsRef<str>) {
        let t = text.as_ref();
        if t.ends_with('\n') {
            print!("{t}");
        } else {
            println!("{t}");
        }
    }

    /// Spec diagnostics: every error; the first [`WARNINGS_SHOWN`] warnings and a count of the
    /// rest (none with `-q`).
    pub fn diagnostics(&self, source: &Source, diags: &[Diagnostic]) {
        let mut warnings = 0;
        for d in diags {
            if !d.is_error() {
                warnings += 1;
                if self.quiet || warnings > WARNINGS_SHOWN {
                    continue;
                }
            }
            let text = d.render(source);
            let text = if self.color {
                let (sev, color) = match d.severity {
                    Severity::Error => ("error", "1;31"),
                    Severity::Warning => ("warning", "1;33"),
                };
                text.replacen(sev, &self.paint(color, sev), 1)
            } else {
                text
            };
            eprintln!("{text}");
        }
        self.more_warnings(
            warnings.saturating_sub(WARNINGS_SHOWN),
            "`berth validate -o json` lists them all",
        );
    }

    /// How many warnings were not printed, and where to see them; nothing with `-q`.
    pub fn more_warnings(&self, hidden: usize, where_listed: &str) {
        if hidden > 0 && !self.quiet {
            self.warn(format!(
                "{hidden} more warning{} not shown ({where_listed})",
                if hidden == 1 { "" } else { "s" }
            ));
        }
    }
}
