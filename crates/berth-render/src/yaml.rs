//! The YAML writer of every renderer: serde-saphyr's output, fast, for either document type
//! ([`Doc`]): `serde_json::Value` (compose) and [`Node`] (Kubernetes and Argo CD objects,
//! patches and kustomizations).
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

use crate::tree::Node;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// What the writer needs of a document tree: its shape, node by node. Implemented for
/// `serde_json::Value` (compose, Argo CD) and [`Node`] (Kubernetes objects and patches).
pub trait Doc: Serialize + Sized {
    /// A map's entries in order.
    type Entries<'d>: ExactSizeIterator<Item = (&'d str, &'d Self)> + Clone
    where
        Self: 'd;
    fn shape(&self) -> Shape<'_, Self>;
}

/// One node as the writer sees it.
pub enum Shape<'d, T: Doc + 'd> {
    Null,
    Bool(bool),
    Int(i128),
    Str(&'d str),
    Map(T::Entries<'d>),
    List(&'d [T]),
    /// Any other scalar (a float): serde-saphyr writes it.
    Other,
}

impl Doc for Value {
    type Entries<'d> = std::iter::Map<
        serde_json::map::Iter<'d>,
        fn((&'d String, &'d Value)) -> (&'d str, &'d Value),
    >;

    fn shape(&self) -> Shape<'_, Self> {
        match self {
            Value::Null => Shape::Null,
            Value::Bool(b) => Shape::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Shape::Int(i.into()),
                (_, Some(u)) => Shape::Int(u.into()),
                _ => Shape::Other,
            },
            Value::String(s) => Shape::Str(s),
            Value::Array(a) => Shape::List(a),
            Value::Object(m) => Shape::Map(entries(m)),
        }
    }
}

fn entries(m: &Map<String, Value>) -> <Value as Doc>::Entries<'_> {
    m.iter().map(|(k, v)| (k.as_str(), v))
}

impl<'a> Doc for Node<'a> {
    type Entries<'d>
        = std::iter::Map<
        std::slice::Iter<'d, (&'a str, Node<'a>)>,
        fn(&'d (&'a str, Node<'a>)) -> (&'d str, &'d Node<'a>),
    >
    where
        Self: 'd;

    fn shape(&self) -> Shape<'_, Self> {
        match self.get() {
            Node::Null => Shape::Null,
            Node::Bool(b) => Shape::Bool(*b),
            Node::Int(i) => Shape::Int((*i).into()),
            Node::Str(s) => Shape::Str(s),
            Node::List(l) => Shape::List(l),
            Node::Map(m) => Shape::Map(node_entries(m)),
            Node::Ref(_) => unreachable!("get() follows references"),
        }
    }
}

fn node_entries<'d, 'a>(m: &'d [(&'a str, Node<'a>)]) -> <Node<'a> as Doc>::Entries<'d> {
    m.iter().map(|(k, v)| (*k, v))
}

/// `value` as a YAML document (no `---`), exactly as `serde_saphyr::to_string` writes it.
pub fn to_yaml<T: Doc>(value: &T) -> String {
    let mut w = Writer::default();
    match w.document(value) {
        Some(()) => w.out,
        None => serde_saphyr::to_string(value).unwrap_or_default(),
    }
}

/// A sequence document, as [`to_yaml`] of the array of `items`.
pub fn to_yaml_seq<T: Doc>(items: &[T]) -> String {
    let mut w = Writer::default();
    let done = if items.is_empty() {
        w.out.push_str("[]\n");
        Some(())
    } else {
        w.seq(items, 0, false)
    };
    match done {
        Some(()) => w.out,
        None => serde_saphyr::to_string(&items).unwrap_or_default(),
    }
}

/// A map document whose `metadata` map gets `namespace` right after its `name` (a namespaced
/// Kubernetes object as it is applied), as [`to_yaml`] of that object.
pub fn to_yaml_namespaced(object: &Map<String, Value>, namespace: &str) -> String {
    namespaced(entries(object), namespace)
}

/// [`to_yaml_namespaced`] of an object whose entries are `object` (a map of any [`Doc`]).
pub fn namespaced<'d, T: Doc + 'd>(
    object: impl ExactSizeIterator<Item = (&'d str, &'d T)> + Clone,
    namespace: &str,
) -> String {
    let mut w = Writer::default();
    match w.namespaced(object.clone(), namespace) {
        Some(()) => w.out,
        None => serde_saphyr::to_string(&Namespaced { object, namespace }).unwrap_or_default(),
    }
}

/// Several documents in one YAML stream (`---` between them).
pub fn to_yaml_stream<T: Doc>(docs: &[&T]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        append(&mut out, *d, None);
    }
    out
}

/// Appends `doc` to `out` as [`to_yaml`] writes it, or with `Some(namespace)` as
/// [`to_yaml_namespaced`] writes a map (anything else is written as by [`to_yaml`]).
pub fn append<T: Doc>(out: &mut String, doc: &T, namespace: Option<&str>) {
    let start = out.len();
    let mut w = Writer {
        out: std::mem::take(out),
    };
    let done = match (namespace, doc.shape()) {
        (Some(ns), Shape::Map(m)) => w.namespaced(m, ns),
        _ => w.document(doc),
    };
    *out = w.out;
    if done.is_none() {
        out.truncate(start);
        let text = match (namespace, doc.shape()) {
            (Some(namespace), Shape::Map(object)) => {
                serde_saphyr::to_string(&Namespaced { object, namespace })
            }
            _ => serde_saphyr::to_string(doc),
        };
        out.push_str(&text.unwrap_or_default());
    }
}

/// Serializes an object with `namespace` inserted into its metadata after `name`.
struct Namespaced<'n, I> {
    object: I,
    namespace: &'n str,
}

