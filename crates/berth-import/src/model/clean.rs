//! Smooths representation details that differ between the readers without changing meaning:
//! absolute paths become project-relative, numbers-as-strings are unified, compose's defaults and
//! empty maps vanish.

use super::units::{parse_bytes, parse_cpus};
use serde_json::{json, Map, Value};

/// Cleans a canonical project in place; `dir` is the project directory.
pub(super) fn clean(v: &mut Value, dir: &str) {
    let Some(root) = v.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(services)) = root.get_mut("services") {
        for s in services.values_mut().filter_map(Value::as_object_mut) {
            clean_service(s, dir);
        }
    }
    for key in ["volumes", "networks", "secrets", "configs"] {
        if let Some(Value::Object(m)) = root.get_mut(key) {
            for (key_name, t) in m.iter_mut() {
                clean_top_level(key_name, t, dir);
            }
        }
    }
}

/// A top-level volume, network, secret or config.
fn clean_top_level(key_name: &str, t: &mut Value, dir: &str) {
    if t.as_object().is_some_and(|o| {
        o.get("external") == Some(&Value::Bool(true))
            && o.get("name").and_then(Value::as_str) == Some(key_name)
    }) {
        if let Some(o) = t.as_object_mut() {
            o.remove("name");
        }
    }
    if t.is_null() {
        *t = Value::Object(Map::new());
    }
    if let Some(t) = t.as_object_mut() {
        // `external: false` is compose's default; docker leaves it out.
        if t.get("external") == Some(&Value::Bool(false)) {
            t.remove("external");
        }
        if let Some(Value::String(f)) = t.get_mut("file") {
            *f = relativize(f, dir);
        }
        drop_empty(t);
    }
}

fn clean_service(s: &mut Map<String, Value>, dir: &str) {
    for k in ["entrypoint", "command"] {
        if s.get(k).is_some_and(Value::is_null) {
            s.remove(k);
        }
    }
    if let Some(Value::Object(b)) = s.get_mut("build") {
        if let Some(Value::String(c)) = b.get_mut("context") {
            *c = relativize(c, dir);
        }
        drop_empty(b);
    }
    if let Some(Value::Array(vols)) = s.get_mut("volumes") {
        for m in vols.iter_mut().filter_map(Value::as_object_mut) {
            clean_mount(m, dir);
        }
    }
    // A file mode: docker prints octal text (`"0440"`), YAML may give the number.
    for key in ["configs", "secrets"] {
        if let Some(Value::Array(refs)) = s.get_mut(key) {
            for r in refs.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(m) = r.get("mode").and_then(Value::as_u64) {
                    r.insert("mode".into(), json!(format!("{m:04o}")));
                }
            }
        }
    }
    if let Some(Value::Array(ports)) = s.get_mut("ports") {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            clean_port(p);
        }
    }
    stringify_scalars(s);
    clean_deploy(s);
    if let Some(Value::Object(h)) = s.get_mut("healthcheck") {
        if let Some(Value::String(t)) = h.get("test").cloned() {
            h.insert("test".into(), json!(["CMD-SHELL".to_string(), t]));
        }
    }
    clean_develop(s, dir);
    if let Some(Value::Object(n)) = s.get_mut("networks") {
        for v in n.values_mut() {
            if v.as_object().is_some_and(Map::is_empty) {
                *v = Value::Null;
            }
        }
    }
    drop_empty(s);
}

/// Bind sources relative to the project; `create_host_path: true` is compose's default.
fn clean_mount(m: &mut Map<String, Value>, dir: &str) {
    if m.get("type").and_then(Value::as_str) == Some("bind") {
        if let Some(Value::String(src)) = m.get_mut("source") {
            *src = relativize(src, dir);
        }
        // docker leaves the default out.
        if let Some(Value::Object(b)) = m.get_mut("bind") {
            if b.get("create_host_path") == Some(&Value::Bool(true)) {
                b.remove("create_host_path");
            }
        }
    }
    drop_empty(m);
}

/// Published ports as strings; an empty one is none.
fn clean_port(p: &mut Map<String, Value>) {
    if let Some(n) = p.get("published").and_then(Value::as_u64) {
        p.insert("published".into(), Value::String(n.to_string()));
    }
    if p.get("published").and_then(Value::as_str) == Some("") {
        p.remove("published");
    }
}

/// `expose` entries, environment values and build args as strings.
fn stringify_scalars(s: &mut Map<String, Value>) {
    if let Some(Value::Array(ex)) = s.get_mut("expose") {
        for e in ex.iter_mut() {
            if let Some(n) = e.as_u64() {
                *e = Value::String(n.to_string());
            }
        }
    }
    if let Some(Value::Object(env)) = s.get_mut("environment") {
        env.values_mut().for_each(stringify_scalar);
    }
    if let Some(Value::Object(b)) = s.get_mut("build") {
        if let Some(Value::Object(args)) = b.get_mut("args") {
            args.values_mut().for_each(stringify_scalar);
        }
    }
}

/// Resource CPUs as numbers and memory in bytes; an empty `deploy` vanishes.
fn clean_deploy(s: &mut Map<String, Value>) {
    let Some(Value::Object(d)) = s.get_mut("deploy") else {
        return;
    };
    if let Some(Value::Object(r)) = d.get_mut("resources") {
        for set in r.values_mut().filter_map(Value::as_object_mut) {
            if let Some(f) = set.get("cpus").and_then(parse_cpus) {
                set.insert("cpus".into(), json!(f));
            }
            if let Some(b) = set.get("memory").and_then(parse_bytes) {
                set.insert("memory".into(), json!(b));
            }
            drop_empty(set);
        }
        drop_empty(r);
    }
    drop_empty(d);
    if d.is_empty() {
        s.remove("deploy");
    }
}

/// `develop.watch` paths relative to the project; an exec without command is none.
fn clean_develop(s: &mut Map<String, Value>, dir: &str) {
    let Some(Value::Object(dev)) = s.get_mut("develop") else {
        return;
    };
    let Some(Value::Array(watch)) = dev.get_mut("watch") else {
        return;
    };
    for w in watch.iter_mut().filter_map(Value::as_object_mut) {
        if let Some(Value::String(p)) = w.get_mut("path") {
            *p = relativize(p, dir);
        }
        if w.get("exec")
            .and_then(|e| e.get("command"))
            .is_some_and(Value::is_null)
        {
            w.remove("exec");
        }
    }
}

fn stringify_scalar(v: &mut Value) {
    match v {
        Value::Number(n) => *v = Value::String(n.to_string()),
        Value::Bool(b) => *v = Value::String(b.to_string()),
        _ => {}
    }
}

/// Removes keys whose value is an empty object (docker emits `bind: {}`, `ipam: {}`, `placement: {}`).
fn drop_empty(m: &mut Map<String, Value>) {
    m.retain(|_, v| !v.as_object().is_some_and(Map::is_empty));
}

fn relativize(p: &str, dir: &str) -> String {
    if p == dir {
        return ".".into();
    }
    if let Some(rest) = p.strip_prefix(dir).and_then(|r| r.strip_prefix('/')) {
        return format!("./{rest}");
    }
    p.to_string()
}
