//! The YAML writer of every renderer: serde-saphyr's output, fast.
//!
//! Rendering a large stack writes megabytes of YAML, mostly maps of short identifiers
//! (`name: api`, `app.kubernetes.io/part-of: shop`). serde-saphyr decides each scalar's style
//! with a general (and careful) analysis that dominated render time. This module writes the
//! same bytes for the common shapes itself and asks serde-saphyr for everything else:
//! - a string that is plainly safe (an ASCII letter or `/` first, then only letters, digits,
//!   `.`, `_`, `/`, `-`; not a YAML 1.1 boolean or null word) is written as is;
//! - any other string is written by serde-saphyr, and a block scalar it returns (`|-`, `>-`)
//!   is indented to where it stands;
//! - integers, booleans and null are written directly; floats by serde-saphyr;
//! - a map key that serde-saphyr would not write on one line makes the whole document go to
//!   serde-saphyr.
//!
//! The differential test (tests/yaml.rs) holds this to serde-saphyr byte for byte on
//! generated documents.

use serde_json::{Map, Value};

/// `value` as a YAML document (no `---`), exactly as `serde_saphyr::to_string` writes it.
pub fn to_yaml(value: &Value) -> String {
    let mut w = Writer::default();
    match w.document(Entries::Value(value)) {
        Some(()) => w.out,
        None => serde_saphyr::to_string(value).unwrap_or_default(),
    }
}

/// A sequence document, as [`to_yaml`] of the array of `items`.
pub fn to_yaml_seq(items: &[Value]) -> String {
    let mut w = Writer::default();
    match w.document(Entries::Seq(items)) {
        Some(()) => w.out,
        None => serde_saphyr::to_string(&items).unwrap_or_default(),
    }
}

/// A map document whose `metadata` map gets `namespace` right after its `name` (a namespaced
/// Kubernetes object as it is applied), as [`to_yaml`] of that object.
pub fn to_yaml_namespaced(object: &Map<String, Value>, namespace: &str) -> String {
    let mut w = Writer::default();
    match w.document(Entries::Namespaced(object, namespace)) {
        Some(()) => w.out,
        None => {
            let mut with = object.clone();
            if let Some(Value::Object(meta)) = with.get_mut("metadata") {
                let mut m = Map::new();
                if let Some(name) = meta.get("name") {
                    m.insert("name".into(), name.clone());
                }
                m.insert("namespace".into(), Value::from(namespace));
                for (k, v) in meta.iter().filter(|(k, _)| *k != "name") {
                    m.insert(k.clone(), v.clone());
                }
                *meta = m;
            }
            serde_saphyr::to_string(&with).unwrap_or_default()
        }
    }
}

