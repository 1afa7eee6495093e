//! One service's short syntax → compose's long syntax (what `docker compose config` prints): each
//! key normalized by its own step, paths made absolute, defaults compose fills in filled in.

use super::dotenv;
use super::interp::Vars;
use super::source::{abs, read};
use super::syntax::{go_duration, kv_map, parse_port, parse_volume, scalar_string, shell_split};
use crate::error::ImportError;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The service being normalized: its name, its file, that file's directory and the variables.
pub(super) struct ServiceAt<'a> {
    pub base: &'a Path,
    pub vars: &'a Vars,
    pub path: &'a Path,
    pub name: &'a str,
}

impl ServiceAt<'_> {
    fn bad(&self, key: &str, why: &str) -> ImportError {
        ImportError::Invalid(format!(
            "{}: services.{}.{key}: {why}",
            self.path.display(),
            self.name
        ))
    }
}

type Service = Map<String, Value>;

/// Normalizes one service's short syntax to compose's long syntax.
pub(super) fn to_long(mut s: Service, at: &ServiceAt) -> Result<Service, ImportError> {
    build(&mut s, at)?;
    command_words(&mut s, at)?;
    environment(&mut s, at)?;
    labels(&mut s, at.vars);
    lists_and_objects(&mut s);
    host_paths(&mut s, at);
    sizes_and_durations(&mut s);
    ports(&mut s, at)?;
    if let Some(Value::Array(ex)) = s.get_mut("expose") {
        for x in ex.iter_mut() {
            *x = Value::String(scalar_string(x));
        }
    }
    depends_on(&mut s, at)?;
    healthcheck(&mut s);
    volumes(&mut s, at)?;
    secrets(&mut s);
    if let Some(Value::Array(list)) = s.get("networks").cloned() {
        let m: Map<String, Value> = list
            .iter()
            .map(|n| (scalar_string(n), Value::Null))
            .collect();
        s.insert("networks".into(), Value::Object(m));
    }
    links(&mut s);
    if let Some(Value::Number(n)) = s.get("restart").cloned() {
        s.insert("restart".into(), Value::String(n.to_string()));
    }
    Ok(s)
}

/// `build: DIR` or a mapping; context absolute, Dockerfile defaulted, args resolved.
fn build(s: &mut Service, at: &ServiceAt) -> Result<(), ImportError> {
    let Some(b) = s.remove("build") else {
        return Ok(());
    };
    let mut b = match b {
        Value::String(c) => Map::from_iter([("context".to_string(), Value::String(c))]),
        Value::Object(m) => m,
        _ => return Err(at.bad("build", "must be a string or mapping")),
    };
    let ctx = b
        .get("context")
        .and_then(Value::as_str)
        .unwrap_or(".")
        .to_string();
    b.insert("context".into(), Value::String(abs(at.base, &ctx)));
    b.entry("dockerfile").or_insert(json!("Dockerfile"));
    if let Some(a) = b.remove("args") {
        // compose drops build args that have no value and no variable to take one from.
        let mut args = kv_map(a, at.vars, true);
        args.retain(|_, v| !v.is_null());
        b.insert("args".into(), Value::Object(args));
    }
    s.insert("build".into(), Value::Object(b));
    Ok(())
}

/// `command`/`entrypoint` strings are split into words like a shell would.
fn command_words(s: &mut Service, at: &ServiceAt) -> Result<(), ImportError> {
    for key in ["command", "entrypoint"] {
        if let Some(Value::String(c)) = s.get(key) {
            let words = shell_split(c).map_err(|e| at.bad(key, &e))?;
            s.insert(key.into(), json!(words));
        } else if let Some(Value::Array(a)) = s.get_mut(key) {
            for x in a.iter_mut() {
                *x = Value::String(scalar_string(x));
            }
        }
    }
    Ok(())
}

/// `env_file` entries, then `environment` over them.
fn environment(s: &mut Service, at: &ServiceAt) -> Result<(), ImportError> {
    let mut env = Map::new();
    if let Some(ef) = s.remove("env_file") {
        let list = match ef {
            Value::Array(a) => a,
            other => vec![other],
        };
        for item in list {
            env_file(item, &mut env, at)?;
        }
    }
    if let Some(e) = s.remove("environment") {
        env.extend(kv_map(e, at.vars, true));
    }
    if !env.is_empty() {
        s.insert("environment".into(), Value::Object(env));
    }
    Ok(())
}

