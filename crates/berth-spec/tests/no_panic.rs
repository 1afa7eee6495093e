//! Property tests: `validate` never panics, whatever the input, and every diagnostic points
//! inside the input. Bounded (2,000 cases each by default; `PROPTEST_CASES` overrides) so CI
//! can run it on every push.

use berth_spec::{validate, Source};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Validate and check that every span lies within the text.
fn check(text: &str) {
    let src = Source::new("fuzz.yaml", text);
    let loaded = validate(&src);
    let lines: Vec<&str> = berth_spec::source::yaml_lines(text).collect();
    for d in &loaded.diagnostics {
        let _ = d.render(&src);
        assert!(d.span.line >= 1, "{} has no line: {d:?}", d.code);
        assert!(d.help.is_some(), "{} has no help: {d:?}", d.code);
        assert!(
            d.span.line <= lines.len() + 1,
            "{} line {} beyond {} lines",
            d.code,
            d.span.line,
            lines.len()
        );
        let width = lines.get(d.span.line - 1).map_or(0, |l| l.chars().count());
        assert!(
            d.span.col >= 1 && d.span.col <= width + 2,
            "{} col {} beyond line {} of width {width}: {d:?}",
            d.code,
            d.span.col,
            d.span.line
        );
    }
}

const TOP: &[&str] = &[
    "name",
    "registry",
    "version",
    "services",
    "stores",
    "secrets",
    "environments",
    "deployments",
];
const NAMES: &[&str] = &[
    "api", "db", "redis", "mongo", "local", "prod", "staging", "jwt", "web", "Bad_Name", "a",
];
const KEYS: &[&str] = &[
    "kind",
    "build",
    "image",
    "command",
    "ports",
    "publish",
    "health",
    "uses",
    "before",
    "env",
    "secrets",
    "replicas",
    "autoscale",
    "resources",
    "expose",
    "restart",
    "volumes",
    "dev",
    "type",
    "version",
    "storage",
    "database",
    "replica_set",
    "generate",
    "aws",
    "file",
    "extends",
    "platform",
    "cluster",
    "cloud",
    "region",
    "domain",
    "stores",
    "services",
    "environment",
    "only",
    "http",
    "tcp",
    "exec",
    "path",
    "port",
    "min",
    "max",
    "cpu",
    "memory",
    "limits",
    "host",
    "external",
    "length",
    "interval",
    "<<",
    "api",
    "db",
    "local",
    "staging",
];
const SCALARS: &[&str] = &[
    "compose",
    "kubernetes",
    "native",
    "aws",
    "eks",
    "minikube",
    "job",
    "service",
    "redis",
    "postgres",
    "mongodb",
    "rabbitmq",
    "managed",
    "host",
    "in-cluster",
    "container",
    "stores",
    "7.2",
    "\"16\"",
    "16.x",
    "250m",
    "0.5",
    "1Gi",
    "256MB",
    "10s",
    "1m30",
    "0",
    "1",
    "3",
    "65535",
    "70000",
    "-1",
    "99999999999999999999",
    "${db.url}",
    "\"${secrets.jwt}\"",
    "$${x}",
    "${",
    "${db",
    "api",
    "db",
    "local",
    "staging",
    "prod",
    "nginx:latest",
    "acme/api:1.0",
    "/",
    "api.example.com",
    "*.example.com",
    "us-west-2",
    "true",
    "~",
    "null",
    "'quoted'",
    "é",
    "𝓍",
    "\u{200b}",
    "\"a\\tb\"",
    "redis://x:1",
    "mysql://",
    "[]",
    "{}",
    "[api, db]",
    "{ http: 80 }",
    "|\n  block",
    ">-\n  folded",
];

#[derive(Debug, Clone)]
enum Tree {
    Scalar(String),
    Map(Vec<(String, Tree)>, bool),
    Seq(Vec<Tree>, bool),
    Alias(u8),
    Anchored(u8, Box<Tree>),
}

fn scalar() -> impl Strategy<Value = Tree> {
    prop_oneof![
        8 => prop::sample::select(SCALARS).prop_map(|s| Tree::Scalar(s.to_string())),
        1 => "[a-z0-9 ._:${}\\-]{0,12}".prop_map(Tree::Scalar),
        1 => (0u8..3).prop_map(Tree::Alias),
    ]
}

