//! A YAML document as a tree of nodes that all carry their span. Built straight from the parser's
//! events so duplicate keys, merge keys (`<<`) and alias bombs are handled here, once.

use crate::diag::Diagnostic;
use crate::source::Span;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Upper bound on nodes produced by alias expansion (guards against "billion laughs").
const MAX_NODES: usize = 1_000_000;
/// Upper bound on nesting depth (guards the recursive decoder's stack).
const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    /// What this node is, as a user would say it in an error message.
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The scalar as text (numbers and booleans too), or None for null and collections.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// Parse one YAML document. Problems that leave a usable tree (duplicate keys) are pushed to
/// `diags`; a syntax error returns Err.
pub fn parse(text: &str, diags: &mut Vec<Diagnostic>) -> Result<Node, Diagnostic> {
    let mut b = Builder {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        produced: 0,
        diags,
        line_text: text,
        line_starts: line_starts(text),
    };
    b.document()
}

struct Builder<'a, 'd> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    produced: usize,
    diags: &'d mut Vec<Diagnostic>,
    line_text: &'a str,
    /// Byte offset where each line starts (YAML line breaks), to trim quoted scalars' spans.
    line_starts: Vec<usize>,
}

fn span_of(s: &saphyr_parser::Span) -> Span {
    let len = if s.end.line() == s.start.line() {
        s.end.col().saturating_sub(s.start.col())
    } else {
        1
    };
    Span::new(s.start.line(), s.start.col() + 1, len)
}