enum Entries<'a> {
    Value(&'a Value),
    Seq(&'a [Value]),
    Namespaced(&'a Map<String, Value>, &'a str),
}

#[derive(Default)]
struct Writer {
    out: String,
}

/// `None` everywhere below means: not a shape written here; serde-saphyr writes the document.
impl Writer {
    fn document(&mut self, doc: Entries) -> Option<()> {
        match doc {
            Entries::Value(Value::Object(m)) if !m.is_empty() => self.map(m, 0, false),
            Entries::Value(Value::Array(a)) if !a.is_empty() => self.seq(a, 0, false),
            Entries::Value(v) => {
                self.scalar(v, 0)?;
                self.out.push('\n');
                Some(())
            }
            Entries::Seq(a) if !a.is_empty() => self.seq(a, 0, false),
            Entries::Seq(_) => {
                self.out.push_str("[]\n");
                Some(())
            }
            Entries::Namespaced(m, ns) => {
                if m.is_empty() {
                    self.out.push_str("{}\n");
                    return Some(());
                }
                let ns = Value::from(ns);
                for (k, v) in m {
                    self.key(k)?;
                    match v {
                        Value::Object(meta) if k == "metadata" => {
                            self.out.push('\n');
                            let name = meta.get("name").map(|n| ("name", n));
                            let rest = meta
                                .iter()
                                .filter(|(k, _)| *k != "name")
                                .map(|(k, v)| (k.as_str(), v));
                            for (k, v) in name.into_iter().chain([("namespace", &ns)]).chain(rest) {
                                self.indent(2);
                                self.key(k)?;
                                self.value(v, 2)?;
                            }
                        }
                        _ => self.value(v, 0)?,
                    }
                }
                Some(())
            }
        }
    }

    fn indent(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// The entries of a non-empty map at column `indent`; the first on the current line when
    /// `inline` (after `- `).
    fn map(&mut self, m: &Map<String, Value>, indent: usize, inline: bool) -> Option<()> {
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.key(k)?;
            self.value(v, indent)?;
        }
        Some(())
    }

    /// After `key:`: a nested collection on the next lines, or ` scalar`.
    fn value(&mut self, v: &Value, indent: usize) -> Option<()> {
        match v {
            Value::Object(m) if !m.is_empty() => {
                self.out.push('\n');
                self.map(m, indent + 2, false)
            }
            Value::Array(a) if !a.is_empty() => {
                self.out.push('\n');
                self.seq(a, indent, false)
            }
            _ => {
                self.out.push(' ');
                self.scalar(v, indent)?;
                self.out.push('\n');
                Some(())
            }
        }
    }

    /// The items of a non-empty sequence, dashes at column `indent`.
    fn seq(&mut self, a: &[Value], indent: usize, inline: bool) -> Option<()> {
        for (i, item) in a.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.out.push_str("- ");
            match item {
                Value::Object(m) if !m.is_empty() => self.map(m, indent + 2, true)?,
                Value::Array(a) if !a.is_empty() => self.seq(a, indent + 2, true)?,
                _ => {
                    self.scalar(item, indent)?;
                    self.out.push('\n');
                }
            }
        }
        Some(())
    }

    fn key(&mut self, k: &str) -> Option<()> {
        if plain(k) {
            self.out.push_str(k);
        } else {
            // How serde-saphyr writes this key: the line of a one-entry map, up to `: 0`.
            let mut one = Map::new();
            one.insert(k.to_string(), Value::from(0));
            let line = serde_saphyr::to_string(&one).ok()?;
            let key = line.strip_suffix(": 0\n")?;
            if key.contains('\n') {
                return None;
            }
            self.out.push_str(key);
        }
        self.out.push(':');
        Some(())
    }

    /// A scalar or an empty collection; a block scalar's lines are indented under `indent`.
    fn scalar(&mut self, v: &Value, indent: usize) -> Option<()> {
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                use std::fmt::Write;
                let _ = write!(self.out, "{n}");
            }
            Value::String(s) if plain(s) => self.out.push_str(s),
            Value::Object(m) if m.is_empty() => self.out.push_str("{}"),
            Value::Array(a) if a.is_empty() => self.out.push_str("[]"),
            Value::Object(_) | Value::Array(_) => return None,
            Value::Number(_) | Value::String(_) => {
                let text = serde_saphyr::to_string(v).ok()?;
                let text = text.strip_suffix('\n').unwrap_or(&text);
                let mut lines = text.split('\n');
                self.out.push_str(lines.next().unwrap_or_default());
                for line in lines {
                    self.out.push('\n');
                    if !line.is_empty() {
                        self.indent(indent);
                    }
                    self.out.push_str(line);
                }
            }
        }
        Some(())
    }
}

/// Written as is by serde-saphyr (and by any YAML 1.1 or 1.2 reader read back as this string).
fn plain(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(first) = b.first() else { return false };
    (first.is_ascii_alphabetic() || *first == b'/')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'/' | b'-'))
        && !(s.len() <= 5
            && ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
                .iter()
                .any(|w| s.eq_ignore_ascii_case(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings() {
        for s in [
            "api",
            "app.kubernetes.io/name",
            "/tmp",
            "svc-1",
            "a_b",
            "Never",
        ] {
            assert!(plain(s), "{s}");
        }
        for s in [
            "", "16", "1.0", "-x", "yes", "No", "n", "a b", "a:b", ".x", "~", "x#",
        ] {
            assert!(!plain(s), "{s}");
        }
    }
}
