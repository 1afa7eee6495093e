//! Container image references (`[registry/]repository[:tag][@digest]`), split once into their
//! parts. Every text splits (the checks judge whether a reference is pinned), and the parts
//! write back exactly the text they came from.

use crate::decode::TextValue;
use crate::diag::Diagnostic;
use crate::source::Span;

/// An image reference in parts. `registry` is the first path component when it names a host
/// (contains `.` or `:`, or is `localhost`); `tag` follows the last `:` of the last path
/// component; `digest` follows the first `@`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ImageRef {
    pub registry: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(text: &str) -> Self {
        let (name, digest) = match text.split_once('@') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (text, None),
        };
        let last = name.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match name[last..].rfind(':') {
            Some(c) => (&name[..last + c], Some(name[last + c + 1..].to_string())),
            None => (name, None),
        };
        let (registry, repository) = match path.split_once('/') {
            Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => {
                (Some(host.to_string()), rest)
            }
            _ => (None, path),
        };
        ImageRef {
            registry,
            repository: repository.to_string(),
            tag,
            digest,
        }
    }

    /// Whether the reference names one image for good: a digest, or a tag other than `latest`
    /// on a named repository.
    pub fn is_pinned(&self) -> bool {
        let named = !self
            .repository
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .is_empty();
        self.digest.is_some()
            || (named
                && self
                    .tag
                    .as_deref()
                    .is_some_and(|t| !t.is_empty() && t != "latest"))
    }

    /// The reference without tag and digest (`ghcr.io/acme/api:1.0` → `ghcr.io/acme/api`).
    pub fn name(&self) -> String {
        match &self.registry {
            Some(r) => format!("{r}/{}", self.repository),
            None => self.repository.clone(),
        }
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(r) = &self.registry {
            write!(f, "{r}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl TextValue for ImageRef {
    type Error = std::convert::Infallible;
    fn parse(text: &str) -> Result<Self, Self::Error> {
        Ok(ImageRef::parse(text))
    }
    fn diagnostic(error: Self::Error, _span: Span, _what: &str) -> Diagnostic {
        match error {}
    }
}
crate::decode::text_value!(ImageRef);

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (Option<&str>, String, Option<String>, Option<String>) {
        let i = ImageRef::parse(text);
        let registry = i
            .registry
            .is_some()
            .then(|| text.split('/').next().unwrap());
        (registry, i.repository, i.tag, i.digest)
    }

    #[test]
    fn splits() {
        assert_eq!(
            parts("nginx:1.27"),
            (None, "nginx".into(), Some("1.27".into()), None)
        );
        assert_eq!(
            parts("localhost:5000/app:1.0"),
            (
                Some("localhost:5000"),
                "app".into(),
                Some("1.0".into()),
                None
            )
        );
        assert_eq!(
            parts("ghcr.io/acme/api@sha256:abc"),
            (
                Some("ghcr.io"),
                "acme/api".into(),
                None,
                Some("sha256:abc".into())
            )
        );
        assert_eq!(parts("acme/api"), (None, "acme/api".into(), None, None));
        let ecr = ImageRef::parse("1234.dkr.ecr.us-west-2.amazonaws.com/shop/api:1.2");
        assert_eq!(
            ecr.registry.as_deref(),
            Some("1234.dkr.ecr.us-west-2.amazonaws.com")
        );
        assert_eq!(ecr.repository, "shop/api");
        assert_eq!(ecr.name(), "1234.dkr.ecr.us-west-2.amazonaws.com/shop/api");
    }

    #[test]
    fn pinned() {
        let pinned = |s: &str| ImageRef::parse(s).is_pinned();
        assert!(pinned("nginx:1.27"));
        assert!(pinned("localhost:5000/app:1.0"));
        assert!(pinned("redis@sha256:abc"));
        assert!(!pinned("nginx"));
        assert!(!pinned("nginx:latest"));
        assert!(!pinned("localhost:5000/app"));
        assert!(!pinned("nginx:"));
        assert!(!pinned("acme/:1.0"));
        assert!(!pinned(""));
    }

    #[test]
    fn round_trips_the_written_form() {
        for text in [
            "nginx:1.27",
            "registry.local:5000/acme/api",
            "a@b/c:d",
            "reg.io/",
            ":x",
            "@",
            "x/y:z@sha256:1",
            "",
        ] {
            let i = ImageRef::parse(text);
            assert_eq!(i.to_string(), text);
            assert_eq!(serde_json::to_value(&i).unwrap(), text);
            assert_eq!(ImageRef::parse(&i.to_string()), i);
        }
    }
}
