//! Durations as berth.yaml writes them (`10s`, `1m30s`, `500ms`, `2h`): the one grammar that the
//! decoder checks and that resolution turns into seconds.

use crate::decode::TextValue;
use crate::diag::Diagnostic;
use crate::source::Span;

/// A duration: the text as written and its length in milliseconds. At most `u32::MAX` seconds,
/// so [`Duration::secs`] always fits the model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Duration {
    text: String,
    millis: u64,
}

/// Why a text is not a [`Duration`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration")]
    Malformed(String),
    #[error("`{0}` is too long for a duration")]
    TooLong(String),
}

/// Units in the order they are tried: `ms` before `m`.
const UNITS: [(&str, u64); 5] = [
    ("ms", 1),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
];

impl Duration {
    /// One or more `<digits><unit>` groups, units `d`, `h`, `m`, `s`, `ms`; nothing else (no spaces,
    /// no fractions, no bare numbers).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let malformed = || DurationError::Malformed(text.to_string());
        let too_long = || DurationError::TooLong(text.to_string());
        let mut rest = text;
        let mut millis: u64 = 0;
        if rest.is_empty() {
            return Err(malformed());
        }
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(malformed());
            }
            let (number, after) = rest.split_at(digits);
            let (unit, factor) = UNITS
                .into_iter()
                .find(|(u, _)| after.starts_with(u))
                .ok_or_else(malformed)?;
            let n: u64 = number.parse().map_err(|_| too_long())?;
            millis = n
                .checked_mul(factor)
                .and_then(|ms| millis.checked_add(ms))
                .ok_or_else(too_long)?;
            rest = &after[unit.len()..];
        }
        if millis.div_ceil(1000) > u64::from(u32::MAX) {
            return Err(too_long());
        }
        Ok(Duration {
            text: text.to_string(),
            millis,
        })
    }

    /// The duration as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn millis(&self) -> u64 {
        self.millis
    }

    /// Whole seconds, rounded up (`500ms` → 1).
    pub fn secs(&self) -> u32 {
        u32::try_from(self.millis.div_ceil(1000)).unwrap_or(u32::MAX)
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl TextValue for Duration {
    type Error = DurationError;
    fn parse(text: &str) -> Result<Self, DurationError> {
        Duration::parse(text)
    }
    /// B2007.
    fn diagnostic(error: DurationError, span: Span, _what: &str) -> Diagnostic {
        Diagnostic::error("B2007", span, error.to_string())
            .help("write a duration like `10s`, `1m30s` or `500ms`")
    }
}
crate::decode::text_value!(Duration);

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Option<u32> {
        Duration::parse(s).ok().map(|d| d.secs())
    }

    #[test]
    fn grammar() {
        assert_eq!(secs("10s"), Some(10));
        assert_eq!(secs("1m30s"), Some(90));
        assert_eq!(secs("500ms"), Some(1));
        assert_eq!(secs("2h"), Some(7200));
        assert_eq!(secs("15d"), Some(15 * 86_400));
        assert_eq!(secs("0s"), Some(0));
        assert_eq!(secs("1h1m1s1ms"), Some(3662));
        for bad in [
            "", "10", "s", "10 s", " 10s", "1.5s", "10sec", "1m30", "-1s", "abc",
        ] {
            assert_eq!(
                Duration::parse(bad),
                Err(DurationError::Malformed(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn too_long() {
        assert!(Duration::parse("4294967295s").is_ok());
        for long in ["4294967296s", "99999999999999999999s", "5000000000000000h"] {
            assert_eq!(
                Duration::parse(long),
                Err(DurationError::TooLong(long.into())),
                "{long}"
            );
        }
    }

    #[test]
    fn round_trips_the_written_form() {
        for text in ["10s", "1m30s", "0500ms", "2h"] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
            assert_eq!(serde_json::to_value(&d).unwrap(), text);
            assert_eq!(Duration::parse(&d.to_string()), Ok(d));
        }
    }
}
