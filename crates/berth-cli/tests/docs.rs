//! The documentation stands on its own: README.md, docs/, examples/ and the code's comments cite
//! no document outside the repository, and every relative link in the Markdown points at a file
//! that exists.

mod common;

use common::repo_root;
use std::path::{Path, PathBuf};

/// Files under `dir` (recursively) whose name ends with one of `exts`, skipping build output.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if name != "target" && !name.starts_with('.') {
                files(&p, exts, out);
            }
        } else if exts.iter().any(|x| name.ends_with(x)) {
            out.push(p);
        }
    }
}

fn docs_and_sources() -> Vec<PathBuf> {
    let root = repo_root();
    let mut out = vec![root.join("README.md")];
    files(&root.join("docs"), &[".md"], &mut out);
    files(&root.join("examples"), &[".md", ".yaml"], &mut out);
    files(&root.join("crates"), &[".rs", ".md", ".toml"], &mut out);
    files(&root.join("scripts"), &[".sh"], &mut out);
    out
}

#[test]
fn nothing_cites_a_document_outside_the_repo() {
    // Built at run time so this file does not match itself.
    let design = ["DESIGN", " §"].concat();
    let design_md = ["DESIGN", ".md"].concat();
    let mut hits = Vec::new();
    for path in docs_and_sources() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            if line.contains(&design) || line.contains(&design_md) {
                hits.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "say it in the project's own words or link to docs/:\n{}",
        hits.join("\n")
    );
}

/// The targets of `[text](target)` links in Markdown text.
fn link_targets(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn link_targets_are_found_in_markdown() {
    assert_eq!(
        link_targets("see [a](docs/a.md) and [b](b.md#x), not [c]"),
        ["docs/a.md", "b.md#x"]
    );
}

#[test]
fn relative_links_in_the_docs_resolve() {
    let root = repo_root();
    let mut pages = vec![root.join("README.md")];
    files(&root.join("docs"), &[".md"], &mut pages);
    files(&root.join("examples"), &[".md"], &mut pages);
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for target in link_targets(&text) {
            let path = target.split('#').next().unwrap_or_default();
            if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                continue;
            }
            if !page.parent().unwrap().join(path).exists() {
                broken.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(pages.len() >= 9, "{pages:?}");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
