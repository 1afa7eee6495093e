//! Semantic comparison of an original compose project with a rendered compose file: same
//! services, images, ports and dependency order, independent of text layout.

use crate::classify::{classify, expose_ports, store_type, Stack};
use crate::model::{NormalizedCompose, Service};
use berth_spec::StoreType;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Compares the original project with rendered compose JSON (either `docker compose config
/// --format json` output or the rendered file parsed as YAML). Returns human-readable
/// differences; empty means equivalent.
///
/// Stores are matched by type (their image and ports are chosen by Berth), services by image or
/// build, container ports and host ports, and every original `depends_on`/`links` edge must
/// still hold, directly or through other dependencies. Services the importer deliberately drops
/// (listed in its header) are not expected.
pub fn compare(original: &NormalizedCompose, rendered_compose_json: &Value) -> Vec<String> {
    let stack = classify(original, None);
    let empty = serde_json::Map::new();
    let rendered = rendered_compose_json
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut diffs = Vec::new();
    for (name, s) in &original.services {
        if stack.dropped.contains_key(name) {
            continue;
        }
        let b = stack.names.of(name);
        match rendered.get(&b) {
            None => diffs.push(format!(
                "service {name}: missing in rendered compose (as {b})"
            )),
            Some(r) => match stack.spec.stores.get(b.as_str()) {
                Some(st) => compare_store(name, st.r#type.value, r, &mut diffs),
                None => compare_service(name, s, r, &mut diffs),
            },
        }
    }
    compare_dependencies(original, &stack, rendered, &mut diffs);
    diffs
}

/// A store is rendered from an image of its type.
fn compare_store(name: &str, kind: StoreType, r: &Value, diffs: &mut Vec<String>) {
    let r_image = r.get("image").and_then(Value::as_str);
    if r_image.and_then(store_type) != Some(kind) {
        diffs.push(format!(
            "store {name}: rendered image {r_image:?} is not a {kind} image"
        ));
    }
}

/// A service keeps its image (or build), its container ports and its host ports.
fn compare_service(name: &str, s: &Service, r: &Value, diffs: &mut Vec<String>) {
    let r_image = r.get("image").and_then(Value::as_str);
    if s.build.is_some() {
        if r.get("build").is_none() {
            diffs.push(format!(
                "service {name}: built from source originally, not in rendered compose"
            ));
        }
    } else if s.image.as_deref() != r_image {
        diffs.push(format!(
            "service {name}: image {:?} became {r_image:?}",
            s.image
        ));
    }
    let r_ports = ports_of(r);
    let r_targets: BTreeSet<u16> = r_ports.iter().map(|(t, _)| *t).collect();
    let mut o_targets: BTreeSet<u16> = s.ports.iter().map(|p| p.target).collect();
    o_targets.extend(s.expose.iter().flat_map(|e| expose_ports(e)));
    for t in &o_targets {
        if !r_targets.contains(t) && !exposed(r, *t) {
            diffs.push(format!("service {name}: container port {t} missing"));
        }
    }
    for p in &s.ports {
        let Some(h) = p.published.as_deref().and_then(|x| x.parse::<u16>().ok()) else {
            continue;
        };
        if !r_ports.contains(&(p.target, Some(h))) {
            diffs.push(format!(
                "service {name}: host port {h} → {} not published",
                p.target
            ));
        }
    }
}

/// Every original `depends_on`/`links` edge between kept services still holds.
fn compare_dependencies(
    original: &NormalizedCompose,
    stack: &Stack,
    rendered: &serde_json::Map<String, Value>,
    diffs: &mut Vec<String>,
) {
    let graph: BTreeMap<String, Vec<String>> = rendered
        .iter()
        .map(|(k, v)| (k.clone(), deps_of(v)))
        .collect();
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

fn exposed(r: &Value, t: u16) -> bool {
    r.get("expose").and_then(Value::as_array).is_some_and(|a| {
        a.iter().any(|e| match e {
            Value::Number(n) => n.as_u64() == Some(t as u64),
            Value::String(s) => s.split('/').next() == Some(&t.to_string()),
            _ => false,
        })
    })
}

fn ports_of(r: &Value) -> Vec<(u16, Option<u16>)> {
    let mut out = Vec::new();
    for p in r
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match p {
            Value::Object(m) => {
                let t = m.get("target").and_then(Value::as_u64).unwrap_or(0) as u16;
                let h = match m.get("published") {
                    Some(Value::String(s)) => s.parse().ok(),
                    Some(Value::Number(n)) => n.as_u64().map(|x| x as u16),
                    _ => None,
                };
                out.push((t, h));
            }
            other => {
                let spec = match other {
                    Value::String(s) => s.clone(),
                    x => x.to_string(),
                };
                for v in crate::builtin::parse_port(&spec).unwrap_or_default() {
                    let t = v.get("target").and_then(Value::as_u64).unwrap_or(0) as u16;
                    let h = v
                        .get("published")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse().ok());
                    out.push((t, h));
                }
            }
        }
    }
    out
}

fn deps_of(r: &Value) -> Vec<String> {
    match r.get("depends_on") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
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
mod tests {
    use super::*;
    use serde_json::json;

    fn original() -> NormalizedCompose {
        let v = json!({
            "name": "shop",
            "services": {
                "api": {
                    "image": "acme/api:1.2.3",
                    "ports": [{"target": 3000, "published": "8080", "protocol": "tcp"}],
                    "depends_on": {"db": {"condition": "service_healthy", "required": true}}
                },
                "web": {
                    "build": {"context": "/p/web"},
                    "depends_on": {"api": {"condition": "service_started", "required": true}}
                },
                "db": {"image": "postgres:16-alpine"}
            }
        });
        NormalizedCompose::from_canonical(v, std::path::Path::new("/p")).unwrap()
    }

    #[test]
    fn equivalent_rendering_passes() {
        let rendered = json!({"services": {
            "api": {"image": "acme/api:1.2.3", "ports": ["8080:3000", "9229"], "depends_on": ["db"]},
            "web": {"build": {"context": "./web"}, "image": "shop/web", "depends_on": {"api": {}}},
            "db": {"image": "postgres:16.4"}
        }});
        assert_eq!(compare(&original(), &rendered), Vec::<String>::new());
    }

    #[test]
    fn differences_are_reported() {
        let rendered = json!({"services": {
            "api": {"image": "acme/api:latest", "ports": [{"target": 3000}]},
            "db": {"image": "mysql:8"}
        }});
        let d = compare(&original(), &rendered);
        assert!(
            d.iter().any(|x| x.contains("service web: missing")),
            "{d:?}"
        );
        assert!(d.iter().any(|x| x.contains("image")), "{d:?}");
        assert!(d.iter().any(|x| x.contains("host port 8080")), "{d:?}");
        assert!(
            d.iter().any(|x| x.contains("not a postgres image")),
            "{d:?}"
        );
        assert!(
            d.iter().any(|x| x.contains("dependency api → db lost")),
            "{d:?}"
        );
    }

    #[test]
    fn transitive_dependencies_count() {
        let rendered = json!({"services": {
            "api": {"image": "acme/api:1.2.3", "ports": ["8080:3000"], "depends_on": ["migrate"]},
            "migrate": {"image": "acme/api:1.2.3", "depends_on": ["db"]},
            "web": {"build": ".", "depends_on": ["api"]},
            "db": {"image": "postgres:16"}
        }});
        assert_eq!(compare(&original(), &rendered), Vec::<String>::new());
    }
}
