//! What a workload mounts from the project: named volumes under their real docker names (so
//! existing data is found, and services that mount one volume share it), `external` volumes by
//! their own names, and project files or folders as read-only `files`.

use super::context::Draft;
use crate::model::{Mount, NormalizedCompose};
use crate::notes::Notes;
use berth_spec::Spanned;
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
    if !src.starts_with("./") {
        notes.warn(
            vp,
            format!(
                "host path {src} → {} dropped: only files and folders of the project are mounted",
                m.target
            ),
        );
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
