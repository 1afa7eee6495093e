//! Semantic comparison of an original compose project with the compose project Berth rendered
//! from its import, as `docker compose config --format json` reads it back: the round-trip
//! tests' oracle. Text layout, names Berth chose and Berth's own additions do not matter; what
//! compose meant does.
//!
//! Per service (matched through the importer's names): it exists; the same image, exactly (tag
//! and variant), or a build; container ports with their protocols, the same host ports and no
//! others (`ports`); the same entrypoint and command and every environment key (services only:
//! a store's process and credentials are Berth's); named volumes under the same real volume
//! name, so data and sharing survive; bind-mounted project files and folders with the same
//! content, and secret files at the same paths (`mounts`); every `depends_on`/`links` edge.

mod mounts;
mod ports;
mod rendered;

use crate::classify::{classify, Stack};
use crate::model::{NormalizedCompose, Service};
use rendered::Rendered;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Compares the original project (read from `project_dir`) with rendered compose JSON as
/// `docker compose config --format json` prints it. Returns human-readable differences; empty
/// means equivalent. Services the importer deliberately drops (listed in its header) are not
/// expected.
pub fn compare(
    original: &NormalizedCompose,
    project_dir: &Path,
    rendered_compose_json: &Value,
) -> Vec<String> {
    let stack = classify(original, None);
    let r = Rendered::new(rendered_compose_json);
    let mut diffs = Vec::new();
    for (name, s) in &original.services {
        if stack.dropped.contains_key(name) {
            continue;
        }
        let b = stack.names.of(name);
        let Some(rs) = r.service(&b) else {
            diffs.push(format!(
                "service {name}: missing in rendered compose (as {b})"
            ));
            continue;
        };
        let is_store = stack.spec.stores.contains_key(b.as_str());
        let mut out = |d: String| diffs.push(format!("service {name}: {d}"));
        image(s, rs, &mut out);
        ports::compare(s, rs, &mut out);
        if !is_store {
            process(s, rs, &mut out);
            mounts::secrets(s, rs, &mut out);
        }
        let o = mounts::Side::original(original, project_dir);
        mounts::volumes(&o, s, &r, rs, &mut out);
        mounts::binds(&o, s, &r, rs, &mut out);
    }
    dependencies(original, &stack, &r, &mut diffs);
    diffs
}

/// The same image, exactly; a built service is still built.
fn image(s: &Service, r: &Value, out: &mut impl FnMut(String)) {
    let r_image = r.get("image").and_then(Value::as_str);
    if s.build.is_some() {
        if r.get("build").is_none() {
            out("built from source originally, not in rendered compose".into());
        }
    } else if s.image.as_deref() != r_image {
        out(format!("image {:?} became {r_image:?}", s.image));
    }
}

/// Entrypoint, command and environment keys. `docker compose config` prints a literal `$` as
/// `$$` (its output reads back as compose text); the original is read as literal text.
fn process(s: &Service, r: &Value, out: &mut impl FnMut(String)) {
    let list = |k: &str| -> Option<Vec<String>> {
        r.get(k).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(berth_spec::template::dollar::from_compose)
                .collect()
        })
    };
    for (key, original) in [("entrypoint", &s.entrypoint), ("command", &s.command)] {
        let got = list(key);
        if original != &got {
            out(format!("{key} {original:?} became {got:?}"));
        }
    }
    let env = r.get("environment").and_then(Value::as_object);
    for k in s.environment.keys() {
        if !env.is_some_and(|e| e.contains_key(k)) {
            out(format!("environment variable {k} missing"));
        }
    }
}

/// Every original `depends_on`/`links` edge between kept services still holds.
fn dependencies(
    original: &NormalizedCompose,
    stack: &Stack,
    r: &Rendered,
    diffs: &mut Vec<String>,
) {
    let graph = r.dependency_graph();
    for (name, s) in &original.services {
        if stack.dropped.contains_key(name) {
            continue;
        }
        let links = s
            .links
            .iter()
            .map(|l| l.split(':').next().unwrap_or(l).to_string());
        for d in s.depends_on.keys().cloned().chain(links) {
            if stack.dropped.contains_key(&d) {
                continue;
            }
            let (a, b) = (stack.names.of(name), stack.names.of(&d));
            if !reaches(&graph, &a, &b) {
                diffs.push(format!(
                    "dependency {name} → {d} lost (rendered {a} does not wait for {b})"
                ));
            }
        }
    }
}

fn reaches(graph: &BTreeMap<String, Vec<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(n) = stack.pop() {
        for d in graph.get(&n).into_iter().flatten() {
            if d == to {
                return true;
            }
            if seen.insert(d.clone()) {
                stack.push(d.clone());
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
