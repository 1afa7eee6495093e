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
    /// A long line is shown as a window around the span, and a long message is clipped, so a
    /// one-line 50 MB file gives a few lines of output, not 50 MB.
    pub fn render(&self, source: &Source) -> String {
        use std::fmt::Write;
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{sev}[{}]: {}\n", self.code, clip(&self.message));
        if self.span.is_none() {
            let _ = writeln!(out, "  --> {}", source.path);
        } else {
            let line_no = self.span.line.to_string();
            let pad = " ".repeat(line_no.len());
            let shown = excerpt(source.line_text(self.span.line), self.span);
            let _ = writeln!(
                out,
                "{pad}--> {}:{}:{}",
                source.path, self.span.line, self.span.col
            );
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line_no} | {}", shown.text);
            let caret = "^".repeat(shown.caret_len);
            let _ = writeln!(out, "{pad} | {}{caret}", " ".repeat(shown.caret_start));
        }
        for note in &self.notes {
            let _ = writeln!(out, "  = note: {}", clip(note));
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {}", clip(help));
        }
        out
    }
}

/// At most this many characters of a source line are shown.
pub const LINE_SHOWN: usize = 120;
/// At most this many characters of a message, note or help are shown.
pub const MESSAGE_SHOWN: usize = 400;

/// The part of a source line a diagnostic shows, and where its caret goes (in characters).
struct Excerpt {
    text: String,
    caret_start: usize,
    caret_len: usize,
}

/// `line` whole when short; else a window of [`LINE_SHOWN`] characters starting a little
/// before the span, with `…` where text was cut.
fn excerpt(line: &str, span: Span) -> Excerpt {
    let width = line.chars().count();
    let start = span.col.saturating_sub(1).min(width);
    let caret_len = |from: usize, to: usize| span.len.min(to.saturating_sub(from)).max(1);
    if width <= LINE_SHOWN {
        return Excerpt {
            text: line.to_string(),
            caret_start: start,
            caret_len: caret_len(start, width),
        };
    }
    let from = start.saturating_sub(LINE_SHOWN / 3);
    let to = (from + LINE_SHOWN).min(width);
    let mut text: String = line.chars().skip(from).take(to - from).collect();
    let lead = usize::from(from > 0);
    if from > 0 {
        text.insert(0, '…');
    }
    if to < width {
        text.push('…');
    }
    Excerpt {
        text,
        caret_start: start - from + lead,
        caret_len: caret_len(start, to),
    }
}

/// `text` cut at [`MESSAGE_SHOWN`] characters, saying how much was left out.
fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MESSAGE_SHOWN) {
        None => text.into(),
        Some((at, _)) => {
            let rest = text[at..].chars().count();
            format!("{}… ({rest} more characters)", &text[..at]).into()
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_around_its_span() {
        let line = format!("key: {}bad{}", "a".repeat(10_000), "b".repeat(10_000));
        let source = Source::new("big.yaml", line.as_str());
        let d = Diagnostic::error("B0001", Span::new(1, 10_006, 3), "x".repeat(100_000));
        let out = d.render(&source);
        assert!(out.len() < 2_000, "{} bytes", out.len());
        assert!(out.contains("… (99600 more characters)"), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let shown = lines[3].trim_start_matches("1 | ");
        let caret = lines[4].trim_start_matches("  | ");
        let at = caret.find('^').unwrap();
        assert_eq!(caret.trim(), "^^^");
        let under: String = shown.chars().skip(at).take(3).collect();
        assert_eq!(under, "bad");
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
    }

    #[test]
    fn a_short_line_is_shown_whole() {
        let source = Source::new("s.yaml", "name: Bad_Name\n");
        let d = Diagnostic::error("B1001", Span::new(1, 7, 8), "not a label");
        let out = d.render(&source);
        assert!(
            out.contains("1 | name: Bad_Name\n  |       ^^^^^^^^\n"),
            "{out}"
        );
    }
}
