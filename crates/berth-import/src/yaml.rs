//! YAML text for anything serde serializes (the spec's own serializer decides the keys, their
//! order and what is left out); this module decides only the layout: block style down to a
//! workload's keys, flow style below, and scalars plain when unambiguous, JSON-quoted otherwise.

use serde_json::Value;

/// Mappings written in block style, by key path (`*` stands for any key); every other mapping
/// and every list is written in flow style on one line.
const BLOCK: &[&[&str]] = &[
    &[],
    &["services"],
    &["services", "*"],
    &["services", "*", "env"],
    &["services", "*", "volumes"],
    &["stores"],
    &["secrets"],
    &["environments"],
    &["deployments"],
];

/// Writes `value` as a YAML document.
pub fn write(value: &impl serde::Serialize) -> String {
    let mut out = String::new();
    match serde_json::to_value(value) {
        Ok(Value::Object(m)) => block(&mut out, &m, &mut Vec::new()),
        Ok(other) => {
            out.push_str(&flow(&other));
            out.push('\n');
        }
        // Spec values serialize to JSON-compatible data; this would be a bug in a Serialize impl.
        Err(e) => out.push_str(&format!("# cannot serialize: {e}\n")),
    }
    out
}

fn is_block(path: &[&str]) -> bool {
    BLOCK
        .iter()
        .any(|p| p.len() == path.len() && p.iter().zip(path).all(|(a, b)| *a == "*" || a == b))
}

fn block<'a>(out: &mut String, m: &'a serde_json::Map<String, Value>, path: &mut Vec<&'a str>) {
    let indent = "  ".repeat(path.len());
    for (k, v) in m {
        out.push_str(&indent);
        out.push_str(&scalar(k));
        out.push(':');
        path.push(k);
        match v {
            Value::Object(child) if !child.is_empty() && is_block(path) => {
                out.push('\n');
                block(out, child, path);
            }
            other => {
                out.push(' ');
                out.push_str(&flow(other));
                out.push('\n');
            }
        }
        path.pop();
    }
}

/// A value on one line.
fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), flow(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
    }
}

/// Renders a string scalar safely for both block and flow context.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

fn is_plain_safe(s: &str) -> bool {
    if s.is_empty() || s.len() > 200 {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if !(first.is_ascii_alphanumeric() || first == '/' || first == '_' || first == '.') {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_./-@+=".contains(c))
    {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let reserved = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", ".inf", ".nan",
    ];
    if reserved.contains(&lower.as_str()) {
        return false;
    }
    // Anything a YAML 1.1 or 1.2 parser could read as a number stays quoted.
    let numeric = s
        .chars()
        .all(|c| c.is_ascii_digit() || ".-+_eE".contains(c))
        || s.parse::<f64>().is_ok()
        || s.starts_with("0x")
        || s.starts_with("0o");
    !numeric
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoting() {
        assert_eq!(scalar("node"), "node");
        assert_eq!(scalar("16"), "\"16\"");
        assert_eq!(scalar("7.2"), "\"7.2\"");
        assert_eq!(scalar("no"), "\"no\"");
        assert_eq!(scalar("${mongo.url}"), "\"${mongo.url}\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("dist/index.js"), "dist/index.js");
        assert_eq!(scalar("-c"), "\"-c\"");
        assert_eq!(scalar(""), "\"\"");
    }

    #[test]
    fn layout_is_block_above_a_workload_and_flow_below() {
        let v = json!({
            "name": "shop",
            "services": {"api": {"kind": "service", "ports": {"http": 3000}, "env": {"A": "1"},
                                 "command": ["node", "-e", "x"]}},
            "stores": {"db": {"type": "postgres", "version": "16"}},
            "environments": {"local": {"platform": "compose"}, "empty": {}}
        });
        assert_eq!(
            write(&v),
            "name: shop\nservices:\n  api:\n    kind: service\n    ports: { http: 3000 }\n    env:\n      A: \"1\"\n    command: [node, \"-e\", x]\nstores:\n  db: { type: postgres, version: \"16\" }\nenvironments:\n  local: { platform: compose }\n  empty: {}\n"
        );
    }
}
