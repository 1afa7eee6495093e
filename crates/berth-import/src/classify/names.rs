//! Berth names for compose names: RFC 1123 labels, renames recorded, collisions numbered.

use crate::model::NormalizedCompose;
use crate::notes::Notes;
use std::collections::{BTreeMap, BTreeSet};

/// RFC 1123 label from an arbitrary name.
pub fn rfc1123(s: &str) -> String {
    let mut out: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-');
    let out = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let mut out: String = out.chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "stack".into()
    } else {
        out
    }
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
        let mut taken: BTreeSet<String> = c
            .services
            .keys()
            .filter(|n| &rfc1123(n) == *n)
            .cloned()
            .collect();
        let mut names = BTreeMap::new();
        for n in c.services.keys() {
            let mut b = rfc1123(n);
            if &b != n {
                let base = b.clone();
                let mut i = 2;
                while taken.contains(&b) {
                    b = format!("{base}-{i}");
                    i += 1;
                }
                taken.insert(b.clone());
                notes.infer(
                    format!("services.{n}"),
                    format!("renamed to {b:?} (RFC 1123)"),
                );
            }
            names.insert(n.clone(), b);
        }
        Names(names)
    }

    /// The Berth name of compose service `n`.
    pub fn of(&self, n: &str) -> String {
        self.0.get(n).cloned().unwrap_or_else(|| rfc1123(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(rfc1123("01-Session_Agent"), "session-agent");
        assert_eq!(rfc1123("--"), "stack");
        assert_eq!(rfc1123(&"a".repeat(70)).len(), 63);
    }
}
