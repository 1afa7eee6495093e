//! Compose's CPU counts and byte sizes (`0.5`, `"512M"`, `1g`, `512mb`), as numbers.

use serde_json::Value;

/// Parses a compose CPU value (`0.5`, `"0.5"`).
pub fn parse_cpus(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses a compose byte size (`512M`, `1g`, `"536870912"`, `512mb`).
pub fn parse_bytes(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => parse_byte_str(s),
        _ => None,
    }
}

pub fn parse_byte_str(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let s = s.strip_suffix('b').unwrap_or(&s).to_string();
    let (num, mult) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1u64 << 10),
        'm' => (&s[..s.len() - 1], 1 << 20),
        'g' => (&s[..s.len() - 1], 1 << 30),
        't' => (&s[..s.len() - 1], 1 << 40),
        _ => (&s[..], 1),
    };
    let f: f64 = num.trim().parse().ok()?;
    Some((f * mult as f64) as u64)
}