impl<'d, T: Doc + 'd, I> Serialize for Namespaced<'_, I>
where
    I: ExactSizeIterator<Item = (&'d str, &'d T)> + Clone,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.object.len()))?;
        for (k, v) in self.object.clone() {
            match v.shape() {
                Shape::Map(meta) if k == "metadata" => {
                    let meta = Metadata {
                        entries: meta,
                        namespace: self.namespace,
                    };
                    map.serialize_entry(k, &meta)?;
                }
                _ => map.serialize_entry(k, v)?,
            }
        }
        map.end()
    }
}

/// Metadata entries with the namespace after the name.
struct Metadata<'n, I> {
    entries: I,
    namespace: &'n str,
}

impl<'d, T: Doc + 'd, I> Serialize for Metadata<'_, I>
where
    I: ExactSizeIterator<Item = (&'d str, &'d T)> + Clone,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len() + 1))?;
        if let Some((k, v)) = self.entries.clone().find(|(k, _)| *k == "name") {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("namespace", self.namespace)?;
        for (k, v) in self.entries.clone().filter(|(k, _)| *k != "name") {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Default)]
struct Writer {
    out: String,
}

/// `None` everywhere below means: not a shape written here; serde-saphyr writes the document.
impl Writer {
    fn document<T: Doc>(&mut self, doc: &T) -> Option<()> {
        match doc.shape() {
            Shape::Map(m) if m.len() > 0 => self.map(m, 0, false),
            Shape::List(a) if !a.is_empty() => self.seq(a, 0, false),
            _ => {
                self.scalar(doc, 0)?;
                self.out.push('\n');
                Some(())
            }
        }
    }

    fn namespaced<'d, T: Doc + 'd>(
        &mut self,
        object: impl ExactSizeIterator<Item = (&'d str, &'d T)>,
        namespace: &str,
    ) -> Option<()> {
        if object.len() == 0 {
            self.out.push_str("{}\n");
            return Some(());
        }
        for (k, v) in object {
            self.key(k)?;
            match v.shape() {
                Shape::Map(meta) if k == "metadata" => {
                    self.out.push('\n');
                    if let Some((k, v)) = meta.clone().find(|(k, _)| *k == "name") {
                        self.indent(2);
                        self.key(k)?;
                        self.value(v, 2)?;
                    }
                    self.indent(2);
                    self.key("namespace")?;
                    self.out.push(' ');
                    self.string(namespace, 2)?;
                    self.out.push('\n');
                    for (k, v) in meta.filter(|(k, _)| *k != "name") {
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

    fn indent(&mut self, n: usize) {
        const SPACES: &str = "                                                                ";
        let mut n = n;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.push_str(&SPACES[..k]);
            n -= k;
        }
    }

    /// The entries of a non-empty map at column `indent`; the first on the current line when
    /// `inline` (after `- `).
    fn map<'d, T: Doc + 'd>(
        &mut self,
        m: impl Iterator<Item = (&'d str, &'d T)>,
        indent: usize,
        inline: bool,
    ) -> Option<()> {
        for (i, (k, v)) in m.enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.key(k)?;
            self.value(v, indent)?;
        }
        Some(())
    }

    /// After `key:`: a nested collection on the next lines, or ` scalar`.
    fn value<T: Doc>(&mut self, v: &T, indent: usize) -> Option<()> {
        match v.shape() {
            Shape::Map(m) if m.len() > 0 => {
                self.out.push('\n');
                self.map(m, indent + 2, false)
            }
            Shape::List(a) if !a.is_empty() => {
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
    fn seq<T: Doc>(&mut self, a: &[T], indent: usize, inline: bool) -> Option<()> {
        for (i, item) in a.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.out.push_str("- ");
            match item.shape() {
                Shape::Map(m) if m.len() > 0 => self.map(m, indent + 2, true)?,
                Shape::List(a) if !a.is_empty() => self.seq(a, indent + 2, true)?,
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
    fn scalar<T: Doc>(&mut self, v: &T, indent: usize) -> Option<()> {
        match v.shape() {
            Shape::Null => self.out.push_str("null"),
            Shape::Bool(b) => self.out.push_str(if b { "true" } else { "false" }),
            Shape::Int(n) => {
                use std::fmt::Write;
                let _ = write!(self.out, "{n}");
            }
            Shape::Str(s) => return self.string(s, indent),
            Shape::Map(m) if m.len() == 0 => self.out.push_str("{}"),
            Shape::List([]) => self.out.push_str("[]"),
            Shape::Map(_) | Shape::List(_) => return None,
            Shape::Other => self.saphyr(v, indent)?,
        }
        Some(())
    }

    fn string(&mut self, s: &str, indent: usize) -> Option<()> {
        if plain(s) {
            self.out.push_str(s);
            Some(())
        } else {
            self.saphyr(&s, indent)
        }
    }

    /// A scalar as serde-saphyr writes it, a block scalar's lines indented under `indent`.
    fn saphyr<S: Serialize>(&mut self, v: &S, indent: usize) -> Option<()> {
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
        Some(())
    }
}

/// Written as is by serde-saphyr (and by any YAML 1.1 or 1.2 reader read back as this string).
fn plain(s: &str) -> bool {
    /// The bytes a plain string may hold: ASCII letters, digits, `.`, `_`, `/`, `-`.
    static SAFE: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            t[c] = b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-');
            c += 1;
        }
        t
    };
    let b = s.as_bytes();
    let Some(first) = b.first() else { return false };
    (first.is_ascii_alphabetic() || *first == b'/')
        && b.iter().all(|c| SAFE[usize::from(*c)])
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