impl<'a> Builder<'a, '_> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Diagnostic> {
        match self.parser.next_event() {
            Some(Ok((ev, span))) => Ok((ev, span_of(&span))),
            Some(Err(e)) => {
                let m = e.marker();
                Err(Diagnostic::error(
                    "B0001",
                    clamp(self.line_text, m.line(), m.col() + 1),
                    format!("invalid YAML: {}", e.info()),
                )
                .help("fix the YAML syntax at this place (indentation, quotes, `:` after keys)"))
            }
            None => Err(Diagnostic::error(
                "B0001",
                Span::new(1, 1, 1),
                "invalid YAML: unexpected end of input",
            )
            .help("fix the YAML syntax at this place (indentation, quotes, `:` after keys)")),
        }
    }

    fn document(&mut self) -> Result<Node, Diagnostic> {
        // StreamStart, then DocumentStart or StreamEnd (empty file).
        loop {
            let (ev, span) = self.next()?;
            match ev {
                Event::StreamStart | Event::Nothing => continue,
                Event::StreamEnd => {
                    return Ok(Node {
                        value: Value::Null,
                        span,
                    })
                }
                Event::DocumentStart(_) => break,
                _ => {
                    return Err(Diagnostic::error("B0001", span, "invalid YAML document")
                        .help("fix the YAML syntax at this place (indentation, quotes, `:` after keys)"));
                }
            }
        }
        let (ev, span) = self.next()?;
        let root = self.node(ev, span, 0)?;
        // DocumentEnd, then either StreamEnd or a second document.
        let (_, _) = self.next()?;
        let (ev, span) = self.next()?;
        if let Event::DocumentStart(_) = ev {
            return Err(Diagnostic::error(
                "B0002",
                span,
                "berth.yaml must hold exactly one YAML document",
            )
            .help("remove the `---` separator and merge the documents"));
        }
        let _ = self.line_text;
        Ok(root)
    }

    /// saphyr's span of a quoted scalar runs to the next token, over trailing blanks; cut them
    /// so carets cover the value only.
    fn trim_trailing_space(&self, span: Span) -> Span {
        let Some(&start) = self.line_starts.get(span.line.wrapping_sub(1)) else {
            return span;
        };
        let line = self.line_text[start..]
            .split(['\n', '\r'])
            .next()
            .unwrap_or_default();
        let covered: Vec<char> = line
            .chars()
            .skip(span.col.saturating_sub(1))
            .take(span.len)
            .collect();
        let blanks = covered
            .iter()
            .rev()
            .take_while(|c| **c == ' ' || **c == '\t')
            .count();
        Span::new(span.line, span.col, span.len - blanks.min(span.len - 1))
    }

    fn count(&mut self, span: Span) -> Result<(), Diagnostic> {
        self.produced += 1;
        if self.produced > MAX_NODES {
            return Err(Diagnostic::error(
                "B0003",
                span,
                "the document expands to too many nodes (alias expansion limit)",
            )
            .help("reduce the use of anchors and aliases"));
        }
        Ok(())
    }

    fn node(&mut self, ev: Event<'a>, span: Span, depth: usize) -> Result<Node, Diagnostic> {
        if depth > MAX_DEPTH {
            return Err(
                Diagnostic::error("B0003", span, "the document is nested too deeply")
                    .help("berth.yaml never needs more than a few levels of nesting"),
            );
        }
        self.count(span)?;
        match ev {
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(n) => {
                    let n = n.clone();
                    self.produced += count_nodes(&n);
                    self.count(span)?;
                    Ok(Node {
                        value: n.value,
                        span,
                    })
                }
                None => Err(Diagnostic::error("B0001", span, "unknown alias")
                    .help("define the anchor (`&name`) before using the alias (`*name`)")),
            },
            Event::Scalar(text, style, anchor, tag) => {
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style != ScalarStyle::Plain || is_str_tag {
                    Value::Str(text.into_owned())
                } else {
                    resolve_plain(&text)
                };
                let span = if style == ScalarStyle::Plain {
                    span
                } else {
                    self.trim_trailing_space(span)
                };
                Ok(self.anchored(anchor, Node { value, span }))
            }
            Event::SequenceStart(anchor, _) => {
                let n = self.sequence(span, depth)?;
                Ok(self.anchored(anchor, n))
            }
            Event::MappingStart(anchor, _) => {
                let n = self.mapping(span, depth)?;
                Ok(self.anchored(anchor, n))
            }
            _ => Err(Diagnostic::error("B0001", span, "invalid YAML structure")
                .help("fix the YAML syntax at this place (indentation, quotes, `:` after keys)")),
        }
    }

    /// Keep `n` under its anchor (when it has one) for later aliases.
    fn anchored(&mut self, anchor: usize, n: Node) -> Node {
        if anchor > 0 {
            self.anchors.insert(anchor, n.clone());
        }
        n
    }

    /// The items of a sequence, up to its end.
    fn sequence(&mut self, span: Span, depth: usize) -> Result<Node, Diagnostic> {
        let mut items = Vec::new();
        loop {
            let (ev, sp) = self.next()?;
            if let Event::SequenceEnd = ev {
                break;
            }
            items.push(self.node(ev, sp, depth + 1)?);
        }
        Ok(Node {
            value: Value::Seq(items),
            span,
        })
    }

    /// The entries of a mapping, up to its end. A duplicate key is reported and the later entry
    /// kept; `<<` merge keys add the entries of the merged mappings that are not written.
    fn mapping(&mut self, span: Span, depth: usize) -> Result<Node, Diagnostic> {
        let mut entries = Entries::default();
        let mut merged = Entries::default();
        loop {
            let (ev, sp) = self.next()?;
            if let Event::MappingEnd = ev {
                break;
            }
            let key = self.node(ev, sp, depth + 1)?;
            let (ev, sp) = self.next()?;
            let value = self.node(ev, sp, depth + 1)?;
            if key.value == Value::Str("<<".into()) {
                merge_into(&mut merged, value);
                continue;
            }
            if let Some(prev) = entries.key(&key.value) {
                self.diags.push(duplicate_key(&key, prev));
            }
            entries.insert(key, value);
        }
        for (k, v) in merged.into_vec() {
            if entries.key(&k.value).is_none() {
                entries.insert(k, v);
            }
        }
        Ok(Node {
            value: Value::Map(entries.into_vec()),
            span,
        })
    }
}

/// The entries of a YAML merge key's value (one mapping or a list of them) not merged yet;
/// later explicit keys win over merged ones.
fn merge_into(merged: &mut Entries, value: Node) {
    let sources = match value.value {
        Value::Seq(items) => items,
        _ => vec![value],
    };
    for src in sources {
        if let Value::Map(es) = src.value {
            for (k, v) in es {
                if merged.key(&k.value).is_none() {
                    merged.insert(k, v);
                }
            }
        }
    }
}

