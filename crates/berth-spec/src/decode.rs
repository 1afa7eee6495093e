//! Typed decoding of the node tree. Every problem is recorded and decoding carries on, so one run
//! reports all of them. The `spec_struct!` and `spec_enum!` macros declare a spec type once and
//! derive its decoder, its serializer and its JSON Schema from that single declaration.

use crate::diag::{unknown_help, Diagnostic};
use crate::node::{Node, Value};
use crate::source::{Span, Spanned};
use indexmap::IndexMap;

/// Decoding from a node. Returns None when the node was wrong (a diagnostic was pushed).
pub trait Decode: Sized {
    /// The expected shape, in words, for "expected X, found Y" messages.
    fn expected() -> &'static str;
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self>;
}

pub(crate) fn wrong_type(node: &Node, what: &str, expected: &str) -> Diagnostic {
    Diagnostic::error(
        "B0103",
        node.span,
        format!("{what} must be {expected}, found {}", node.kind_name()),
    )
    .help(format!("write {what} as {expected}"))
}

impl Decode for String {
    fn expected() -> &'static str {
        "a string"
    }
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        match &node.value {
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => node.scalar_text(),
            _ => {
                diags.push(wrong_type(node, what, Self::expected()));
                None
            }
        }
    }
}

impl Decode for bool {
    fn expected() -> &'static str {
        "true or false"
    }
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                diags.push(wrong_type(node, what, Self::expected()));
                None
            }
        }
    }
}

macro_rules! decode_int {
    ($t:ty, $expected:literal) => {
        impl Decode for $t {
            fn expected() -> &'static str {
                $expected
            }
            fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
                match node.value {
                    Value::Int(i) => match <$t>::try_from(i) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            diags.push(
                                Diagnostic::error(
                                    "B0201",
                                    node.span,
                                    format!("{what} is out of range: {i}"),
                                )
                                .help(format!("use {}", $expected)),
                            );
                            None
                        }
                    },
                    _ => {
                        diags.push(wrong_type(node, what, $expected));
                        None
                    }
                }
            }
        }
    };
}
decode_int!(u8, "an integer from 0 to 255");
decode_int!(u16, "an integer from 0 to 65535");
decode_int!(u32, "a non-negative integer");

impl Decode for f64 {
    fn expected() -> &'static str {
        "a number"
    }
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        match node.value {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => {
                diags.push(wrong_type(node, what, Self::expected()));
                None
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn expected() -> &'static str {
        T::expected()
    }
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        if node.value == Value::Null {
            return Some(None);
        }
        T::decode(node, what, diags).map(Some)
    }
}

impl<T: Decode> Decode for Spanned<T> {
    fn expected() -> &'static str {
        T::expected()
    }
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        T::decode(node, what, diags).map(|v| Spanned::new(v, node.span))
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn expected() -> &'static str {
        "a list"
    }
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        match &node.value {
            Value::Seq(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| T::decode(n, &child(what, &format!("[{i}]")), diags))
                    .collect(),
            ),
            Value::Null => Some(Vec::new()),
            _ => {
                diags.push(wrong_type(node, what, "a list"));
                None
            }
        }
    }
}

impl<T: Decode> Decode for IndexMap<Spanned<String>, T> {
    fn expected() -> &'static str {
        "a mapping"
    }
    fn decode(node: &Node, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        let entries = match &node.value {
            Value::Map(es) => es,
            Value::Null => return Some(IndexMap::new()),
            _ => {
                diags.push(wrong_type(node, what, "a mapping"));
                return None;
            }
        };
        let mut out = IndexMap::new();
        for (k, v) in entries {
            let Some(key) = k.scalar_text() else {
                diags.push(wrong_type(k, &format!("a key of {what}"), "a string"));
                continue;
            };
            if let Some(val) = T::decode(v, &child(what, &format!(".{key}")), diags) {
                out.insert(Spanned::new(key, k.span), val);
            }
        }
        Some(out)
    }
}

/// A value written as one scalar and parsed from its text (durations, quantities, image
/// references, versions). [`text_value!`] derives its decoder, serializer and JSON Schema.
pub trait TextValue: Sized + std::fmt::Display {
    type Error;
    fn parse(text: &str) -> Result<Self, Self::Error>;
    /// The diagnostic for a text that does not parse, at `span`; `what` is the field's path.
    fn diagnostic(error: Self::Error, span: Span, what: &str) -> Diagnostic;
}

