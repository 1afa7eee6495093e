//! The document tree rendered objects are built as ([`Node`]) and the `node!` macro that
//! builds one.
//!
//! A rendered stack holds tens of thousands of objects at once (every Kubernetes environment,
//! since the base is their per-field majority), so the tree is kept small and cheap to build:
//! - maps are vectors of entries in insertion order (no hashing, no index; lookups are linear,
//!   and Berth's maps are short);
//! - keys and strings are `Cow`s: literal keys and constants cost nothing, names borrowed from
//!   the model are not copied, only formatted text is owned;
//! - [`Node::Ref`] shares a subtree instead of copying it: the fixed security contexts, and
//!   the base, whose fields point at the environment value they take.
//!
//! Everything that reads a tree sees through `Ref`s ([`Node::get`]); equality compares by
//! value, with the same key order (Berth builds every object with one key order).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::borrow::Cow;

/// A key or string of a tree: borrowed where it can be, owned where it was formatted.
pub type Text<'a> = Cow<'a, str>;

/// A JSON-like value: what a YAML document or a JSON patch holds.
#[derive(Debug, Clone)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(Text<'a>),
    List(Vec<Node<'a>>),
    /// Entries in insertion order; keys are unique (literals, or names borrowed from the
    /// model).
    Map(Vec<(&'a str, Node<'a>)>),
    /// Another tree's subtree, shared rather than copied.
    Ref(&'a Node<'a>),
}

impl<'a> Node<'a> {
    /// The node itself, through any [`Node::Ref`]s.
    pub fn get(&self) -> &Node<'a> {
        let mut n = self;
        while let Node::Ref(r) = n {
            n = r;
        }
        n
    }

    /// A map without entries.
    pub fn map() -> Node<'a> {
        Node::Map(Vec::new())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.get() {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(&'a str, Node<'a>)]> {
        match self.get() {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Node<'a>]> {
        match self.get() {
            Node::List(l) => Some(l),
            _ => None,
        }
    }

    /// The value of map key `key`.
    pub fn field(&self, key: &str) -> Option<&Node<'a>> {
        self.as_map()?
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// Adds an entry to a map (a map it is, by construction; anything else is left alone).
    pub fn insert(&mut self, key: &'a str, value: impl Into<Node<'a>>) {
        if let Node::Map(m) = self {
            debug_assert!(!m.iter().any(|(k, _)| *k == key), "duplicate key {key}");
            m.push((key, value.into()));
        }
    }

    /// Room for `n` more map entries or list items (a map or list built in steps gets its
    /// memory at once).
    pub fn reserve(&mut self, n: usize) {
        match self {
            Node::Map(m) => m.reserve_exact(n),
            Node::List(l) => l.reserve_exact(n),
            _ => {}
        }
    }

    /// Whether the map has no entries (false for anything but a map).
    pub fn is_empty_map(&self) -> bool {
        self.as_map().is_some_and(|m| m.is_empty())
    }
}

/// Equality by value through [`Node::Ref`]s, maps entry by entry in order. The same subtree
/// is equal without a walk.
impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.get(), other.get());
        if std::ptr::eq(a, b) {
            return true;
        }
        match (a, b) {
            (Node::Null, Node::Null) => true,
            (Node::Bool(x), Node::Bool(y)) => x == y,
            (Node::Int(x), Node::Int(y)) => x == y,
            (Node::Str(x), Node::Str(y)) => same_str(x, y),
            (Node::List(x), Node::List(y)) => x == y,
            (Node::Map(x), Node::Map(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((ka, va), (kb, vb))| same_str(ka, kb) && va == vb)
            }
            _ => false,
        }
    }
}

/// String equality that does not compare the bytes of one string with themselves (keys are
/// mostly the same literals).
pub fn same_str(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.get() {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Int(i) => s.serialize_i64(*i),
            Node::Str(t) => s.serialize_str(t),
            Node::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for item in l {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::Ref(_) => unreachable!("get() follows references"),
        }
    }
}

impl<'a> From<&'a str> for Node<'a> {
    fn from(s: &'a str) -> Self {
        Node::Str(Cow::Borrowed(s))
    }
}

impl<'a> From<&'a String> for Node<'a> {
    fn from(s: &'a String) -> Self {
        Node::Str(Cow::Borrowed(s))
    }
}

impl<'a> From<String> for Node<'a> {
    fn from(s: String) -> Self {
        Node::Str(Cow::Owned(s))
    }
}

