//! Helpers for the import corpus in `tests/import-corpus`, shared by this crate's tests and the
//! workspace's end-to-end tests (import → validate → render → compare).

use crate::options::{ImportOptions, Reader};
use std::path::{Path, PathBuf};

/// The corpus directory of the workspace.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/import-corpus")
}

/// Every project directory of the corpus, sorted.
pub fn projects() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_dir());
    v.sort();
    v
}

/// Options for one corpus project: its `import.args` (one `-f FILE`, `--profile P`,
/// `--kubernetes K` or `-p NAME` per line) and a hermetic, empty environment.
pub fn options(dir: &Path, reader: Reader) -> Result<ImportOptions, String> {
    let mut o = ImportOptions {
        project_dir: Some(dir.to_path_buf()),
        reader,
        environment: Some(Default::default()),
        ..Default::default()
    };
    let args = std::fs::read_to_string(dir.join("import.args")).unwrap_or_default();
    for line in args.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (flag, val) = line
            .split_once(' ')
            .ok_or_else(|| format!("{}: `{line}` has no value", dir.display()))?;
        match flag {
            "-f" => o.files.push(dir.join(val)),
            "--profile" => o.profiles.push(val.to_string()),
            "--kubernetes" => o.kubernetes = Some(val.parse()?),
            "-p" => o.project_name = Some(val.to_string()),
            other => return Err(format!("{}: unknown flag {other}", dir.display())),
        }
    }
    Ok(o)
}
