//! The two tree algorithms behind the Kustomize layout: the per-field [`majority`] of the
//! environments' objects (the base) and the RFC 6902 [`diff`] from the base to one
//! environment's object (its patch).
//!
//! Both walk trees by position: Berth builds every object with one key order, so maps with
//! the same keys in the same order are compared entry by entry without lookups. Neither copies
//! the environments' trees: the majority points at the values it takes ([`Node::Ref`]), a
//! patch operation at the value it writes.

use crate::tree::node;
use crate::tree::{same_str, Node};

/// Per field, the value most environments share (ties: the earliest environment's). A key is
/// kept when at least half the environments have it (ties: when the first one does).
pub fn majority<'a>(vals: &[&'a Node<'a>]) -> Node<'a> {
    let vals: Vec<&'a Node<'a>> = vals.iter().map(|v| v.get()).collect();
    let Some(first) = vals.first().copied() else {
        return Node::Null;
    };
    if vals.len() == 1 {
        return Node::Ref(first);
    }
    if let Some(maps) = vals.iter().map(|v| v.as_map()).collect::<Option<Vec<_>>>() {
        let aligned = maps[1..].iter().all(|m| {
            m.len() == maps[0].len() && m.iter().zip(maps[0]).all(|((a, _), (b, _))| same_str(a, b))
        });
        if aligned {
            return aligned_maps(first, &maps);
        }
        return unaligned_maps(&vals, &maps);
    }
    if let Some(len) = first.as_list().map(<[Node]>::len) {
        if vals
            .iter()
            .all(|v| v.as_list().is_some_and(|l| l.len() == len))
        {
            let lists: Vec<&'a [Node<'a>]> = vals.iter().filter_map(|v| v.as_list()).collect();
            return columns(
                first,
                len,
                |i| lists.iter().map(|l| &l[i]).collect(),
                |_| None,
            );
        }
    }
    let mut best = first;
    let mut best_count = 0;
    for v in &vals {
        let c = vals.iter().filter(|o| **o == *v).count();
        if c > best_count {
            best = v;
            best_count = c;
        }
    }
    Node::Ref(best)
}

/// Maps with the same keys in the same order: the majority of each column.
fn aligned_maps<'a>(first: &'a Node<'a>, maps: &[&'a [(&'a str, Node<'a>)]]) -> Node<'a> {
    columns(
        first,
        maps[0].len(),
        |i| maps.iter().map(|m| &m[i].1).collect(),
        |i| Some(maps[0][i].0),
    )
}

/// The majority of `len` columns of items (`column(i)`, the first environment's first), as a
/// list, or as a map when `key(i)` names them. Where every column takes the first
/// environment's item, the result is that environment's node itself.
fn columns<'a>(
    first: &'a Node<'a>,
    len: usize,
    column: impl Fn(usize) -> Vec<&'a Node<'a>>,
    key: impl Fn(usize) -> Option<&'a str>,
) -> Node<'a> {
    let mut built: Option<Vec<(Option<&'a str>, Node<'a>)>> = None;
    for i in 0..len {
        let items = column(i);
        let m = majority(&items);
        let takes_first = matches!(m, Node::Ref(p) if std::ptr::eq(p, items[0].get()));
        match &mut built {
            None if takes_first => {}
            None => {
                let mut v: Vec<_> = (0..i).map(|j| (key(j), Node::Ref(column(j)[0]))).collect();
                v.push((key(i), m));
                built = Some(v);
            }
            Some(v) => v.push((key(i), m)),
        }
    }
    match built {
        None => Node::Ref(first),
        Some(v) if first.as_map().is_some() => Node::Map(
            v.into_iter()
                .map(|(k, n)| (k.unwrap_or_default(), n))
                .collect(),
        ),
        Some(v) => Node::List(v.into_iter().map(|(_, n)| n).collect()),
    }
}

/// Maps whose keys differ: every key at least half of them have, in first-seen order.
fn unaligned_maps<'a>(vals: &[&'a Node<'a>], maps: &[&'a [(&'a str, Node<'a>)]]) -> Node<'a> {
    let n = vals.len();
    let mut keys: Vec<&'a str> = Vec::new();
    for m in maps {
        for (k, _) in m.iter() {
            if !keys.contains(k) {
                keys.push(k);
            }
        }
    }
    let mut out = Vec::new();
    for k in keys {
        let present: Vec<&'a Node<'a>> = vals.iter().filter_map(|v| v.field(k)).collect();
        let keep = present.len() * 2 > n || (present.len() * 2 == n && vals[0].field(k).is_some());
        if keep {
            out.push((k, majority(&present)));
        }
    }
    Node::Map(out)
}

