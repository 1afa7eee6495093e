//! The one way Berth writes a file: a temporary sibling, then rename, so a crash or Ctrl-C
//! never leaves a half-written file. What the file holds ([`Content`]) decides the rest: state
//! and secrets are forced to disk (fsync) before they replace the old file, and secret files
//! are created with mode 0600 from the start (never world-readable, not even for an instant).
//! Rendered files are not forced to disk one by one: the next render writes them again, and
//! an fsync per file would make writing a large render (thousands of files) take seconds.

use std::io::Write;
use std::path::Path;

/// What a written file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Rendered from berth.yaml (artifacts, compose files): atomic.
    Rendered,
    /// Only this machine has it (history, an imported spec): atomic and durable.
    State,
    /// Secret values: atomic, durable, mode 0600 (Unix).
    Secret,
}

impl Content {
    fn private(self) -> bool {
        self == Content::Secret
    }

    fn durable(self) -> bool {
        self != Content::Rendered
    }
}

/// Write `bytes` to `path` atomically, as `content` requires.
pub fn write_atomic(path: &Path, bytes: &[u8], content: Content) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if content.private() { 0o600 } else { 0o644 });
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        #[cfg(unix)]
        if content.private() {
            // An existing temp file keeps its old mode: enforce it.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        if content.durable() {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write only when the content differs (keeps mtimes stable); true when written.
pub fn write_if_changed(path: &Path, bytes: &[u8], content: Content) -> std::io::Result<bool> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        #[cfg(unix)]
        if content.private() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        return Ok(false);
    }
    write_atomic(path, bytes, content)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_0600_and_replace_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/secret.env");
        write_atomic(&p, b"one", Content::Secret).unwrap();
        write_atomic(&p, b"two", Content::Secret).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // No temp file left behind.
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn write_if_changed_reports_changes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        for content in [Content::Rendered, Content::State] {
            assert!(write_if_changed(&p, b"x", content).unwrap());
            assert!(!write_if_changed(&p, b"x", content).unwrap());
            assert!(write_if_changed(&p, b"y", content).unwrap());
            std::fs::remove_file(&p).unwrap();
        }
    }
}