fn key(depth: u32) -> impl Strategy<Value = String> {
    let pool: &'static [&'static str] = match depth {
        0 => TOP,
        1 => NAMES,
        _ => KEYS,
    };
    prop_oneof![
        9 => prop::sample::select(pool).prop_map(str::to_string),
        1 => prop::sample::select(KEYS).prop_map(str::to_string),
    ]
}

fn tree(depth: u32) -> BoxedStrategy<Tree> {
    if depth >= 4 {
        return scalar().boxed();
    }
    let inner = tree(depth + 1);
    prop_oneof![
        2 => scalar(),
        5 => (prop::collection::vec((key(depth), inner.clone()), 0..5), any::<bool>())
            .prop_map(|(es, flow)| Tree::Map(es, flow)),
        1 => (prop::collection::vec(inner.clone(), 0..4), any::<bool>())
            .prop_map(|(items, flow)| Tree::Seq(items, flow)),
        1 => ((0u8..3), inner).prop_map(|(a, t)| Tree::Anchored(a, Box::new(t))),
    ]
    .boxed()
}

fn flow(t: &Tree, out: &mut String) {
    match t {
        Tree::Scalar(s) => out.push_str(if s.contains('\n') { "x" } else { s }),
        Tree::Alias(a) => out.push_str(&format!("*a{a}")),
        Tree::Anchored(a, t) => {
            out.push_str(&format!("&a{a} "));
            flow(t, out);
        }
        Tree::Map(es, _) => {
            out.push_str("{ ");
            for (i, (k, v)) in es.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                flow(v, out);
            }
            out.push_str(" }");
        }
        Tree::Seq(items, _) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(v, out);
            }
            out.push(']');
        }
    }
}

/// Block-style YAML for a value placed after `key:` at `indent`.
fn block(t: &Tree, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match t {
        Tree::Map(es, false) if !es.is_empty() => {
            for (k, v) in es {
                out.push('\n');
                out.push_str(&pad);
                out.push_str(k);
                out.push(':');
                block(v, indent + 2, out);
            }
        }
        Tree::Seq(items, false) if !items.is_empty() => {
            for v in items {
                out.push('\n');
                out.push_str(&pad);
                out.push_str("- ");
                let mut s = String::new();
                flow(v, &mut s);
                out.push_str(&s);
            }
        }
        Tree::Scalar(s) if s.contains('\n') => {
            out.push(' ');
            out.push_str(&s.replace('\n', &format!("\n{pad}")));
        }
        other => {
            out.push(' ');
            flow(other, out);
        }
    }
}

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((key(0), tree(1)), 1..6),
        prop::option::of((
            0usize..40,
            prop::sample::select(&["\t", "é", "  ", "\n", ": ", "- ", "#"][..]),
        )),
    )
        .prop_map(|(entries, noise)| {
            let mut out = String::from("name: demo");
            for (k, v) in entries {
                out.push('\n');
                out.push_str(&k);
                out.push(':');
                block(&v, 2, &mut out);
            }
            out.push('\n');
            if let Some((at, s)) = noise {
                let at = out.char_indices().nth(at).map_or(out.len(), |(i, _)| i);
                out.insert_str(at, s);
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn yaml_like_text_never_panics(text in document()) {
        check(&text);
    }
}

#[test]
fn generated_documents_reach_the_checks() {
    // Guard against a generator that only ever produces YAML syntax errors.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut decoded = 0;
    for _ in 0..200 {
        let text = document().new_tree(&mut runner).unwrap().current();
        if validate(&Source::new("x", text)).spec.is_some() {
            decoded += 1;
        }
    }
    assert!(
        decoded > 50,
        "only {decoded}/200 generated documents decoded"
    );
}

#[test]
fn known_nasty_inputs() {
    for text in [
        "",
        "\u{feff}",
        "a: &a [*a]",
        "a: &a\n  b: *a",
        "name: x\nservices: { a: { uses: [a], before: [a], kind: job } }",
        "name: x\nenvironments: { a: { extends: a } }",
        "name: x\nservices:\n  a:\n    env: { X: \"${\" }",
        "name: x\nservices:\n  a:\n    env: { X: \"é${a.b\" }",
        "name: x\nservices:\n  a:\n    env:\n      X: \"multi\n        line ${a.url}\"",
        "name: \"\\u00e9\"\n",
        "- a\n- b",
        "--- a\n--- b",
        "name: x\n<<: {services: {a: {image: b}}}",
        "{name: x, services: {a: {ports: {p: 1}, publish: {p: 1}}, b: {ports: {p: 1}, publish: {p: 1}}}, environments: {e: {platform: compose}}}",
    ] {
        check(text);
    }
}
