//! The tag of the images Berth builds for a Kubernetes environment, computed when the plan is
//! made (so the plan shows the exact tag): the git commit (`git rev-parse --short=12 HEAD`),
//! plus `-dirty-<hash>` when the tree has changes, `<hash>` being the first 12 hex digits of the
//! SHA-256 of `git status --porcelain` and `git diff HEAD` (the same changes give the same
//! tag). Outside a git repository: the environment's tag from the spec.

use crate::process::{Cmd, Runner};
use berth_spec::Model;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The tag for images built from the project at `root`; `fallback` outside git.
pub fn compute(runner: &dyn Runner, root: &Path, fallback: &str) -> String {
    let git = |args: &[&str]| -> Option<String> {
        let out = runner
            .output(&Cmd::new("git").args(args.iter().copied()).cwd(root))
            .ok()?;
        out.success().then_some(out.stdout)
    };
    let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return fallback.to_string();
    };
    let commit = commit.trim();
    let status = git(&["status", "--porcelain"]).unwrap_or_default();
    if status.trim().is_empty() {
        return commit.to_string();
    }
    let diff = git(&["diff", "HEAD"]).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(status.as_bytes());
    h.update(diff.as_bytes());
    let hex: String = h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{commit}-dirty-{hex}")
}

/// The model with every built workload's image tagged `tag` (and the model's tag set).
pub fn apply(model: &Model, tag: &str) -> Model {
    let mut m = model.clone();
    m.tag = tag.to_string();
    for w in m.workloads.iter_mut().filter(|w| w.build.is_some()) {
        w.image.tag = Some(tag.to_string());
        w.image.digest = None;
    }
    m
}
