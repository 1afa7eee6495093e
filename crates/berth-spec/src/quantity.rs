//! Kubernetes resource quantities (`250m`, `0.5`, `256Mi`, `1e3`), parsed exactly.

/// A parsed quantity as the exact fraction `num / den` (both positive powers already applied).
struct Quantity {
    num: u128,
    den: u128,
}

/// Parse a quantity; `extra_exp` scales the result by 10^extra_exp (3 for millis).
fn parse(text: &str, extra_exp: i32) -> Option<Quantity> {
    let s = text.strip_prefix('+').unwrap_or(text);
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(num_end);
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if frac_part.contains('.') || int_part.len() + frac_part.len() > 30 {
        return None;
    }
    let mut digits: u128 = 0;
    for b in int_part.bytes().chain(frac_part.bytes()) {
        digits = digits.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
    }
    let mut exp10: i32 = extra_exp - frac_part.len() as i32;
    let mut mult: u128 = 1;
    match suffix {
        "" => {}
        "Ki" => mult = 1 << 10,
        "Mi" => mult = 1 << 20,
        "Gi" => mult = 1 << 30,
        "Ti" => mult = 1 << 40,
        "Pi" => mult = 1 << 50,
        "Ei" => mult = 1 << 60,
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        _ => {
            let rest = suffix.strip_prefix(['e', 'E'])?;
            let (neg, digits) = match rest.strip_prefix(['+', '-']) {
                Some(d) => (rest.starts_with('-'), d),
                None => (false, rest),
            };
            if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let e: i32 = digits.parse().ok()?;
            exp10 += if neg { -e } else { e };
        }
    }
    if !(-40..=38).contains(&exp10) {
        return None;
    }
    let mut num = digits.checked_mul(mult)?;
    let mut den: u128 = 1;
    if exp10 >= 0 {
        num = num.checked_mul(10u128.checked_pow(exp10 as u32)?)?;
    } else {
        den = 10u128.checked_pow((-exp10) as u32)?;
    }
    Some(Quantity { num, den })
}

fn ceil(q: Quantity) -> Option<u64> {
    u64::try_from(q.num.div_ceil(q.den)).ok()
}

/// A CPU quantity in millicores (`250m` → 250, `0.5` → 500, `2` → 2000). None if malformed or
/// more precise than 1m (Kubernetes rejects that).
pub fn cpu_millis(text: &str) -> Option<u64> {
    let q = parse(text.trim(), 3)?;
    if q.num % q.den != 0 {
        return None;
    }
    ceil(q)
}

/// A memory or storage quantity in bytes (`256Mi`, `1Gi`, `512M`, `1000`), rounded up like
/// Kubernetes does. None if malformed.
pub fn memory_bytes(text: &str) -> Option<u64> {
    ceil(parse(text.trim(), 0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu() {
        assert_eq!(cpu_millis("250m"), Some(250));
        assert_eq!(cpu_millis("0.5"), Some(500));
        assert_eq!(cpu_millis("2"), Some(2000));
        assert_eq!(cpu_millis(".1"), Some(100));
        assert_eq!(cpu_millis("1e1"), Some(10_000));
        assert_eq!(cpu_millis("0.0001"), None);
        assert_eq!(cpu_millis("two"), None);
        assert_eq!(cpu_millis("-1"), None);
        assert_eq!(cpu_millis(""), None);
        assert_eq!(cpu_millis("."), None);
        assert_eq!(cpu_millis("1.2.3"), None);
        assert_eq!(cpu_millis("250 m"), None);
    }

    #[test]
    fn memory() {
        assert_eq!(memory_bytes("256Mi"), Some(256 << 20));
        assert_eq!(memory_bytes("1Gi"), Some(1 << 30));
        assert_eq!(memory_bytes("512M"), Some(512_000_000));
        assert_eq!(memory_bytes("1000"), Some(1000));
        assert_eq!(memory_bytes("1.5Gi"), Some(3 << 29));
        assert_eq!(memory_bytes("1E"), Some(1_000_000_000_000_000_000));
        assert_eq!(memory_bytes("1e3"), Some(1000));
        assert_eq!(memory_bytes("256MB"), None);
        assert_eq!(memory_bytes("1Gb"), None);
        assert_eq!(memory_bytes("99999999999999999999999999999Ei"), None);
        assert_eq!(memory_bytes("1e999"), None);
    }
}
