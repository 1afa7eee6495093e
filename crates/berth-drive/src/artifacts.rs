//! Rendered files on disk: how the disk differs from a rendered set (`berth render --check`,
//! `berth diff`) and writing a set (`berth render`, `berth infra`, the files `berth up` runs).
//! Render stays pure and returns files; this is where they meet the disk. Every write goes
//! through [`fsutil::write_if_changed`]: atomic, and unchanged files keep their mtime.

use crate::fsutil::{self, Content};
use berth_render::ArtifactSet;
use std::path::{Path, PathBuf};

/// How the disk differs from the rendered set (only the paths the set holds are compared).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    pub changed: Vec<String>,
    pub missing: Vec<String>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty()
    }
}

/// Compare every file of `set` with its copy under `dir`.
pub fn drift(set: &ArtifactSet, dir: &Path) -> Drift {
    let mut d = Drift::default();
    for (path, bytes) in set.iter() {
        match std::fs::read(dir.join(path)) {
            Ok(on_disk) if on_disk == bytes => {}
            Ok(_) => d.changed.push(path.to_string()),
            Err(_) => d.missing.push(path.to_string()),
        }
    }
    d
}

/// Unified diff of every drifted file (disk → rendered).
pub fn diff(set: &ArtifactSet, dir: &Path) -> String {
    let mut out = String::new();
    for (path, bytes) in set.iter() {
        let new = String::from_utf8_lossy(bytes).into_owned();
        let old = std::fs::read(dir.join(path))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        if old != new {
            let d = similar::TextDiff::from_lines(&old, &new);
            out.push_str(
                &d.unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{path}"), &format!("b/{path}"))
                    .to_string(),
            );
        }
    }
    out
}

/// A file of a set that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Write every file of `set` under `dir`, atomically, skipping files whose content is already
/// there. Returns the paths that changed.
pub fn write(set: &ArtifactSet, dir: &Path) -> Result<Vec<String>, WriteError> {
    write_with(set, dir, Content::Rendered)
}

/// [`write`] for files that hold secret values: durable, mode 0600 (Unix).
pub fn write_private(set: &ArtifactSet, dir: &Path) -> Result<Vec<String>, WriteError> {
    write_with(set, dir, Content::Secret)
}

fn write_with(set: &ArtifactSet, dir: &Path, content: Content) -> Result<Vec<String>, WriteError> {
    let mut changed = Vec::new();
    for (path, bytes) in set.iter() {
        let target = dir.join(path);
        let written =
            fsutil::write_if_changed(&target, bytes, content).map_err(|source| WriteError {
                path: target,
                source,
            })?;
        if written {
            changed.push(path.to_string());
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(files: &[(&str, &str)]) -> ArtifactSet {
        let mut s = ArtifactSet::default();
        for (p, t) in files {
            s.insert(*p, *t);
        }
        s
    }

    #[test]
    fn write_then_drift_and_diff_see_only_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let first = set(&[("a/one.yaml", "x: 1\n"), ("two.yaml", "y: 2\n")]);
        assert_eq!(drift(&first, dir.path()).missing.len(), 2);
        assert_eq!(
            write(&first, dir.path()).unwrap(),
            ["a/one.yaml", "two.yaml"]
        );
        assert!(drift(&first, dir.path()).is_clean());
        assert!(diff(&first, dir.path()).is_empty());
        let second = set(&[("a/one.yaml", "x: 2\n"), ("two.yaml", "y: 2\n")]);
        let d = drift(&second, dir.path());
        assert_eq!((d.changed, d.missing), (vec!["a/one.yaml".into()], vec![]));
        let text = diff(&second, dir.path());
        assert!(text.contains("-x: 1") && text.contains("+x: 2"), "{text}");
        assert_eq!(write(&second, dir.path()).unwrap(), ["a/one.yaml"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a/one.yaml")).unwrap(),
            "x: 2\n"
        );
    }

    #[test]
    fn a_write_that_fails_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "a file where a directory should be").unwrap();
        let err = write(&set(&[("a/b.yaml", "x")]), dir.path()).unwrap_err();
        assert!(err.path.ends_with("a/b.yaml"), "{err}");
        assert!(err.to_string().starts_with("cannot write "), "{err}");
    }
}
