//! `.env` and `env_file` parsing (KEY=VALUE lines, comments, quotes, `export` prefix).

use super::interp::{interpolate, Vars};
use indexmap::IndexMap;

/// Parses dotenv text. Unquoted and double-quoted values are interpolated against `outer` and
/// earlier keys of the same file, as compose does; single-quoted values are literal.
pub fn parse(text: &str, outer: &Vars) -> Result<IndexMap<String, String>, String> {
    let mut out = IndexMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((k, v)) = line.split_once('=') else {
            // A bare key inherits from the environment; compose keeps it only when set.
            if let Some(val) = outer.get(line) {
                out.insert(line.to_string(), val.clone());
            }
            continue;
        };
        let key = k.trim().to_string();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(format!(
                "line {}: invalid variable name {:?}",
                n + 1,
                k.trim()
            ));
        }
        let v = v.trim();
        let mut scope = outer.clone();
        for (a, b) in &out {
            scope.entry(a.clone()).or_insert_with(|| b.clone());
        }
        let value = if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            inner.to_string()
        } else if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            let unescaped = inner
                .replace("\\n", "\n")
                .replace("\\\"", "\"")
                .replace("\\\\", "\\");
            interpolate(&unescaped, &scope).map_err(|e| format!("line {}: {e}", n + 1))?
        } else {
            // Unquoted: an inline comment starts at " #".
            let v = match v.find(" #") {
                Some(i) => v[..i].trim_end(),
                None => v,
            };
            interpolate(v, &scope).map_err(|e| format!("line {}: {e}", n + 1))?
        };
        out.insert(key, value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_forms() {
        let outer: Vars = [("HOST_VAR".to_string(), "h".to_string())].into();
        let text = "# comment\nA=1\nexport B = two words # trailing\nC='lit $A'\nD=\"x ${A} \\\"q\\\"\"\nE=${HOST_VAR}-${A}\nHOST_VAR\nMISSING_BARE\n\n";
        let m = parse(text, &outer).unwrap();
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "two words");
        assert_eq!(m["C"], "lit $A");
        assert_eq!(m["D"], "x 1 \"q\"");
        assert_eq!(m["E"], "h-1");
        assert_eq!(m["HOST_VAR"], "h");
        assert!(!m.contains_key("MISSING_BARE"));
        assert!(parse("BAD KEY=1", &outer).is_err());
    }
}
