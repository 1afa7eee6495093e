//! Comparing artifacts with the files on disk and writing them atomically.

use crate::ArtifactSet;
use std::path::Path;

/// How the disk differs from the rendered set (only paths the set owns are compared, plus
/// stale files under the directories Berth owns).
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

/// Write every file: each to a temporary sibling first, then renamed into place, so an
/// interrupted write never leaves a half-written artifact. Returns the paths that changed.
pub fn write(set: &ArtifactSet, dir: &Path) -> std::io::Result<Vec<String>> {
    let mut changed = Vec::new();
    for (path, bytes) in set.iter() {
        let target = dir.join(path);
        if std::fs::read(&target).ok().as_deref() == Some(bytes) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = target.with_file_name(format!(
            ".{}.berth-tmp",
            target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("artifact")
        ));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &target)?;
        changed.push(path.to_string());
    }
    Ok(changed)
}
