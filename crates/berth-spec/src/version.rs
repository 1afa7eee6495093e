//! Store versions (`16`, `7.2`, `3.13.2`): parsed once into numbers, written back as written.

use crate::decode::TextValue;
use crate::diag::Diagnostic;
use crate::source::Span;

/// `major[.minor[.patch]]`, each a decimal number. The default (an empty text, major 0) only
/// stands for a version the decoder could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Version {
    text: String,
    major: u32,
    minor: Option<u32>,
    patch: Option<u32>,
}

/// A text that is not `major[.minor[.patch]]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid store version")]
pub struct VersionError(pub String);

impl Version {
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let error = || VersionError(text.to_string());
        let mut numbers = text.split('.').map(|p| {
            let digits = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| p.parse::<u32>().ok()).flatten()
        });
        let major = numbers.next().flatten().ok_or_else(error)?;
        let mut next = || numbers.next().map(|n| n.ok_or_else(error)).transpose();
        let minor = next()?;
        let patch = next()?;
        if next()?.is_some() {
            return Err(error());
        }
        Ok(Version {
            text: text.to_string(),
            major,
            minor,
            patch,
        })
    }

    /// The version an image tag starts with: `7-alpine` → `7`, `15.4-bookworm` → `15.4`,
    /// `3.13-management` → `3.13`; none for `alpine`, `latest` or `v2`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let head = tag.split('-').next().unwrap_or_default();
        Version::parse(head).ok()
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn major(&self) -> u32 {
        self.major
    }

    pub fn minor(&self) -> Option<u32> {
        self.minor
    }

    pub fn patch(&self) -> Option<u32> {
        self.patch
    }

    /// The first two components as written (`3.13.2` → `3.13`, `16` → `16`).
    pub fn major_minor(&self) -> &str {
        match self.text.match_indices('.').nth(1) {
            Some((i, _)) => &self.text[..i],
            None => &self.text,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl TextValue for Version {
    type Error = VersionError;
    fn parse(text: &str) -> Result<Self, VersionError> {
        Version::parse(text)
    }
    /// B2018.
    fn diagnostic(error: VersionError, span: Span, _what: &str) -> Diagnostic {
        Diagnostic::error("B2018", span, error.to_string()).help(
            "write `major`, `major.minor` or `major.minor.patch` in quotes, e.g. `\"16\"` or `\"7.2\"`",
        )
    }
}
crate::decode::text_value!(Version, default_when_bad);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let v = Version::parse("3.13.2").unwrap();
        assert_eq!((v.major(), v.minor(), v.patch()), (3, Some(13), Some(2)));
        assert_eq!(v.major_minor(), "3.13");
        let v = Version::parse("16").unwrap();
        assert_eq!((v.major(), v.minor(), v.patch()), (16, None, None));
        assert_eq!(v.major_minor(), "16");
        assert_eq!(Version::parse("7.2").unwrap().major_minor(), "7.2");
    }

    #[test]
    fn from_image_tags() {
        let v = |t: &str| Version::from_tag(t).map(|v| v.to_string());
        assert_eq!(v("7-alpine").as_deref(), Some("7"));
        assert_eq!(v("15.4-bookworm").as_deref(), Some("15.4"));
        assert_eq!(v("3.13-management").as_deref(), Some("3.13"));
        assert_eq!(v("8").as_deref(), Some("8"));
        for none in ["alpine", "latest", "v2", "", "7.x-alpine", "1.2.3.4"] {
            assert_eq!(v(none), None, "{none}");
        }
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "latest",
            "16.x",
            "1.2.3.4",
            "1..2",
            ".1",
            "1.",
            "v16",
            "99999999999",
        ] {
            assert_eq!(Version::parse(bad), Err(VersionError(bad.into())), "{bad}");
        }
    }

    #[test]
    fn round_trips_the_written_form() {
        for text in ["16", "7.2", "3.13.2", "07"] {
            let v = Version::parse(text).unwrap();
            assert_eq!(serde_json::to_value(&v).unwrap(), text);
            assert_eq!(Version::parse(&v.to_string()), Ok(v));
        }
    }
}