/// RFC 6902 operations turning `a` into `b`: maps key by key, equal-length lists item by
/// item, anything else replaced whole. Operations refer to `b`'s values.
pub fn diff<'a>(a: &Node<'_>, b: &'a Node<'a>, ops: &mut Vec<Node<'a>>) {
    walk(&mut Vec::new(), a, b, ops);
}

/// A step of a JSON pointer.
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// The JSON pointer of `at`, built only where an operation is written.
fn pointer(at: &[Step]) -> String {
    let mut p = String::new();
    for s in at {
        p.push('/');
        match s {
            Step::Key(k) => p.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Step::Index(i) => p.push_str(&i.to_string()),
        }
    }
    p
}

fn walk<'v, 'a: 'v>(
    at: &mut Vec<Step<'v>>,
    a: &'v Node<'_>,
    b: &'a Node<'a>,
    ops: &mut Vec<Node<'a>>,
) {
    let (a, b) = (a.get(), b.get());
    if std::ptr::eq(a, b) {
        return;
    }
    match (a, b) {
        (Node::Map(x), Node::Map(y)) => {
            // The usual case: the same keys in the same order; compare by position.
            if x.len() == y.len() && x.iter().zip(y).all(|((p, _), (q, _))| same_str(p, q)) {
                for ((k, av), (_, bv)) in x.iter().zip(y) {
                    at.push(Step::Key(k));
                    walk(at, av, bv, ops);
                    at.pop();
                }
                return;
            }
            for (k, _) in x.iter().filter(|(k, _)| b.field(k).is_none()) {
                at.push(Step::Key(k));
                ops.push(node!({ "op": "remove", "path": pointer(at) }));
                at.pop();
            }
            for (k, v) in y {
                at.push(Step::Key(k));
                match a.field(k) {
                    None => {
                        ops.push(node!({ "op": "add", "path": pointer(at), "value": Node::Ref(v) }))
                    }
                    Some(av) => walk(at, av, v, ops),
                }
                at.pop();
            }
        }
        (Node::List(x), Node::List(y)) if x.len() == y.len() => {
            for (i, (av, bv)) in x.iter().zip(y).enumerate() {
                at.push(Step::Index(i));
                walk(at, av, bv, ops);
                at.pop();
            }
        }
        _ if a != b => {
            ops.push(node!({ "op": "replace", "path": pointer(at), "value": Node::Ref(b) }))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(n: &Node) -> serde_json::Value {
        serde_json::to_value(n).unwrap()
    }

    #[test]
    fn majority_and_diff() {
        let a = node!({ "x": 1, "l": [1, 2], "only": true, "k/e~y": "a" });
        let b = node!({ "x": 2, "l": [1, 3], "k/e~y": "b" });
        let c = node!({ "x": 2, "l": [1, 2, 3], "k/e~y": "a" });
        let m = majority(&[&a, &b, &c]);
        assert_eq!(
            json(&m),
            serde_json::json!({ "x": 2, "l": [1, 2], "k/e~y": "a" })
        );
        let mut ops = Vec::new();
        diff(&m, &a, &mut ops);
        assert_eq!(
            ops.iter().map(json).collect::<Vec<_>>(),
            vec![
                serde_json::json!({ "op": "replace", "path": "/x", "value": 1 }),
                serde_json::json!({ "op": "add", "path": "/only", "value": true }),
            ]
        );
        let mut ops = Vec::new();
        diff(&m, &b, &mut ops);
        assert_eq!(ops.len(), 2);
        assert_eq!(json(&ops[1])["path"], "/k~1e~0y");
    }

    #[test]
    fn majority_shares_what_the_first_environment_has() {
        let a = node!({ "spec": { "x": [1, 2], "y": "a" }, "n": 1 });
        let b = node!({ "spec": { "x": [1, 2], "y": "b" }, "n": 2 });
        let c = node!({ "spec": { "x": [1, 2], "y": "a" }, "n": 2 });
        let m = majority(&[&a, &b, &c]);
        assert_eq!(
            json(&m),
            serde_json::json!({ "spec": { "x": [1, 2], "y": "a" }, "n": 2 })
        );
        // `spec` is a's (a reference, not a copy); `n` is b's.
        let spec = m.field("spec").unwrap();
        assert!(matches!(spec, Node::Ref(p) if std::ptr::eq(*p, a.field("spec").unwrap())));
        assert!(matches!(majority(&[&a, &a, &b]), Node::Ref(p) if std::ptr::eq(p, &a)));
        let mut ops = Vec::new();
        diff(&m, &c, &mut ops);
        assert!(ops.is_empty());
    }
}
