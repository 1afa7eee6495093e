//! Project files (`files:`) in Kubernetes: one ConfigMap per workload or store
//! (`<owner>-files`) with every file it mounts (text as `data`, anything else as `binaryData`),
//! and per mount a configMap volume mounted read-only at the same path: a single file through
//! `subPath`, a folder as a directory with its files at their relative paths. The content comes
//! from the caller (`attach_files`), so rendering stays pure; a path that is also `writable`
//! is an emptyDir instead.

use super::object::{Kind, Meta, Obj};
use super::parts::fnv64;
use crate::tree::{node, Node};
use base64::Engine;
use berth_spec::model::FileMount;

/// The ConfigMap of an owner's project files.
pub fn config_name(owner: &str) -> String {
    format!("{owner}-files")
}

/// The ConfigMap key of file `path` inside the mount of project path `source`: both, with every
/// character a key may not hold (`/` included) as `_`, at most 253 characters.
pub fn key(source: &str, path: &str) -> String {
    let full = match path {
        "" => source.to_string(),
        p => format!("{source}/{p}"),
    };
    let mut k: String = full
        .trim_start_matches("./")
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '.' | '_' => c,
            _ => '_',
        })
        .collect();
    if k.len() > 253 {
        k = k.split_off(k.len() - 253);
    }
    k
}

/// The mounts realized as ConfigMap volumes: those with content, whose path is not writable.
fn mounted<'a>(
    files: &'a [FileMount],
    writable: &'a [String],
) -> impl Iterator<Item = &'a FileMount> + Clone {
    files
        .iter()
        .filter(move |f| !f.content.is_empty() && !writable.contains(&f.path))
}

/// The owner's files ConfigMap, when it mounts any.
pub fn config_map<'a>(
    owner: &'a str,
    files: &'a [FileMount],
    writable: &'a [String],
    lab: Node<'a>,
) -> Option<Obj<'a>> {
    let mut data = Node::map();
    let mut binary = Node::map();
    let mut seen = std::collections::HashSet::new();
    for f in mounted(files, writable).flat_map(|f| &f.content) {
        if !seen.insert(f.key.as_str()) {
            continue;
        }
        match std::str::from_utf8(&f.bytes) {
            Ok(text) => data.insert(f.key.as_str(), text),
            Err(_) => binary.insert(
                f.key.as_str(),
                base64::engine::general_purpose::STANDARD.encode(&f.bytes),
            ),
        }
    }
    if seen.is_empty() {
        return None;
    }
    let meta = Meta::new(config_name(owner), lab);
    Some(match (data.is_empty_map(), binary.is_empty_map()) {
        (false, true) => Obj::new(owner, Kind::ConfigMap, meta, [("data", data)]),
        (true, false) => Obj::new(owner, Kind::ConfigMap, meta, [("binaryData", binary)]),
        _ => Obj::new(
            owner,
            Kind::ConfigMap,
            meta,
            [("data", data), ("binaryData", binary)],
        ),
    })
}

/// The pod annotation that changes with the files' content (so pods restart when it does).
pub fn content_hash(files: &[FileMount], writable: &[String]) -> Option<String> {
    let mut all = Vec::new();
    for f in mounted(files, writable).flat_map(|f| &f.content) {
        all.extend_from_slice(f.key.as_bytes());
        all.push(0);
        all.extend_from_slice(&f.bytes);
        all.push(0);
    }
    (!all.is_empty()).then(|| fnv64(&all))
}

/// The owner's file volumes and their read-only mounts, added to `mounts` and `volumes`.
pub fn add<'a>(
    owner: &'a str,
    files: &'a [FileMount],
    writable: &'a [String],
    mounts: &mut Vec<Node<'a>>,
    volumes: &mut Vec<Node<'a>>,
) {
    for (i, f) in mounted(files, writable).enumerate() {
        let name = format!("files-{i}");
        let single = f.content.len() == 1 && f.content[0].path.is_empty();
        let items: Node = f
            .content
            .iter()
            .map(|c| {
                let path = if single {
                    c.key.as_str()
                } else {
                    c.path.as_str()
                };
                node!({ "key": c.key.as_str(), "path": path })
            })
            .collect();
        let mut m = node!({ "name": name.clone(), "mountPath": f.path.as_str(), "readOnly": true });
        if single {
            m.insert("subPath", f.content[0].key.as_str());
        }
        mounts.push(m);
        volumes.push(node!({
            "name": name,
            "configMap": { "name": config_name(owner), "items": items, "defaultMode": 0o444 },
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_valid_and_distinct() {
        assert_eq!(key("nginx.conf", ""), "nginx.conf");
        assert_eq!(key("./prometheus", "rules/a.yml"), "prometheus_rules_a.yml");
        assert_eq!(key("db/init", "01 schema.sql"), "db_init_01_schema.sql");
        assert!(key(&"x/".repeat(200), "f").len() <= 253);
    }
}
