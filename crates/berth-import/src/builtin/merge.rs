//! Compose's merge rules: later files override earlier ones, lists of ports and the like are
//! unioned, mounts are replaced by target, `extends` puts the service over its parent.

use serde_json::{Map, Value};

/// Merges one file's project into the accumulated project (later files override).
pub(super) fn merge_project(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (k.as_str(), into.get_mut(&k), v) {
            ("services", Some(Value::Object(dst)), Value::Object(src)) => {
                for (name, s) in src {
                    match (dst.get_mut(&name), s) {
                        (Some(Value::Object(d)), Value::Object(s)) => merge_service(d, s),
                        (_, s) => {
                            dst.insert(name, s);
                        }
                    }
                }
            }
            (_, Some(dst @ Value::Object(_)), v @ Value::Object(_)) => deep_merge(dst, v),
            (_, _, v) => {
                into.insert(k, v);
            }
        }
    }
}

fn deep_merge(dst: &mut Value, src: Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => {
                        deep_merge(existing, v)
                    }
                    _ => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (d, s) => *d = s,
    }
}

/// Compose merge rules for one service (both sides already in long syntax).
pub(super) fn merge_service(dst: &mut Map<String, Value>, src: Map<String, Value>) {
    for (k, v) in src {
        match k.as_str() {
            "ports" | "expose" | "links" | "profiles" | "dns" | "cap_add" | "cap_drop" => {
                let mut list = dst
                    .get(&k)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for x in v.as_array().cloned().unwrap_or_default() {
                    if !list.contains(&x) {
                        list.push(x);
                    }
                }
                dst.insert(k, Value::Array(list));
            }
            "volumes" | "secrets" | "configs" => {
                let mut list = dst
                    .get(&k)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for x in v.as_array().cloned().unwrap_or_default() {
                    let t = x.get("target").cloned();
                    match list.iter_mut().find(|e| e.get("target").cloned() == t) {
                        Some(e) => *e = x,
                        None => list.push(x),
                    }
                }
                dst.insert(k, Value::Array(list));
            }
            "command" | "entrypoint" | "image" | "restart" => {
                dst.insert(k, v);
            }
            "healthcheck" => {
                // `test` is replaced whole; other keys merge.
                match dst.get_mut(&k) {
                    Some(d @ Value::Object(_)) => deep_merge(d, v),
                    _ => {
                        dst.insert(k, v);
                    }
                }
            }
            _ => match dst.get_mut(&k) {
                Some(d @ Value::Object(_)) if v.is_object() => deep_merge(d, v),
                _ => {
                    dst.insert(k, v);
                }
            },
        }
    }
}