/// Decode a [`TextValue`]: a scalar (B0103 otherwise) whose text parses (its own diagnostic
/// otherwise).
pub(crate) fn decode_text<T: TextValue>(
    node: &Node,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let text = String::decode(node, what, diags)?;
    T::parse(&text)
        .map_err(|e| diags.push(T::diagnostic(e, node.span, what)))
        .ok()
}

/// [`decode_text`], but a scalar whose text does not parse gives the default value.
pub(crate) fn decode_text_or_default<T: TextValue + Default>(
    node: &Node,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let text = String::decode(node, what, diags)?;
    Some(
        T::parse(&text)
            .map_err(|e| diags.push(T::diagnostic(e, node.span, what)))
            .unwrap_or_default(),
    )
}

/// Derives, for a [`TextValue`], what the spec needs of it: Decode (through [`decode_text`]),
/// Serialize as the written form (its Display) and a JSON Schema of a string.
/// With `default_when_bad`, a text that does not parse decodes (after its diagnostic) to the
/// type's default, so later checks know the key was written.
macro_rules! text_value {
    ($ty:ty, default_when_bad) => {
        crate::decode::text_value!(@rest $ty, |node, what, diags| {
            crate::decode::decode_text_or_default(node, what, diags)
        });
    };
    ($ty:ty) => {
        crate::decode::text_value!(@rest $ty, |node, what, diags| {
            crate::decode::decode_text(node, what, diags)
        });
    };
    (@rest $ty:ty, |$node:ident, $what:ident, $diags:ident| $body:block) => {
        impl crate::decode::Decode for $ty {
            fn expected() -> &'static str {
                "a string"
            }
            fn decode(
                $node: &crate::node::Node,
                $what: &str,
                $diags: &mut Vec<crate::diag::Diagnostic>,
            ) -> Option<Self> {
                $body
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl schemars::JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                <String as schemars::JsonSchema>::schema_name()
            }
            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <String as schemars::JsonSchema>::json_schema(generator)
            }
        }
    };
}
pub(crate) use text_value;

/// The name of a child of `what` in messages: a dotted path in backticks (`services.api.ports`);
/// `what` is either "the spec" (the root) or such a path. `step` is `.key` or `[i]`.
pub(crate) fn child(what: &str, step: &str) -> String {
    match what.strip_prefix('`').and_then(|w| w.strip_suffix('`')) {
        Some(path) => format!("`{path}{step}`"),
        None => format!("`{}`", step.strip_prefix('.').unwrap_or(step)),
    }
}

/// The entries of a mapping node, or a wrong-type diagnostic.
pub(crate) fn map_entries<'n>(
    node: &'n Node,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'n [(Node, Node)]> {
    match &node.value {
        Value::Map(es) => Some(es),
        Value::Null => Some(&[]),
        _ => {
            diags.push(wrong_type(node, what, "a mapping"));
            None
        }
    }
}

pub(crate) fn unknown_key(key: &Node, key_text: &str, what: &str, known: &[&str]) -> Diagnostic {
    Diagnostic::error(
        "B0101",
        key.span,
        format!("unknown key `{key_text}` in {what}"),
    )
    .help(unknown_help(key_text, "keys", known.iter().copied()))
}

pub(crate) fn missing_key(node: &Node, key: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "B0102",
        node.span,
        format!("{what} is missing the required key `{key}`"),
    )
    .help(format!("add `{key}:` to {what}"))
}

