//! Watching the `dev.watch` paths of the host processes: one recursive `notify` watcher, every
//! change filtered through the project's `.gitignore` files (the `ignore` crate) and `.git/`,
//! `.berth/`, then sent to the supervisor as the names of the processes it concerns. Debouncing
//! is the supervisor's (a burst of changes restarts a process once).

use super::Event;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

/// Keeps the watches alive; dropping it stops them.
pub struct Watcher {
    _inner: Option<RecommendedWatcher>,
}

/// A watched path and the processes it restarts.
#[derive(Debug, Clone)]
pub struct Watch {
    pub path: PathBuf,
    pub names: Vec<String>,
}

impl Watcher {
    /// Watch `watches` (absolute paths that exist) under project `root`.
    pub fn start(root: &Path, watches: Vec<Watch>, tx: Sender<Event>) -> notify::Result<Self> {
        if watches.is_empty() {
            return Ok(Watcher { _inner: None });
        }
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let ignore = gitignore(&root, &watches);
        let targets = watches.clone();
        let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(ev) = res else { return };
            if matches!(ev.kind, EventKind::Access(_) | EventKind::Other) {
                return;
            }
            for name in concerned(&targets, &ignore, &ev.paths) {
                let _ = tx.send(Event::Changed { name });
            }
        })?;
        for watch in &watches {
            w.watch(&watch.path, RecursiveMode::Recursive)?;
        }
        Ok(Watcher { _inner: Some(w) })
    }
}

/// The project's `.gitignore` and those at the watched paths, plus Berth's own directories.
fn gitignore(root: &Path, watches: &[Watch]) -> Gitignore {
    let mut b = GitignoreBuilder::new(root);
    let _ = b.add_line(None, ".git/");
    let _ = b.add_line(None, ".berth/");
    let files = std::iter::once(root.join(".gitignore"))
        .chain(watches.iter().map(|w| w.path.join(".gitignore")));
    for file in files.filter(|f| f.is_file()) {
        let _ = b.add(file);
    }
    b.build().unwrap_or_else(|_| Gitignore::empty())
}

/// The processes whose watched paths hold one of `paths` that is not ignored.
fn concerned(watches: &[Watch], ignore: &Gitignore, paths: &[PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in paths {
        let Some(w) = watches.iter().find(|w| p.starts_with(&w.path)) else {
            continue;
        };
        let ignored = p.starts_with(ignore.path())
            && ignore
                .matched_path_or_any_parents(p, p.is_dir())
                .is_ignore();
        if ignored {
            continue;
        }
        for n in &w.names {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_paths_concern_no_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/node_modules")).unwrap();
        std::fs::write(root.join(".gitignore"), "node_modules/\n*.log\n").unwrap();
        let watches = vec![Watch {
            path: root.join("src"),
            names: vec!["api".into()],
        }];
        let ig = gitignore(root, &watches);
        let c = |p: &str| concerned(&watches, &ig, &[root.join(p)]);
        assert_eq!(c("src/main.ts"), ["api"]);
        assert!(c("src/node_modules/x.js").is_empty());
        assert!(c("src/debug.log").is_empty());
        assert!(c("other/file").is_empty());
    }
}