/// One `env_file` entry (a path, or `{ path, required }`) read into `env`.
fn env_file(item: Value, env: &mut Map<String, Value>, at: &ServiceAt) -> Result<(), ImportError> {
    let (file, required) = match item {
        Value::String(f) => (f, true),
        Value::Object(o) => (
            o.get("path")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            o.get("required").and_then(Value::as_bool).unwrap_or(true),
        ),
        _ => return Err(at.bad("env_file", "invalid entry")),
    };
    let fpath = PathBuf::from(abs(at.base, &file));
    if !fpath.is_file() {
        if !required {
            return Ok(());
        }
        return Err(ImportError::Io {
            path: fpath,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "env file not found"),
        });
    }
    let text = read(&fpath)?;
    let parsed = dotenv::parse(&text, at.vars).map_err(|message| ImportError::Interpolation {
        path: fpath.clone(),
        message,
    })?;
    for (k, v) in parsed {
        env.insert(k, Value::String(v));
    }
    Ok(())
}

/// `labels`, `annotations` (empty string for no value) and `sysctls` as mappings.
fn labels(s: &mut Service, vars: &Vars) {
    for key in ["labels", "annotations"] {
        if let Some(l) = s.remove(key) {
            let mut m = kv_map(l, vars, false);
            for v in m.values_mut().filter(|v| v.is_null()) {
                *v = json!("");
            }
            s.insert(key.into(), Value::Object(m));
        }
    }
    if let Some(a) = s.remove("sysctls") {
        s.insert("sysctls".into(), Value::Object(kv_map(a, vars, false)));
    }
}

/// Single values of list keys become lists; `configs`, `devices` and `extra_hosts` entries take
/// their long form.
fn lists_and_objects(s: &mut Service) {
    for key in ["dns", "dns_search", "tmpfs", "dns_opt"] {
        if let Some(Value::String(x)) = s.get(key).cloned() {
            s.insert(key.into(), json!([x]));
        }
    }
    if let Some(Value::Array(list)) = s.get_mut("configs") {
        for c in list.iter_mut() {
            if let Value::String(src) = c {
                *c = json!({ "source": src.clone() });
            }
        }
    }
    if let Some(Value::Array(list)) = s.get_mut("devices") {
        for d in list.iter_mut() {
            if let Value::String(spec) = d {
                *d = device(spec);
            }
        }
    }
    if let Some(Value::Array(hosts)) = s.get_mut("extra_hosts") {
        for h in hosts.iter_mut() {
            let t = scalar_string(h);
            if !t.contains('=') {
                if let Some((a, b)) = t.split_once(':') {
                    *h = json!(format!("{a}={b}"));
                }
            }
        }
    }
}

/// `SRC[:DST[:PERMISSIONS]]` of a device.
fn device(spec: &str) -> Value {
    let parts: Vec<&str> = spec.split(':').collect();
    let (src, dst, perm) = match parts.as_slice() {
        [a] => (*a, *a, "rwm"),
        [a, b] => (*a, *b, "rwm"),
        [a, b, c, ..] => (*a, *b, *c),
        [] => ("", "", "rwm"),
    };
    json!({ "source": src, "target": dst, "permissions": perm })
}

/// `develop.watch` paths are absolute.
fn host_paths(s: &mut Service, at: &ServiceAt) {
    let Some(Value::Object(dev)) = s.get_mut("develop") else {
        return;
    };
    if let Some(Value::Array(watch)) = dev.get_mut("watch") {
        for w in watch.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::String(p)) = w.get("path").cloned() {
                w.insert("path".into(), json!(abs(at.base, &p)));
            }
        }
    }
}

/// Byte sizes in bytes and durations as Go prints them.
fn sizes_and_durations(s: &mut Service) {
    for key in ["mem_limit", "mem_reservation", "memswap_limit", "shm_size"] {
        if let Some(v) = s.get(key).cloned() {
            if let Some(b) = crate::model::parse_bytes(&v) {
                s.insert(key.into(), json!(b.to_string()));
            }
        }
    }
    if let Some(Value::String(d)) = s.get("stop_grace_period").cloned() {
        if let Some(g) = go_duration(&d) {
            s.insert("stop_grace_period".into(), json!(g));
        }
    }
}