/// A mapping's entries while it is built: a key written again replaces the earlier entry
/// (moving to the end), and finding a key costs the same for the first and the 20,000th —
/// scalar keys are hashed; other keys (sequences, mappings, floats: rare) are compared one by
/// one. (A linear search per key made a 20,000-key mapping take seconds.)
#[derive(Default)]
struct Entries {
    list: Vec<Option<(Node, Node)>>,
    scalars: HashMap<ScalarKey, usize>,
    others: Vec<usize>,
}

/// A key that can be hashed: the scalars YAML keys almost always are.
#[derive(PartialEq, Eq, Hash)]
enum ScalarKey {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
}

fn scalar_key(v: &Value) -> Option<ScalarKey> {
    match v {
        Value::Null => Some(ScalarKey::Null),
        Value::Bool(b) => Some(ScalarKey::Bool(*b)),
        Value::Int(i) => Some(ScalarKey::Int(*i)),
        Value::Str(s) => Some(ScalarKey::Str(s.clone())),
        Value::Float(_) | Value::Seq(_) | Value::Map(_) => None,
    }
}

impl Entries {
    /// The key node of the entry for `key`, if there is one.
    fn key(&self, key: &Value) -> Option<&Node> {
        let live = |i: usize| self.list[i].as_ref().map(|(k, _)| k);
        match scalar_key(key) {
            Some(k) => self.scalars.get(&k).and_then(|&i| live(i)),
            None => self
                .others
                .iter()
                .filter_map(|&i| live(i))
                .find(|k| k.value == *key),
        }
    }

    /// Adds an entry at the end, removing an earlier one with the same key.
    fn insert(&mut self, key: Node, value: Node) {
        let at = self.list.len();
        match scalar_key(&key.value) {
            Some(k) => {
                if let Some(prev) = self.scalars.insert(k, at) {
                    self.list[prev] = None;
                }
            }
            None => {
                if let Some(prev) = self.others.iter().copied().find(|&i| {
                    self.list[i]
                        .as_ref()
                        .is_some_and(|(k, _)| k.value == key.value)
                }) {
                    self.list[prev] = None;
                }
                self.others.push(at);
            }
        }
        self.list.push(Some((key, value)));
    }

    fn into_vec(self) -> Vec<(Node, Node)> {
        self.list.into_iter().flatten().collect()
    }
}

/// B0004: `key` was already written at `prev`.
fn duplicate_key(key: &Node, prev: &Node) -> Diagnostic {
    Diagnostic::error(
        "B0004",
        key.span,
        format!("duplicate key `{}`", key.scalar_text().unwrap_or_default()),
    )
    .note(format!(
        "first defined at line {}, column {}",
        prev.span.line, prev.span.col
    ))
    .help("remove one of the two entries; YAML keeps only the last")
}

/// Byte offsets of line starts; lines end at `\n`, `\r\n` or a lone `\r`.
fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = vec![0];
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            out.push(i + 1);
        }
    }
    out
}

/// The parser's error position, kept inside the text (on some inputs, e.g. control characters
/// after a `%` directive, it points past the end of the line).
fn clamp(text: &str, line: usize, col: usize) -> Span {
    let lines: Vec<&str> = crate::source::yaml_lines(text).collect();
    let line = line.clamp(1, lines.len().max(1));
    let width = lines.get(line - 1).map_or(0, |l| l.chars().count());
    Span::new(line, col.clamp(1, width + 1), 1)
}

fn count_nodes(n: &Node) -> usize {
    match &n.value {
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(es) => {
            1 + es
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Int(i);
        }
    }
    if let Some(h) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(h, 16) {
            return Value::Int(i);
        }
    }
    if let Some(o) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(o, 8) {
            return Value::Int(i);
        }
    }
    let looks_float = digits
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if looks_float {
        if let Ok(f) = s.parse::<f64>() {
            return Value::Float(f);
        }
    }
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => Value::Str(s.to_string()),
    }
}
