//! The fast YAML writer (src/yaml.rs) against serde-saphyr, byte for byte, on generated
//! documents: identifiers, numbers-as-strings, YAML keywords, punctuation, spaces, newlines,
//! long foldable text, unicode, floats, empty collections and deep nesting; as
//! `serde_json::Value`s and as the trees Kubernetes objects are built as (`tree::Node`).

use berth_render::tree::Node;
use berth_render::yaml::{namespaced, to_yaml, to_yaml_namespaced, to_yaml_seq};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9.-]{0,12}",
        "[A-Za-z0-9._/-]{0,10}",
        "[ -~]{0,20}",
        prop::sample::select(vec![
            "",
            "y",
            "N",
            "yes",
            "Off",
            "null",
            "~",
            "true",
            "16",
            "1.0.1",
            "0x1F",
            "1e3",
            "-",
            "- x",
            "a: b",
            "a #b",
            "#x",
            "&a",
            "*a",
            "!t",
            "%x",
            "@x",
            "`x",
            "|",
            ">",
            "?x",
            "[x]",
            "{x}",
            "\"q\"",
            "'q'",
            " lead",
            "trail ",
            "tab\tx",
            "line1\nline2",
            "line1\nline2\n",
            "\n",
            "üñí ✓",
            "2024-01-01",
            "12:30",
            ".inf",
            "-.5",
            "+1",
            "$(VAR)",
            "${x.url}",
            "a,b",
            "x=y",
            "/tmp",
            "http://h:80/p",
        ])
        .prop_map(String::from),
        // Long text that serde-saphyr folds.
        prop::collection::vec("[a-z]{1,12}", 8..30).prop_map(|w| w.join(" ")),
        prop::collection::vec("[a-z ]{0,30}", 1..4).prop_map(|l| l.join("\n")),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        string().prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((string(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The same document as the tree Kubernetes objects are built as (floats, which that tree has
/// not, become strings).
fn node(v: &Value) -> Node<'_> {
    match v {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Node::Int(i),
            None => Node::from(n.to_string()),
        },
        Value::String(s) => Node::from(s),
        Value::Array(a) => Node::List(a.iter().map(node).collect()),
        Value::Object(m) => Node::Map(m.iter().map(|(k, v)| (k.as_str(), node(v))).collect()),
    }
}

fn saphyr<T: serde::Serialize>(v: &T) -> String {
    serde_saphyr::to_string(v).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn same_bytes_as_serde_saphyr(v in value()) {
        prop_assert_eq!(to_yaml(&v), saphyr(&v));
    }

    #[test]
    fn sequences_as_serde_saphyr(items in prop::collection::vec(value(), 0..5)) {
        prop_assert_eq!(to_yaml_seq(&items), saphyr(&items));
    }

    #[test]
    fn namespaced_as_serde_saphyr(
        v in prop::collection::vec((string(), value()), 0..5),
        meta in prop::collection::vec((string(), value()), 0..5),
        ns in string(),
    ) {
        let mut obj: Map<String, Value> = v.into_iter().collect();
        let mut m: Map<String, Value> = meta.into_iter().collect();
        m.insert("name".into(), Value::from("x"));
        obj.insert("metadata".into(), Value::Object(m.clone()));
        // A namespaced object as applied: name, namespace, then the rest.
        let mut expect = obj.clone();
        let mut with = Map::new();
        with.insert("name".into(), Value::from("x"));
        with.insert("namespace".into(), Value::from(ns.as_str()));
        for (k, v) in m.into_iter().filter(|(k, _)| k != "name") {
            with.insert(k, v);
        }
        expect.insert("metadata".into(), Value::Object(with));
        prop_assert_eq!(to_yaml_namespaced(&obj, &ns), saphyr(&expect));
    }

    #[test]
    fn trees_as_serde_saphyr(v in value()) {
        let n = node(&v);
        prop_assert_eq!(to_yaml(&n), saphyr(&n));
        let items = vec![n.clone(), Node::Ref(&n)];
        prop_assert_eq!(to_yaml_seq(&items), saphyr(&items));
    }

    #[test]
    fn namespaced_trees_as_maps(
        v in prop::collection::vec((string(), value()), 0..5),
        meta in prop::collection::vec((string(), value()), 0..5),
        ns in string(),
    ) {
        let mut obj: Map<String, Value> = v.into_iter().collect();
        let mut m: Map<String, Value> = meta.into_iter().collect();
        m.insert("name".into(), Value::from("x"));
        obj.insert("metadata".into(), Value::Object(m));
        let doc = Value::Object(obj);
        let tree = node(&doc);
        let entries = tree.as_map().unwrap().iter().map(|(k, v)| (*k, v));
        // The tree read back as a map (big integers became strings on the way in).
        let Value::Object(same) = serde_json::to_value(&tree).unwrap() else { unreachable!() };
        prop_assert_eq!(namespaced(entries, &ns), to_yaml_namespaced(&same, &ns));
    }
}
