//! The one printer: human text on stderr/stdout, JSON for machines, colors only on a terminal.

use crate::args::{Global, OutputFormat};
use berth_spec::{Diagnostic, Severity, Source};
use std::io::IsTerminal;

pub struct Printer {
    pub format: OutputFormat,
    pub color: bool,
    pub quiet: bool,
}

impl Printer {
    pub fn new(g: &Global) -> Self {
        let color = !g.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && std::io::stderr().is_terminal();
        Self {
            format: g.output,
            color,
            quiet: g.quiet,
        }
    }

    /// A printer for commands that have their own flags instead of the global ones (`import`).
    pub fn plain(no_color: bool, quiet: bool) -> Self {
        let color =
            !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal();
        Self {
            format: OutputFormat::Text,
            color,
            quiet,
        }
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

    /// A result on stdout.
    pub fn out(&self, text: impl AsRef<str>) {
        let t = text.as_ref();
        if t.ends_with('\n') {
            print!("{t}");
        } else {
            println!("{t}");
        }
    }

    pub fn diagnostics(&self, source: &Source, diags: &[Diagnostic]) {
        for d in diags {
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
    }
}
