//! Compose's short syntax, parsed the way compose parses it: shell words, port and volume
//! strings, list-or-map variables, numbers and durations printed the way Go prints them.

use super::interp::Vars;
use serde_json::{json, Map, Value};

fn lookup(vars: &Vars, k: &str) -> Value {
    vars.get(k)
        .map(|v| Value::String(v.clone()))
        .unwrap_or(Value::Null)
}

/// Converts list-or-map (`environment`, `labels`, `args`) to a map of optional strings.
pub(super) fn kv_map(v: Value, vars: &Vars, resolve: bool) -> Map<String, Value> {
    let mut out = Map::new();
    match v {
        Value::Array(a) => {
            for item in a {
                let s = scalar_string(&item);
                match s.split_once('=') {
                    Some((k, val)) => {
                        out.insert(k.to_string(), Value::String(val.to_string()));
                    }
                    None => {
                        let val = if resolve {
                            lookup(vars, &s)
                        } else {
                            Value::Null
                        };
                        out.insert(s, val);
                    }
                }
            }
        }
        Value::Object(m) => {
            for (k, val) in m {
                let val = match val {
                    Value::Null if resolve => lookup(vars, &k),
                    Value::Null => Value::Null,
                    other => Value::String(scalar_string(&other)),
                };
                out.insert(k, val);
            }
        }
        _ => {}
    }
    out
}

pub(super) fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Number(n) => go_number(n),
        other => other.to_string(),
    }
}

/// Formats a number the way compose (Go) prints it: integral floats without a fraction.
fn go_number(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

/// POSIX-ish word splitting for string `command`/`entrypoint`, as compose does with shlex.
pub fn shell_split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn split_range(s: &str) -> Result<(u32, u32), String> {
    let num = |x: &str| {
        x.trim()
            .parse::<u32>()
            .map_err(|_| format!("invalid port {x:?}"))
    };
    match s.split_once('-') {
        Some((a, b)) => Ok((num(a)?, num(b)?)),
        None => {
            let n = num(s)?;
            Ok((n, n))
        }
    }
}

/// Parses `[[ip:]published:]target[/proto]`, expanding ranges like compose.
pub(super) fn parse_port(spec: &str) -> Result<Vec<Value>, String> {
    let (main, proto) = match spec.rsplit_once('/') {
        Some((m, p)) => (m, p),
        None => (spec, "tcp"),
    };
    let parts: Vec<&str> = main.rsplitn(3, ':').collect();
    let (target, published, ip) = match parts.as_slice() {
        [t] => (*t, None, None),
        [t, p] => (*t, Some(*p), None),
        [t, p, ip] => (*t, Some(*p), Some(*ip)),
        _ => return Err(format!("invalid port {spec:?}")),
    };
    let published = published.filter(|p| !p.is_empty());
    let (t0, t1) = split_range(target)?;
    let mut out = Vec::new();
    let pub_range = published.map(split_range).transpose()?;
    for (i, t) in (t0..=t1).enumerate() {
        let mut m = Map::new();
        m.insert("mode".into(), json!("ingress"));
        if let Some(ip) = ip {
            m.insert("host_ip".into(), json!(ip));
        }
        m.insert("target".into(), json!(t));
        match (published, pub_range) {
            (Some(_), Some((p0, p1))) if t0 != t1 && p1 - p0 == t1 - t0 => {
                m.insert("published".into(), json!((p0 + i as u32).to_string()));
            }
            (Some(p), _) => {
                m.insert("published".into(), json!(p));
            }
            _ => {}
        }
        m.insert("protocol".into(), json!(proto));
        out.push(Value::Object(m));
    }
    Ok(out)
}

/// Parses `[source:]target[:mode]`.
pub(super) fn parse_volume(spec: &str) -> Map<String, Value> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (src, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m, ..] => (Some(*s), *t, Some(*m)),
        [] => (None, "", None),
    };
    let mut m = Map::new();
    let is_path = |s: &str| s.starts_with('.') || s.starts_with('/') || s.starts_with('~');
    let kind = match src {
        Some(s) if is_path(s) => "bind",
        _ => "volume",
    };
    m.insert("type".into(), json!(kind));
    if let Some(s) = src {
        m.insert("source".into(), json!(s));
    }
    // compose cleans the container path (`/data/` → `/data`).
    let target = match target.trim_end_matches('/') {
        "" => target,
        t => t,
    };
    m.insert("target".into(), json!(target));
    if let Some(mode) = mode {
        for opt in mode.split(',') {
            match opt {
                "ro" => {
                    m.insert("read_only".into(), json!(true));
                }
                "z" | "Z" => {
                    m.insert("bind".into(), json!({"selinux": opt}));
                }
                "nocopy" => {
                    m.insert("volume".into(), json!({"nocopy": true}));
                }
                _ => {}
            }
        }
    }
    m
}

/// Formats a duration the way Go's `time.Duration` prints it (`1m` → `1m0s`).
pub(super) fn go_duration(s: &str) -> Option<String> {
    let mut total_ms: u64 = 0;
    let mut num = String::new();
    let chars: Vec<char> = s.trim().chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            i += 1;
            continue;
        }
        let mut unit = String::new();
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            unit.push(chars[i]);
            i += 1;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        let ms = match unit.as_str() {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1000.0,
            "ms" => 1.0,
            _ => return None,
        };
        total_ms += (n * ms) as u64;
    }
    if !num.is_empty() {
        return None;
    }
    if total_ms == 0 {
        return Some("0s".into());
    }
    if total_ms < 1000 {
        return Some(format!("{total_ms}ms"));
    }
    let (h, rem) = (total_ms / 3_600_000, total_ms % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    let secs = rem as f64 / 1000.0;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{secs}s"));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration("1m").as_deref(), Some("1m0s"));
        assert_eq!(go_duration("90s").as_deref(), Some("1m30s"));
        assert_eq!(go_duration("1h5s").as_deref(), Some("1h0m5s"));
        assert_eq!(go_duration("500ms").as_deref(), Some("500ms"));
        assert_eq!(go_duration("1.5s").as_deref(), Some("1.5s"));
        assert_eq!(go_duration("10"), None);
    }

    #[test]
    fn split_words() {
        assert_eq!(
            shell_split(r#"sh -c "echo 'hi there' && run""#).unwrap(),
            vec!["sh", "-c", "echo 'hi there' && run"]
        );
        assert!(shell_split("echo 'oops").is_err());
    }

    #[test]
    fn ports() {
        let p = parse_port("127.0.0.1:8080:3000/udp").unwrap();
        assert_eq!(p[0]["host_ip"], "127.0.0.1");
        assert_eq!(p[0]["published"], "8080");
        assert_eq!(p[0]["target"], 3000);
        assert_eq!(p[0]["protocol"], "udp");
        assert_eq!(parse_port("9000-9001:9000-9001").unwrap().len(), 2);
        assert!(parse_port("abc").is_err());
    }
}
