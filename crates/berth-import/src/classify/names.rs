//! Berth names for compose names: one rule for every imported name. A name that is already an
//! RFC 1123 label is kept; any other is transliterated to ASCII (`café` → `cafe`, `服务` →
//! `fu-wu`), lowercased, with runs of other characters as one `-`, no leading digit or `-`.
//! A name that is too long (over 63 characters) or that collides with another is shortened and
//! given a suffix hashed from the compose name (`-` and 6 hex digits), so it stays unique, at
//! most 63 characters, and the same on every import. Each rename is a warning.

use crate::model::NormalizedCompose;
use crate::notes::Notes;
use std::collections::{BTreeMap, BTreeSet};

/// The longest RFC 1123 label.
const MAX_LABEL: usize = 63;

/// The RFC 1123 label the rule gives `s` before shortening, or `None` when nothing is left.
fn transliterate(s: &str) -> Option<String> {
    let ascii = deunicode::deunicode(s).to_lowercase();
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let out = out.trim_end_matches('-');
    (!out.is_empty()).then(|| out.to_string())
}

/// RFC 1123 label from an arbitrary name (`stack` when nothing is left), cut at 63 characters.
pub fn rfc1123(s: &str) -> String {
    match transliterate(s) {
        Some(label) => shorten(&label, MAX_LABEL),
        None => "stack".into(),
    }
}

/// `label` cut to at most `max` characters, never ending in `-`.
fn shorten(label: &str, max: usize) -> String {
    label[..label.len().min(max)]
        .trim_end_matches('-')
        .to_string()
}

/// `label` shortened to make room for `-` and a suffix hashed from `key` (and `round`).
fn hashed(label: &str, key: &str, round: u32) -> String {
    // FNV-1a: stable across Rust versions and machines, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes().chain(round.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let suffix = format!("{:06x}", h & 0xff_ffff);
    format!("{}-{suffix}", shorten(label, MAX_LABEL - 1 - suffix.len()))
}

/// The stack's name: the compose project name as an RFC 1123 label.
pub fn stack_name(c: &NormalizedCompose, notes: &mut Notes) -> String {
    let name = rfc1123(&c.name);
    if name != c.name {
        notes.infer(
            "name",
            format!(
                "project name {:?} became the RFC 1123 name {name:?}",
                c.name
            ),
        );
    }
    name
}

/// Compose service name → Berth name (identity unless renamed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names(pub BTreeMap<String, String>);

impl Names {
    /// Names every compose service; names that are already valid keep priority over renamed ones.
    pub fn assign(c: &NormalizedCompose, notes: &mut Notes) -> Names {
        let valid = |n: &str| berth_spec::names::is_rfc1123_label(n);
        let mut taken: BTreeSet<String> = c.services.keys().filter(|n| valid(n)).cloned().collect();
        let mut names = BTreeMap::new();
        for n in c.services.keys() {
            let b = if valid(n) {
                n.clone()
            } else {
                let b = rename(n, &taken);
                taken.insert(b.clone());
                notes.warn(format!("services.{n}"), rename_note(n, &b));
                b
            };
            names.insert(n.clone(), b);
        }
        Names(names)
    }

    /// The Berth name of compose service `n`.
    pub fn of(&self, n: &str) -> String {
        self.0.get(n).cloned().unwrap_or_else(|| rfc1123(n))
    }
}

/// The Berth name of compose name `n` (not a label), unique among `taken`.
fn rename(n: &str, taken: &BTreeSet<String>) -> String {
    let label = transliterate(n).unwrap_or_else(|| "service".into());
    if label.len() <= MAX_LABEL && !taken.contains(&label) {
        return label;
    }
    (0..)
        .map(|round| hashed(&label, n, round))
        .find(|b| !taken.contains(b))
        .unwrap_or(label)
}

/// Why compose name `n` became `b`, for the warning.
fn rename_note(n: &str, b: &str) -> String {
    let why = if n.chars().count() > MAX_LABEL {
        "longer than 63 characters"
    } else if !n.is_ascii() {
        "not ASCII"
    } else {
        "not an RFC 1123 label (lowercase letters, digits, `-`)"
    };
    format!("renamed to {b:?}: the compose name is {why}; references to it use the new name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(rfc1123("01-Session_Agent"), "session-agent");
        assert_eq!(rfc1123("--"), "stack");
        assert_eq!(rfc1123(&"a".repeat(70)).len(), 63);
        assert_eq!(rfc1123("café"), "cafe");
        assert_eq!(rfc1123("服务"), "fu-wu");
    }

    fn assign(names: &[&str]) -> (Names, Notes) {
        let mut c = NormalizedCompose::default();
        for n in names {
            c.services.insert(n.to_string(), Default::default());
        }
        let mut notes = Notes::default();
        (Names::assign(&c, &mut notes), notes)
    }

    #[test]
    fn long_names_sharing_63_characters_stay_unique_and_short() {
        let a = format!("{}-alpha", "x".repeat(63));
        let b = format!("{}-beta", "x".repeat(63));
        let (names, notes) = assign(&[&a, &b, "api"]);
        let (na, nb) = (names.of(&a), names.of(&b));
        assert_ne!(na, nb);
        for n in [&na, &nb] {
            assert!(berth_spec::names::is_rfc1123_label(n), "{n}");
        }
        assert_eq!(names.of("api"), "api");
        assert_eq!(notes.warnings.len(), 2, "{notes:?}");
        assert!(notes.warnings[0].message.contains("longer than 63"));
        // The same name on every import, whatever else the project holds.
        assert_eq!(assign(&[&a]).0.of(&a), na);
    }

    #[test]
    fn unicode_names_are_transliterated_and_collisions_hashed() {
        let (names, notes) = assign(&["服务", "café", "cafe", "Café", "---"]);
        assert_eq!(names.of("服务"), "fu-wu");
        assert_eq!(names.of("cafe"), "cafe");
        for n in ["café", "Café"] {
            let b = names.of(n);
            assert!(b.starts_with("cafe-") && b.len() == 11, "{b}");
        }
        assert_ne!(names.of("café"), names.of("Café"));
        assert_eq!(names.of("---"), "service");
        assert_eq!(notes.warnings.len(), 4, "{notes:?}");
        assert!(notes.inferred.is_empty());
    }
}
