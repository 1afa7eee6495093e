//! What a service mounts: named volumes under the same real name (so data is found and sharing
//! survives), project files and folders with the same content, secrets at the same paths.

use super::rendered::{list, text, Rendered};
use crate::model::{NormalizedCompose, Service};
use crate::paths::normalize_path;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The original project and where it lives.
pub(super) struct Side<'a> {
    compose: &'a NormalizedCompose,
    dir: PathBuf,
}

impl<'a> Side<'a> {
    pub(super) fn original(compose: &'a NormalizedCompose, dir: &Path) -> Self {
        Side {
            compose,
            dir: normalize_path(dir),
        }
    }

    /// The compose configs of `s` read from a file: (file, container path).
    fn config_files(&self, s: &Service) -> Vec<(String, String)> {
        let list = s.extra.get("configs").and_then(Value::as_array);
        let entries = list.into_iter().flatten();
        entries
            .filter_map(|r| {
                let source = r.get("source")?.as_str()?;
                let def = self.compose.configs.get(source)?;
                let file = def.fields.get("file")?.as_str()?;
                let target = match r.get("target").and_then(Value::as_str) {
                    Some(t) if t.starts_with('/') => t.to_string(),
                    Some(t) => format!("/{t}"),
                    None => format!("/{source}"),
                };
                Some((file.to_string(), target))
            })
            .collect()
    }

    /// The real name of top-level volume `key`, as compose derives it.
    fn volume_name(&self, key: &str) -> String {
        let fields = self.compose.volumes.get(key).map(|v| &v.fields);
        let field = |k: &str| fields.and_then(|f| f.get(k));
        match field("name").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None if field("external") == Some(&Value::Bool(true)) => key.to_string(),
            None => format!("{}_{key}", self.compose.name),
        }
    }
}

/// `/data/` and `/data` are one container path.
fn clean(target: &str) -> &str {
    match target.trim_end_matches('/') {
        "" => target,
        t => t,
    }
}

/// The rendered mount of `kind` at container path `target`.
fn mount_at<'a>(r: &'a Value, kind: &str, target: &str) -> Option<&'a Value> {
    list(r, "volumes")
        .find(|m| text(m, "type") == Some(kind) && text(m, "target").map(clean) == Some(target))
}

/// Every named volume is mounted at the same path under the same real volume name.
pub(super) fn volumes(
    o: &Side,
    s: &Service,
    rendered: &Rendered,
    r: &Value,
    out: &mut impl FnMut(String),
) {
    for m in s.volumes.iter().filter(|m| m.kind == "volume") {
        let Some(src) = &m.source else { continue };
        let target = clean(&m.target);
        let Some(rm) = mount_at(r, "volume", target) else {
            out(format!("volume {src} at {target} missing"));
            continue;
        };
        let want = o.volume_name(src);
        let got = text(rm, "source").map(|k| rendered.volume_name(k));
        if got.as_deref() != Some(want.as_str()) {
            out(format!(
                "volume {src} at {target}: real name {want} became {got:?}"
            ));
        }
    }
}

/// Every project file or folder bound into the container is there with the same content.
pub(super) fn binds(
    o: &Side,
    s: &Service,
    rendered: &Rendered,
    r: &Value,
    out: &mut impl FnMut(String),
) {
    let bound = s.volumes.iter().filter(|m| m.kind == "bind");
    let bound = bound.filter_map(|m| Some((m.source.clone()?, m.target.clone())));
    for (src, target) in bound.chain(o.config_files(s)) {
        let path = normalize_path(&o.dir.join(&src));
        if !path.starts_with(&o.dir) || !path.exists() {
            continue; // a host path, not part of the project
        }
        let target = clean(&target);
        let found = file_at(rendered, r, target);
        match found {
            None => out(format!("project file {src} at {target} missing")),
            Some(p) if content(&p) != content(&path) => out(format!(
                "project file {src} at {target}: {} has other content",
                p.display()
            )),
            Some(_) => {}
        }
    }
}

/// The project file a rendered service sees at `target`: a bind mount or a compose config.
fn file_at(rendered: &Rendered, r: &Value, target: &str) -> Option<PathBuf> {
    let bound = mount_at(r, "bind", target).and_then(|m| text(m, "source"));
    let config = || {
        list(r, "configs")
            .find(|c| text(c, "target").map(clean) == Some(target))
            .and_then(|c| rendered.config_file(text(c, "source")?))
    };
    bound.or_else(config).map(PathBuf::from)
}

/// Every secret is a file at the same path.
pub(super) fn secrets(s: &Service, r: &Value, out: &mut impl FnMut(String)) {
    let mut paths: Vec<String> = list(r, "secrets")
        .map(|x| secret_path(text(x, "source").unwrap_or(""), text(x, "target")))
        .collect();
    paths.extend(list(r, "volumes").filter_map(|m| text(m, "target").map(String::from)));
    for x in &s.secrets {
        let want = secret_path(&x.source, x.target.as_deref());
        if !paths.contains(&want) {
            out(format!("secret {} is not a file at {want}", x.source));
        }
    }
}

/// Where compose mounts a secret: an absolute target, else under /run/secrets/.
fn secret_path(source: &str, target: Option<&str>) -> String {
    match target {
        Some(t) if t.starts_with('/') => t.to_string(),
        Some(t) => format!("/run/secrets/{t}"),
        None => format!("/run/secrets/{source}"),
    }
}

/// A file's bytes, or a folder's files by relative path; `None` when unreadable.
fn content(p: &Path) -> Option<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    if p.is_file() {
        files.insert(PathBuf::new(), std::fs::read(p).ok()?);
        return Some(files);
    }
    let mut todo = vec![p.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).ok()? {
            let path = e.ok()?.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(p).ok()?.to_path_buf();
                files.insert(rel, std::fs::read(&path).ok()?);
            }
        }
    }
    Some(files)
}