/// Port strings expanded to one long entry per port; long entries get compose's defaults.
fn ports(s: &mut Service, at: &ServiceAt) -> Result<(), ImportError> {
    let Some(p) = s.remove("ports") else {
        return Ok(());
    };
    let Value::Array(list) = p else {
        return Err(at.bad("ports", "must be a list"));
    };
    let mut out = Vec::new();
    for item in list {
        match item {
            Value::Object(mut m) => {
                if let Some(pb) = m.get("published").cloned() {
                    m.insert("published".into(), Value::String(scalar_string(&pb)));
                }
                m.entry("protocol").or_insert(json!("tcp"));
                m.entry("mode").or_insert(json!("ingress"));
                out.push(Value::Object(m));
            }
            other => {
                out.extend(parse_port(&scalar_string(&other)).map_err(|e| at.bad("ports", &e))?)
            }
        }
    }
    s.insert("ports".into(), Value::Array(out));
    Ok(())
}

/// A list of names or a mapping → a mapping with condition and required filled in.
fn depends_on(s: &mut Service, at: &ServiceAt) -> Result<(), ImportError> {
    let Some(d) = s.remove("depends_on") else {
        return Ok(());
    };
    let mut out = Map::new();
    match d {
        Value::Array(a) => {
            for x in a {
                out.insert(
                    scalar_string(&x),
                    json!({"condition": "service_started", "required": true}),
                );
            }
        }
        Value::Object(m) => {
            for (k, v) in m {
                let mut e = v.as_object().cloned().unwrap_or_default();
                e.entry("condition").or_insert(json!("service_started"));
                e.entry("required").or_insert(json!(true));
                out.insert(k, Value::Object(e));
            }
        }
        _ => return Err(at.bad("depends_on", "must be a list or mapping")),
    }
    s.insert("depends_on".into(), Value::Object(out));
    Ok(())
}

/// A string test runs in a shell; durations as Go prints them.
fn healthcheck(s: &mut Service) {
    let Some(Value::Object(h)) = s.get_mut("healthcheck") else {
        return;
    };
    if let Some(Value::String(t)) = h.get("test").cloned() {
        h.insert("test".into(), json!(["CMD-SHELL", t]));
    }
    for key in ["interval", "timeout", "start_period", "start_interval"] {
        if let Some(Value::String(d)) = h.get(key).cloned() {
            if let Some(g) = go_duration(&d) {
                h.insert(key.into(), json!(g));
            }
        }
    }
}

/// Volume strings in long form, bind sources absolute, tmpfs sizes as strings.
fn volumes(s: &mut Service, at: &ServiceAt) -> Result<(), ImportError> {
    let Some(v) = s.remove("volumes") else {
        return Ok(());
    };
    let Value::Array(list) = v else {
        return Err(at.bad("volumes", "must be a list"));
    };
    let mut out = Vec::new();
    for item in list {
        let mut m = match item {
            Value::Object(m) => m,
            other => parse_volume(&scalar_string(&other)),
        };
        if m.get("type").and_then(Value::as_str) == Some("bind") {
            if let Some(Value::String(src)) = m.get("source").cloned() {
                m.insert("source".into(), Value::String(abs(at.base, &src)));
            }
        }
        if let Some(Value::Object(t)) = m.get_mut("tmpfs") {
            if let Some(Value::Number(n)) = t.get("size").cloned() {
                t.insert("size".into(), json!(n.to_string()));
            }
        }
        out.push(Value::Object(m));
    }
    s.insert("volumes".into(), Value::Array(out));
    Ok(())
}

/// Secret names in long form, targets under `/run/secrets/` by default.
fn secrets(s: &mut Service) {
    let Some(Value::Array(list)) = s.remove("secrets") else {
        return;
    };
    let out: Vec<Value> = list
        .into_iter()
        .map(|x| {
            let mut m = match x {
                Value::Object(m) => m,
                other => {
                    Map::from_iter([("source".to_string(), Value::String(scalar_string(&other)))])
                }
            };
            let src = m
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            m.entry("target")
                .or_insert_with(|| Value::String(format!("/run/secrets/{src}")));
            Value::Object(m)
        })
        .collect();
    s.insert("secrets".into(), Value::Array(out));
}

/// Legacy links imply a dependency that restarts with its target, as compose records it.
fn links(s: &mut Service) {
    let Some(Value::Array(links)) = s.get("links").cloned() else {
        return;
    };
    let deps = s
        .entry("depends_on")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(deps) = deps.as_object_mut() {
        for l in links.iter().map(scalar_string) {
            let target = l.split(':').next().unwrap_or(&l).to_string();
            deps.entry(target).or_insert(
                json!({"condition": "service_started", "required": true, "restart": true}),
            );
        }
    }
}
