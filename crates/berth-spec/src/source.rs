//! Source files and spans: every value of a loaded spec points back to where it was written.

use std::sync::{Arc, OnceLock};

/// A loaded source file (path as given by the user, and its full text).
#[derive(Clone)]
pub struct Source {
    pub path: String,
    pub text: Arc<str>,
    /// Where each line starts and ends, computed on first use: finding a diagnostic's line
    /// costs the same for the first and the ten-thousandth.
    lines: Arc<OnceLock<Vec<(usize, usize)>>>,
}

impl PartialEq for Source {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.text == other.text
    }
}
impl Eq for Source {}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("path", &self.path)
            .field("text", &self.text)
            .finish()
    }
}

impl Source {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
            lines: Arc::default(),
        }
    }

    /// The text of 1-based line `line`, without its line ending. Lines end at `\n`, `\r\n`
    /// or a lone `\r`, as YAML (and so every span) counts them.
    pub fn line_text(&self, line: usize) -> &str {
        let lines = self.lines.get_or_init(|| line_ranges(&self.text));
        match line.checked_sub(1).and_then(|i| lines.get(i)) {
            Some(&(start, end)) => &self.text[start..end],
            None => "",
        }
    }
}

/// The byte range of each line of `text`, as [`yaml_lines`] splits it.
fn line_ranges(text: &str) -> Vec<(usize, usize)> {
    let base = text.as_ptr() as usize;
    yaml_lines(text)
        .map(|l| {
            let start = l.as_ptr() as usize - base;
            (start, start + l.len())
        })
        .collect()
}

/// The lines of `text` as YAML counts them (`\n`, `\r\n` and lone `\r` end a line).
pub fn yaml_lines(text: &str) -> impl Iterator<Item = &str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    text.split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
        .filter(move |_| !text.is_empty())
}

/// A region of the source: 1-based line and column of the start, plus the length in characters
/// on that line (at least 1 so a caret is always visible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub line: usize,
    pub col: usize,
    pub len: usize,
}

impl Span {
    pub const NONE: Span = Span {
        line: 0,
        col: 0,
        len: 0,
    };

    pub fn new(line: usize, col: usize, len: usize) -> Self {
        Self {
            line,
            col,
            len: len.max(1),
        }
    }

    pub fn is_none(&self) -> bool {
        self.line == 0
    }
}

/// A value together with the span it was read from. Equality, hashing and ordering look at the
/// value only, so spanned names can key maps and be compared with plain strings.
#[derive(Debug, Clone, Default)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }

    /// A value made by Berth itself (defaults, generated names): it has no place in the file.
    pub fn synthetic(value: T) -> Self {
        Self {
            value,
            span: Span::NONE,
        }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for Spanned<T> {}
impl<T: std::hash::Hash> std::hash::Hash for Spanned<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}
impl<T: PartialOrd> PartialOrd for Spanned<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}
impl<T: Ord> Ord for Spanned<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}
impl std::borrow::Borrow<str> for Spanned<String> {
    fn borrow(&self) -> &str {
        &self.value
    }
}
impl PartialEq<str> for Spanned<String> {
    fn eq(&self, other: &str) -> bool {
        self.value == other
    }
}
impl std::fmt::Display for Spanned<String> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.value)
    }
}

impl<T: serde::Serialize> serde::Serialize for Spanned<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}