/// Declares a spec struct: fields, docs (which become schema descriptions), which keys are
/// required, and derives Decode + Serialize + JsonSchema from that one list. The serializer leaves
/// out optional keys that hold their default and always writes required ones.
macro_rules! spec_struct {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
        required: [ $($req:ident),* ]
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, Default, PartialEq, schemars::JsonSchema)]
        #[serde(default)]
        #[schemars(deny_unknown_fields)]
        #[schemars(extend("required" = [$(crate::decode::key_name(stringify!($req))),*]))]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "crate::decode::is_default")]
                pub $field: $ty,
            )*
            /// Where this mapping starts in the file.
            #[serde(skip)]
            #[schemars(skip)]
            pub span: crate::source::Span,
        }

        impl $name {
            pub const KEYS: &'static [&'static str] = &[$(crate::decode::key_name(stringify!($field))),*];
            pub const REQUIRED: &'static [&'static str] = &[$(crate::decode::key_name(stringify!($req))),*];
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(None)?;
                $(
                    let key = crate::decode::key_name(stringify!($field));
                    if Self::REQUIRED.contains(&key) || !crate::decode::is_default(&self.$field) {
                        map.serialize_entry(key, &self.$field)?;
                    }
                )*
                map.end()
            }
        }

        impl crate::decode::Decode for $name {
            fn expected() -> &'static str {
                "a mapping"
            }
            #[allow(unused_variables, unused_mut)]
            fn decode(
                node: &crate::node::Node,
                what: &str,
                diags: &mut Vec<crate::diag::Diagnostic>,
            ) -> Option<Self> {
                let entries = crate::decode::map_entries(node, what, diags)?;
                let mut out = $name { span: node.span, ..Default::default() };
                let mut seen: Vec<&str> = Vec::new();
                for (k, v) in entries {
                    let Some(key) = k.scalar_text() else {
                        diags.push(crate::decode::wrong_type(k, &format!("a key of {what}"), "a string"));
                        continue;
                    };
                    match key.as_str() {
                        $(
                            k_ if k_ == crate::decode::key_name(stringify!($field)) => {
                                seen.push(crate::decode::key_name(stringify!($field)));
                                let sub = crate::decode::child(what, &format!(".{}", k_));
                                if let Some(val) = <$ty as crate::decode::Decode>::decode(v, &sub, diags) {
                                    out.$field = val;
                                }
                            }
                        )*
                        other => diags.push(crate::decode::unknown_key(k, other, what, Self::KEYS)),
                    }
                }
                $(
                    if !seen.contains(&crate::decode::key_name(stringify!($req))) {
                        diags.push(crate::decode::missing_key(node, crate::decode::key_name(stringify!($req)), what));
                    }
                )*
                Some(out)
            }
        }
    };
}
pub(crate) use spec_struct;

/// Declares a string enum of the spec: decoded with did-you-mean, serialized as its name.
macro_rules! spec_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, schemars::JsonSchema)]
        pub enum $name {
            #[default]
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),*
        }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),*];
            pub fn as_str(&self) -> &'static str {
                match self { $( $name::$variant => $text ),* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl crate::decode::Decode for $name {
            fn expected() -> &'static str {
                concat!("one of: ", $($text, " "),*)
            }
            fn decode(
                node: &crate::node::Node,
                what: &str,
                diags: &mut Vec<crate::diag::Diagnostic>,
            ) -> Option<Self> {
                let text = match &node.value {
                    crate::node::Value::Str(s) => s.as_str(),
                    _ => {
                        diags.push(crate::decode::wrong_type(node, what, "a string"));
                        return None;
                    }
                };
                match text {
                    $( $text => Some($name::$variant), )*
                    other => {
                        diags.push(
                            crate::diag::Diagnostic::error(
                                "B0104",
                                node.span,
                                format!("`{other}` is not a valid value for {what}"),
                            )
                            .help(crate::diag::unknown_help(other, "values", Self::ALL.iter().copied())),
                        );
                        None
                    }
                }
            }
        }
    };
}
pub(crate) use spec_enum;

/// The YAML key for a Rust field name (`r#type` → `type`).
pub const fn key_name(field: &'static str) -> &'static str {
    match field.as_bytes() {
        [b'r', b'#', rest @ ..] => match std::str::from_utf8(rest) {
            Ok(s) => s,
            Err(_) => field,
        },
        _ => field,
    }
}

pub fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[cfg(test)]
mod tests {
    use crate::spec::{Store, StoreType};
    use crate::Spanned;

    #[test]
    fn required_keys_are_serialized_even_when_default() {
        let store = Store {
            r#type: Spanned::synthetic(StoreType::Redis),
            version: Some(Spanned::synthetic(crate::Version::parse("7.2").unwrap())),
            ..Store::default()
        };
        assert_eq!(
            serde_json::to_value(&store).unwrap(),
            serde_json::json!({"type": "redis", "version": "7.2"})
        );
    }
}
