//! Kubernetes resource quantities, parsed exactly once: [`Cpu`] (requests and limits of cores)
//! and [`Memory`] (memory, storage and volume sizes), each keeping its written form and its
//! value, with the conversions the renderers need.

use crate::decode::TextValue;
use crate::diag::Diagnostic;
use crate::source::Span;

/// A CPU quantity (`250m`, `0.5`, `2`): the text as written and its value in millicores.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpu {
    text: String,
    millis: u64,
}

/// A memory-like quantity (`256Mi`, `1Gi`, `512M`, plain bytes): the text as written, its value
/// in bytes (rounded up like Kubernetes does), and, when written as a whole number of a binary
/// unit up to `Ti`, that unit's power of 1024 (compose writes those back in its own units).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Memory {
    text: String,
    bytes: u64,
    binary_power: Option<u32>,
}

/// A text that is not a valid quantity of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("`{0}` is not a valid CPU quantity")]
    Cpu(String),
    #[error("`{0}` is not a valid memory quantity")]
    Memory(String),
}

impl Cpu {
    /// Cores (`0.5`, `2`), millicores (`250m`) or any Kubernetes quantity no finer than 1m.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let q = parse(text.trim(), 3).ok_or_else(|| QuantityError::Cpu(text.to_string()))?;
        match (q.num % q.den, ceil(q)) {
            (0, Some(millis)) => Ok(Cpu {
                text: text.to_string(),
                millis,
            }),
            _ => Err(QuantityError::Cpu(text.to_string())),
        }
    }

    /// `n` millicores, written `{n}m`.
    pub fn from_millis(millis: u64) -> Self {
        Cpu {
            text: format!("{millis}m"),
            millis,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn millis(&self) -> u64 {
        self.millis
    }

    /// Compose's `cpus`: cores as a decimal number (`250m` → `0.25`, `2000m` → `2`).
    pub fn compose_cpus(&self) -> String {
        let (whole, frac) = (self.millis / 1000, self.millis % 1000);
        if frac == 0 {
            return whole.to_string();
        }
        let frac = format!("{frac:03}");
        format!("{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// Binary suffixes compose understands, by power of 1024.
const COMPOSE_UNITS: [&str; 4] = ["K", "M", "G", "T"];

impl Memory {
    /// Bytes with an optional Kubernetes suffix. `m` (millibytes) is refused: it is always a typo
    /// for `Mi`.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let t = text.trim();
        let error = || QuantityError::Memory(text.to_string());
        if t.ends_with('m') {
            return Err(error());
        }
        let bytes = parse(t, 0).and_then(ceil).ok_or_else(error)?;
        let binary_power = ["Ki", "Mi", "Gi", "Ti"]
            .iter()
            .position(|s| t.strip_suffix(s).is_some_and(is_integer))
            .map(|i| i as u32 + 1);
        Ok(Memory {
            text: text.to_string(),
            bytes,
            binary_power,
        })
    }

    /// `n` mebibytes, written `{n}Mi`.
    pub fn mebibytes(n: u64) -> Self {
        Memory {
            text: format!("{n}Mi"),
            bytes: n << 20,
            binary_power: Some(2),
        }
    }

    /// `n` gibibytes, written `{n}Gi`.
    pub fn gibibytes(n: u64) -> Self {
        Memory {
            text: format!("{n}Gi"),
            bytes: n << 30,
            binary_power: Some(3),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whole GiB, rounded up (`20Gi` → 20, `500Mi` → 1).
    pub fn gib_ceil(&self) -> u64 {
        self.bytes.div_ceil(1 << 30)
    }

    /// Compose's memory value. Compose reads `K`/`M`/`G`/`T` as binary units, so a whole number
    /// of `Ki`..`Ti` keeps its number (`256Mi` → `256M`) and anything else becomes bytes
    /// (`500M` → `500000000b`).
    pub fn compose_memory(&self) -> String {
        match self.binary_power {
            Some(p @ 1..=4) => format!(
                "{}{}",
                self.bytes >> (10 * p),
                COMPOSE_UNITS[p as usize - 1]
            ),
            _ => format!("{}b", self.bytes),
        }
    }

    /// A suggestion for a text that did not parse (`256MB` → `256Mi`), if one is obvious.
    pub fn suggest(text: &str) -> Option<String> {
        let text = text.trim();
        let digits: String = text
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let unit = text[digits.len()..].trim().to_ascii_lowercase();
        let fix = match unit.as_str() {
            "m" | "mb" | "mib" => "Mi",
            "g" | "gb" | "gib" => "Gi",
            "k" | "kb" | "kib" => "Ki",
            "t" | "tb" | "tib" => "Ti",
            _ => return None,
        };
        (!digits.is_empty()).then(|| format!("{digits}{fix}"))
    }
}

fn is_integer(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl std::fmt::Display for Cpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl TextValue for Cpu {
    type Error = QuantityError;
    fn parse(text: &str) -> Result<Self, QuantityError> {
        Cpu::parse(text)
    }
    /// B2011.
    fn diagnostic(error: QuantityError, span: Span, _what: &str) -> Diagnostic {
        Diagnostic::error("B2011", span, error.to_string())
            .help("write cores as `0.5` or `2`, or millicores as `250m` (no finer than 1m)")
    }
}
crate::decode::text_value!(Cpu);

impl TextValue for Memory {
    type Error = QuantityError;
    fn parse(text: &str) -> Result<Self, QuantityError> {
        Memory::parse(text)
    }
    /// B2012, naming the field the way a reader calls it (memory, memory limit, storage, volume
    /// size).
    fn diagnostic(error: QuantityError, span: Span, what: &str) -> Diagnostic {
        let text = match &error {
            QuantityError::Memory(t) | QuantityError::Cpu(t) => t.as_str(),
        };
        let help = match Memory::suggest(text) {
            Some(fix) => format!("did you mean `{fix}`?"),
            None => "write bytes with a suffix: `256Mi`, `1Gi`, `512M`, or plain bytes".into(),
        };
        Diagnostic::error(
            "B2012",
            span,
            format!("`{text}` is not a valid {} quantity", memory_noun(what)),
        )
        .help(help)
    }
}
crate::decode::text_value!(Memory);

/// What a memory-like field is called in messages, from its path (`services.api.volumes.data.size`
/// → `volume size`).
fn memory_noun(what: &str) -> &'static str {
    let path = what.trim_matches('`');
    if path.ends_with("limits.memory") {
        "memory limit"
    } else if path.ends_with(".storage") {
        "storage"
    } else if path.ends_with(".size") {
        "volume size"
    } else {
        "memory"
    }
}

// The exact parser behind both types.

/// A parsed quantity as the exact fraction `num / den` (both positive powers already applied).
struct Exact {
    num: u128,
    den: u128,
}

/// Parse a quantity; `extra_exp` scales the result by 10^extra_exp (3 for millis).
fn parse(text: &str, extra_exp: i32) -> Option<Exact> {
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
    Some(Exact { num, den })
}

fn ceil(q: Exact) -> Option<u64> {
    u64::try_from(q.num.div_ceil(q.den)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu_millis(s: &str) -> Option<u64> {
        Cpu::parse(s).ok().map(|c| c.millis())
    }

    fn memory_bytes(s: &str) -> Option<u64> {
        Memory::parse(s).ok().map(|m| m.bytes())
    }

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
        assert_eq!(cpu_millis("250mc"), None);
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
        assert_eq!(memory_bytes("512m"), None);
        assert_eq!(memory_bytes("99999999999999999999999999999Ei"), None);
        assert_eq!(memory_bytes("1e999"), None);
    }

    #[test]
    fn compose_cpus() {
        let cpus = |s: &str| Cpu::parse(s).unwrap().compose_cpus();
        assert_eq!(cpus("250m"), "0.25");
        assert_eq!(cpus("100m"), "0.1");
        assert_eq!(cpus("1500m"), "1.5");
        assert_eq!(cpus("2000m"), "2");
        assert_eq!(cpus("5m"), "0.005");
        assert_eq!(cpus("1"), "1");
        assert_eq!(cpus("0.5"), "0.5");
        assert_eq!(cpus("1e1"), "10");
    }

    #[test]
    fn compose_memory() {
        let memory = |s: &str| Memory::parse(s).unwrap().compose_memory();
        assert_eq!(memory("256Mi"), "256M");
        assert_eq!(memory("1Gi"), "1G");
        assert_eq!(memory("512Ki"), "512K");
        assert_eq!(memory("2Ti"), "2T");
        assert_eq!(memory("500M"), "500000000b");
        assert_eq!(memory("1G"), "1000000000b");
        assert_eq!(memory("1048576"), "1048576b");
        assert_eq!(memory("1.5Gi"), "1610612736b");
        assert_eq!(memory("1Pi"), "1125899906842624b");
    }

    #[test]
    fn gib() {
        let gib = |s: &str| Memory::parse(s).unwrap().gib_ceil();
        assert_eq!(gib("20Gi"), 20);
        assert_eq!(gib("500Mi"), 1);
        assert_eq!(gib("1Ti"), 1024);
        assert_eq!(gib("10"), 1);
    }

    #[test]
    fn constructors_match_parsing() {
        assert_eq!(Cpu::from_millis(250), Cpu::parse("250m").unwrap());
        assert_eq!(Memory::mebibytes(256), Memory::parse("256Mi").unwrap());
        assert_eq!(Memory::gibibytes(1), Memory::parse("1Gi").unwrap());
    }

    #[test]
    fn round_trips_the_written_form() {
        for text in ["250m", "0.5", "2", "1e1"] {
            let c = Cpu::parse(text).unwrap();
            assert_eq!(serde_json::to_value(&c).unwrap(), text);
            assert_eq!(Cpu::parse(&c.to_string()), Ok(c));
        }
        for text in ["256Mi", "512M", "1000", "1.5Gi"] {
            let m = Memory::parse(text).unwrap();
            assert_eq!(serde_json::to_value(&m).unwrap(), text);
            assert_eq!(Memory::parse(&m.to_string()), Ok(m));
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(Memory::suggest("256MB").as_deref(), Some("256Mi"));
        assert_eq!(Memory::suggest("512m").as_deref(), Some("512Mi"));
        assert_eq!(Memory::suggest("10 GB").as_deref(), Some("10Gi"));
        assert_eq!(Memory::suggest("lots"), None);
    }

    #[test]
    fn fields_are_named_in_messages() {
        assert_eq!(memory_noun("`services.api.resources.memory`"), "memory");
        assert_eq!(
            memory_noun("`stores.db.resources.limits.memory`"),
            "memory limit"
        );
        assert_eq!(memory_noun("`stores.db.storage`"), "storage");
        assert_eq!(
            memory_noun("`services.api.volumes.data.size`"),
            "volume size"
        );
    }
}
