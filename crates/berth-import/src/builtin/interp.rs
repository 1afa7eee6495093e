//! Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`,
//! `${VAR:+a}`, `${VAR+a}` and `$$`.

use std::collections::BTreeMap;

/// Variables visible to interpolation (process environment over `.env`).
pub type Vars = BTreeMap<String, String>;

/// Interpolates one string. Errors carry the message from `:?`/`?` or a syntax problem.
pub fn interpolate(s: &str, vars: &Vars) -> Result<String, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                // Find the matching close brace, honouring nesting in defaults.
                let mut depth = 1;
                let mut j = i + 2;
                while j < chars.len() {
                    match chars[j] {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(format!("unterminated variable reference in {s:?}"));
                }
                let inner: String = chars[i + 2..j].iter().collect();
                out.push_str(&expand_braced(&inner, vars)?);
                i = j + 1;
            }
            Some(n) if n.is_ascii_alphabetic() || *n == '_' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                out.push_str(vars.get(&name).map(String::as_str).unwrap_or(""));
                i = j;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

fn expand_braced(inner: &str, vars: &Vars) -> Result<String, String> {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    if name.is_empty() {
        return Err(format!("invalid interpolation format for ${{{inner}}}"));
    }
    let rest = &inner[name_end..];
    let val = vars.get(name);
    let set = val.is_some();
    let nonempty = val.is_some_and(|v| !v.is_empty());
    let get = || val.cloned().unwrap_or_default();
    if rest.is_empty() {
        return Ok(get());
    }
    let (op, arg) = if let Some(a) = rest.strip_prefix(":-") {
        (":-", a)
    } else if let Some(a) = rest.strip_prefix(":?") {
        (":?", a)
    } else if let Some(a) = rest.strip_prefix(":+") {
        (":+", a)
    } else if let Some(a) = rest.strip_prefix('-') {
        ("-", a)
    } else if let Some(a) = rest.strip_prefix('?') {
        ("?", a)
    } else if let Some(a) = rest.strip_prefix('+') {
        ("+", a)
    } else {
        return Err(format!("invalid interpolation format for ${{{inner}}}"));
    };
    Ok(match op {
        ":-" if !nonempty => interpolate(arg, vars)?,
        "-" if !set => interpolate(arg, vars)?,
        ":?" if !nonempty => return Err(required_msg(name, arg, vars)?),
        "?" if !set => return Err(required_msg(name, arg, vars)?),
        ":+" => {
            if nonempty {
                interpolate(arg, vars)?
            } else {
                String::new()
            }
        }
        "+" => {
            if set {
                interpolate(arg, vars)?
            } else {
                String::new()
            }
        }
        _ => get(),
    })
}

fn required_msg(name: &str, arg: &str, vars: &Vars) -> Result<String, String> {
    let msg = interpolate(arg, vars)?;
    Ok(format!(
        "required variable {name} is missing a value: {msg}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        [("A", "1"), ("E", ""), ("N", "x")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn forms() {
        let v = vars();
        assert_eq!(interpolate("${A}", &v).unwrap(), "1");
        assert_eq!(interpolate("$A-$N", &v).unwrap(), "1-x");
        assert_eq!(interpolate("${E:-d}", &v).unwrap(), "d");
        assert_eq!(interpolate("${E-d}", &v).unwrap(), "");
        assert_eq!(interpolate("${U-d}", &v).unwrap(), "d");
        assert_eq!(interpolate("${U:-${A}0}", &v).unwrap(), "10");
        assert_eq!(interpolate("$$HOME", &v).unwrap(), "$HOME");
        assert_eq!(interpolate("${A:+yes}", &v).unwrap(), "yes");
        assert!(interpolate("${U:?set it}", &v)
            .unwrap_err()
            .contains("set it"));
        assert!(interpolate("${E:?need}", &v).is_err());
        assert_eq!(interpolate("${E?need}", &v).unwrap(), "");
        assert!(interpolate("${A", &v).is_err());
        assert_eq!(interpolate("cost $5", &v).unwrap(), "cost $5");
    }
}