impl<'a> From<Text<'a>> for Node<'a> {
    fn from(s: Text<'a>) -> Self {
        Node::Str(s)
    }
}

impl<'a> From<bool> for Node<'a> {
    fn from(b: bool) -> Self {
        Node::Bool(b)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl<'a> From<$t> for Node<'a> {
            fn from(i: $t) -> Self {
                Node::Int(i64::from(i))
            }
        }
    )*};
}
from_int!(u8, u16, u32, i32, i64);

impl<'a> From<Vec<Node<'a>>> for Node<'a> {
    fn from(l: Vec<Node<'a>>) -> Self {
        Node::List(l)
    }
}

/// `None` is `null`.
impl<'a, T: Into<Node<'a>>> From<Option<T>> for Node<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Node::Null, Into::into)
    }
}

impl<'a> From<&'a Node<'a>> for Node<'a> {
    fn from(n: &'a Node<'a>) -> Self {
        Node::Ref(n)
    }
}

impl<'a, T: Into<Node<'a>>> FromIterator<T> for Node<'a> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Node::List(iter.into_iter().map(Into::into).collect())
    }
}

/// A [`Node`] written like JSON: `node!({ "name": name, "ports": [{ "port": 80 }] })`. Keys
/// are string literals; a value is a nested `{…}` or `[…]`, or any expression with
/// `Into<Node>` (moved in, never copied through a serializer).
macro_rules! node {
    ({ $($body:tt)* }) => {
        $crate::tree::Node::Map($crate::tree::node!(@map [] $($body)*))
    };
    ([ $($body:tt)* ]) => {
        $crate::tree::Node::List($crate::tree::node!(@list [] $($body)*))
    };
    // Entries and items are collected first, so each vector is allocated once at its size.
    (@map [$($done:tt)*]) => { ::std::vec![$($done)*] };
    (@map [$($done:tt)*] $k:literal : { $($v:tt)* } $(, $($rest:tt)*)?) => {
        $crate::tree::node!(@map [$($done)* ($k, $crate::tree::node!({ $($v)* })),] $($($rest)*)?)
    };
    (@map [$($done:tt)*] $k:literal : [ $($v:tt)* ] $(, $($rest:tt)*)?) => {
        $crate::tree::node!(@map [$($done)* ($k, $crate::tree::node!([ $($v)* ])),] $($($rest)*)?)
    };
    (@map [$($done:tt)*] $k:literal : $v:expr $(, $($rest:tt)*)?) => {
        $crate::tree::node!(@map [$($done)* ($k, $crate::tree::Node::from($v)),] $($($rest)*)?)
    };
    (@list [$($done:tt)*]) => { ::std::vec![$($done)*] };
    (@list [$($done:tt)*] { $($v:tt)* } $(, $($rest:tt)*)?) => {
        $crate::tree::node!(@list [$($done)* $crate::tree::node!({ $($v)* }),] $($($rest)*)?)
    };
    (@list [$($done:tt)*] [ $($v:tt)* ] $(, $($rest:tt)*)?) => {
        $crate::tree::node!(@list [$($done)* $crate::tree::node!([ $($v)* ]),] $($($rest)*)?)
    };
    (@list [$($done:tt)*] $v:expr $(, $($rest:tt)*)?) => {
        $crate::tree::node!(@list [$($done)* $crate::tree::Node::from($v),] $($($rest)*)?)
    };
    ($e:expr) => {
        $crate::tree::Node::from($e)
    };
}

pub(crate) use node;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_like_json() {
        let name = String::from("api");
        let n = node!({ "name": &name, "ports": [{ "port": 80u16 }, 8080u16], "empty": {}, "ok": true });
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            r#"{"name":"api","ports":[{"port":80},8080],"empty":{},"ok":true}"#
        );
        assert_eq!(n.field("name").and_then(Node::as_str), Some("api"));
        assert!(n.field("empty").is_some_and(Node::is_empty_map));
        assert!(n.field("missing").is_none());
    }

    #[test]
    fn refs_are_transparent() {
        let shared = node!({ "a": [1u8, 2u8] });
        let via = node!({ "x": &shared });
        let copy = node!({ "x": { "a": [1u8, 2u8] } });
        assert_eq!(via, copy);
        assert_ne!(via, node!({ "x": { "a": [2u8, 1u8] } }));
        assert_ne!(node!({ "a": 1u8, "b": 2u8 }), node!({ "b": 2u8, "a": 1u8 }));
        assert_eq!(
            serde_json::to_string(&via).unwrap(),
            serde_json::to_string(&copy).unwrap()
        );
    }
}
