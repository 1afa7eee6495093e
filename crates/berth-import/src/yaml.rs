//! Minimal YAML scalar writing: plain when unambiguous, JSON-style double quotes otherwise.

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

/// A flow sequence of scalars.
pub fn flow_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| scalar(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// A flow mapping from already-rendered values.
pub fn flow_map(items: &[(String, String)]) -> String {
    let inner: Vec<String> = items
        .iter()
        .map(|(k, v)| format!("{}: {v}", scalar(k)))
        .collect();
    format!("{{ {} }}", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
