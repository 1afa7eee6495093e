//! Diagnostics: every problem Berth finds in a spec, with a stable code, a place and a way out.

use crate::source::{Source, Span};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding. `code` is stable across releases (see docs/diagnostics.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(serialize_with = "ser_span")]
    pub span: Span,
    pub help: Option<String>,
    /// Extra places worth showing (e.g. the other half of a collision).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

fn ser_span<S: serde::Serializer>(span: &Span, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Span", 2)?;
    st.serialize_field("line", &span.line)?;
    st.serialize_field("column", &span.col)?;
    st.end()
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, span, message)
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Render in the compiler style: header, `--> file:line:col`, the source line, a caret, help.
    pub fn render(&self, source: &Source) -> String {
        use std::fmt::Write;
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{sev}[{}]: {}\n", self.code, self.message);
        if self.span.is_none() {
            let _ = writeln!(out, "  --> {}", source.path);
        } else {
            let line_no = self.span.line.to_string();
            let pad = " ".repeat(line_no.len());
            let text = source.line_text(self.span.line);
            let _ = writeln!(
                out,
                "{pad}--> {}:{}:{}",
                source.path, self.span.line, self.span.col
            );
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line_no} | {text}");
            let width = text.chars().count();
            let start = self.span.col.saturating_sub(1).min(width);
            let len = self.span.len.min(width.saturating_sub(start)).max(1);
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(start), "^".repeat(len));
        }
        for note in &self.notes {
            let _ = writeln!(out, "  = note: {note}");
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// The closest candidate to `word`, if any is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Help text for an unknown name among `candidates`.
pub fn unknown_help<'a>(
    word: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    match did_you_mean(word, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => format!("no {what} is declared; declare `{word}` first"),
        None => format!("known {what}: {}", candidates.join(", ")),
    }
}
