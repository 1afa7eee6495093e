//! Lexical path arithmetic: normalizing `.`/`..` and writing one path relative to another.

use std::path::{Component, Path, PathBuf};

/// `path` relative to `base` (both absolute and normalized), in `./x` or `../x` form.
pub(crate) fn relative_to(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    match parts.first().map(String::as_str) {
        None => ".".into(),
        Some("..") => parts.join("/"),
        Some(_) => format!("./{}", parts.join("/")),
    }
}

/// Lexically removes `.` and `..` components.
pub(crate) fn normalize_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let r = |a: &str, b: &str| relative_to(Path::new(a), Path::new(b));
        assert_eq!(r("/p/app", "/p"), "./app");
        assert_eq!(r("/p", "/p"), ".");
        assert_eq!(r("/p/app", "/p/deploy"), "../app");
        assert_eq!(r("/p", "/p/deploy/x"), "../..");
    }

    #[test]
    fn normalizing_drops_dots() {
        assert_eq!(
            normalize_path(Path::new("/p/./a/../b")),
            PathBuf::from("/p/b")
        );
    }
}
