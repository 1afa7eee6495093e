//! What a workload mounts from the project: named volumes under their real docker names (so
//! existing data is found, and services that mount one volume share it), `external` volumes by
//! their own names, and project files or folders as read-only `files`.

use super::context::Draft;
use crate::model::{Mount, NormalizedCompose, Service};
use crate::notes::Notes;
use berth_spec::{Spanned, Volume};
use serde_json::Value;

/// The docker volume compose mounts for top-level volume `key`, and whether it is external: its
/// `name`, else the key itself (external) or `<project>_<key>`.
pub fn real_name(c: &NormalizedCompose, key: &str) -> (String, bool) {
    let fields = c.volumes.get(key).map(|v| &v.fields);
    let field = |k: &str| fields.and_then(|f| f.get(k));
    let external = field("external") == Some(&Value::Bool(true));
    let name = match field("name").and_then(Value::as_str) {
        Some(n) => n.to_string(),
        None if external => key.to_string(),
        None => format!("{}_{key}", c.name),
    };
    (name, external)
}

/// A bind mount of a project file or folder (`./nginx.conf`) becomes `files`, read-only unless
/// compose mounted it writable (then its path is also `writable`); a host path outside the
/// project is dropped.
pub fn project_file(d: &mut Draft, m: &Mount, src: &str, vp: &str, notes: &mut Notes) {
    if !in_project(m, src, vp, notes) {
        return;
    }
    if !m.read_only {
        // The service writes there: it stays writable (read-write in compose).
        d.svc.writable.push(Spanned::synthetic(m.target.clone()));
    }
    d.svc.files.insert(
        Spanned::synthetic(m.target.clone()),
        Spanned::synthetic(src.to_string()),
    );
}

/// Whether bind mount source `src` is in the project; a host path is dropped, warned.
pub fn in_project(m: &Mount, src: &str, vp: &str, notes: &mut Notes) -> bool {
    let inside = src.starts_with("./");
    if !inside {
        notes.warn(
            vp,
            format!(
                "host path {src} → {} dropped: only files and folders of the project are mounted",
                m.target
            ),
        );
    }
    inside
}

/// Named volume `src` mounted at `m.target`: its key and the volume under its real name.
pub fn named(c: &NormalizedCompose, m: &Mount, src: &str) -> (String, Volume) {
    let (name, external) = real_name(c, src);
    let volume = Volume {
        path: Spanned::synthetic(m.target.clone()),
        size: (!external).then(|| Spanned::synthetic(berth_spec::Memory::gibibytes(1))),
        name: Some(Spanned::synthetic(name)),
        external: external.then_some(Spanned::synthetic(true)),
        ..Volume::default()
    };
    (super::names::rfc1123(src), volume)
}

/// The compose `configs` of service `s` that are project files (`file:`): container path (its
/// `target`, else `/<name>`, as compose mounts it) → project path. A config of another kind
/// (`content`, `environment`, `external`) is dropped, warned.
pub fn config_files(
    c: &NormalizedCompose,
    p: &str,
    s: &Service,
    notes: &mut Notes,
) -> Vec<(String, String)> {
    let list = s.extra.get("configs").and_then(Value::as_array);
    let mut out = Vec::new();
    for (i, r) in list.into_iter().flatten().enumerate() {
        let Some(source) = r.get("source").and_then(Value::as_str) else {
            continue;
        };
        let target = match r.get("target").and_then(Value::as_str) {
            Some(t) if t.starts_with('/') => t.to_string(),
            Some(t) => format!("/{t}"),
            None => format!("/{source}"),
        };
        let file = c.configs.get(source).and_then(|d| d.fields.get("file"));
        match file.and_then(Value::as_str) {
            Some(f) if f.starts_with("./") => {
                notes.infer(
                    format!("{p}.configs[{i}]"),
                    format!("config {source} ({f}) → files: {target}, read-only"),
                );
                out.push((target, f.to_string()));
            }
            _ => notes.warn(
                format!("{p}.configs[{i}]"),
                format!("config {source} → {target} dropped: only configs read from a project file are kept (as `files`)"),
            ),
        }
    }
    out
}
