//! The built-in compose reader, used when the docker compose plugin is missing.
//!
//! It produces the same JSON shape as `docker compose config --format json` for the keys Berth
//! understands: interpolation with `.env`, `extends`, `include`, multi-file merge, profiles and
//! short-to-long syntax normalization.

pub mod dotenv;
pub mod interp;

use crate::error::ImportError;
use crate::options::{ImportOptions, Inputs};
use crate::paths::normalize_path;
use interp::{interpolate, Vars};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// Loads, merges and normalizes the project into docker-compose-config-shaped JSON.
pub fn config(inputs: &Inputs, opts: &ImportOptions) -> Result<Value, ImportError> {
    let process: Vars = match &opts.environment {
        Some(env) => env.clone(),
        None => std::env::vars().collect(),
    };
    let vars = project_vars(&inputs.project_dir, &process)?;
    let mut merged = Map::new();
    for f in &inputs.files {
        let doc = load_file(f, &vars, &mut Vec::new())?;
        merge_project(&mut merged, doc);
    }
    let name = opts
        .project_name
        .clone()
        .or_else(|| vars.get("COMPOSE_PROJECT_NAME").cloned())
        .or_else(|| merged.get("name").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| {
            normalize_project_name(
                &inputs
                    .project_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default(),
            )
        });
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        return Err(ImportError::Invalid(format!(
            "invalid project name {name:?}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
        )));
    }
    merged.insert("name".into(), Value::String(name));
    let profiles: Vec<String> = if opts.profiles.is_empty() {
        vars.get("COMPOSE_PROFILES")
            .map(|p| {
                p.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        opts.profiles.clone()
    };
    apply_profiles(&mut merged, &profiles)?;
    let mut out = Value::Object(merged);
    // Like `docker compose config`, literal dollars are written back escaped.
    escape_dollars(&mut out);
    Ok(out)
}

fn escape_dollars(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        Value::Array(a) => a.iter_mut().for_each(escape_dollars),
        Value::Object(m) => m.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

/// Compose's project-name rule: lowercase, only `[a-z0-9_-]`.
pub fn normalize_project_name(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// `.env` of the project directory, overridden by the process environment.
fn project_vars(dir: &Path, process: &Vars) -> Result<Vars, ImportError> {
    let mut vars = Vars::new();
    let env_path = dir.join(".env");
    if env_path.is_file() {
        let text = read(&env_path)?;
        let parsed =
            dotenv::parse(&text, process).map_err(|message| ImportError::Interpolation {
                path: env_path.clone(),
                message,
            })?;
        vars.extend(parsed);
    }
    vars.extend(process.clone());
    Ok(vars)
}

fn read(path: &Path) -> Result<String, ImportError> {
    std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_yaml(path: &Path) -> Result<Value, ImportError> {
    let text = read(path)?;
    let v: Value = serde_saphyr::from_str_with_options(
        &text,
        // compose reads YAML 1.2: `yes`, `no`, `on`, `off` are strings, not booleans.
        serde_saphyr::options! { strict_booleans: true, legacy_octal_numbers: true },
    )
    .map_err(|e| ImportError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    match v {
        Value::Object(_) => Ok(v),
        Value::Null => Ok(Value::Object(Map::new())),
        _ => Err(ImportError::Yaml {
            path: path.to_path_buf(),
            message: "top level must be a mapping".into(),
        }),
    }
}

/// Interpolates every string scalar (not keys), as compose does.
fn interpolate_value(v: &mut Value, vars: &Vars, path: &Path, at: &str) -> Result<(), ImportError> {
    match v {
        Value::String(s) => {
            *s = interpolate(s, vars).map_err(|message| ImportError::Interpolation {
                path: path.to_path_buf(),
                message: format!("{at}: {message}"),
            })?;
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                interpolate_value(x, vars, path, &format!("{at}[{i}]"))?;
            }
        }
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let p = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                interpolate_value(x, vars, path, &p)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Loads one compose file: interpolation, `include`, `extends`, long syntax, absolute paths.
fn load_file(
    path: &Path,
    vars: &Vars,
    stack: &mut Vec<PathBuf>,
) -> Result<Map<String, Value>, ImportError> {
    if stack.contains(&path.to_path_buf()) {
        return Err(ImportError::Invalid(format!(
            "include/extends cycle through {}",
            path.display()
        )));
    }
    stack.push(path.to_path_buf());
    let mut doc = parse_yaml(path)?;
    interpolate_value(&mut doc, vars, path, "")?;
    let Value::Object(mut doc) = doc else {
        unreachable!("parse_yaml returns a mapping")
    };
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    // `version` is obsolete; compose ignores it.
    doc.remove("version");
    let includes = doc.remove("include");
    let raw_services = match doc.remove("services") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => Map::new(),
        Some(_) => {
            return Err(ImportError::Invalid(format!(
                "{}: services must be a mapping",
                path.display()
            )))
        }
    };
    let mut services = Map::new();
    for name in raw_services.keys() {
        let s = resolve_service(name, &raw_services, path, &base, vars, &mut Vec::new())?;
        services.insert(name.clone(), Value::Object(s));
    }
    doc.insert("services".into(), Value::Object(services));
    for key in ["secrets", "configs"] {
        if let Some(Value::Object(m)) = doc.get_mut(key) {
            for (_, t) in m.iter_mut() {
                if let Some(Value::String(f)) = t.get_mut("file") {
                    *f = abs(&base, f);
                }
            }
        }
    }
    if let Some(inc) = includes {
        let mut result = Map::new();
        let list = match inc {
            Value::Array(a) => a,
            other => vec![other],
        };
        for item in list {
            let (paths, project_dir) = match item {
                Value::String(s) => (vec![s], None),
                Value::Object(o) => {
                    let paths = match o.get("path") {
                        Some(Value::String(s)) => vec![s.clone()],
                        Some(Value::Array(a)) => a
                            .iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect(),
                        _ => {
                            return Err(ImportError::Invalid(format!(
                                "{}: include entry without path",
                                path.display()
                            )))
                        }
                    };
                    let pd = o
                        .get("project_directory")
                        .and_then(Value::as_str)
                        .map(String::from);
                    (paths, pd)
                }
                _ => {
                    return Err(ImportError::Invalid(format!(
                        "{}: invalid include entry",
                        path.display()
                    )))
                }
            };
            let first = PathBuf::from(abs(&base, &paths[0]));
            let inc_dir = project_dir
                .map(|d| PathBuf::from(abs(&base, &d)))
                .unwrap_or_else(|| first.parent().unwrap_or(&base).to_path_buf());
            // The included project sees its own .env, with the including project's variables first.
            let mut inc_vars = project_vars(&inc_dir, &Vars::new())?;
            inc_vars.extend(vars.clone());
            let mut sub = Map::new();
            for p in &paths {
                let f = PathBuf::from(abs(&base, p));
                let d = load_file(&f, &inc_vars, stack)?;
                merge_project(&mut sub, d);
            }
            include_into(&mut result, sub, path)?;
        }
        // The including file's own resources come on top; a service defined in both is an error.
        include_into(&mut result, doc, path)?;
        stack.pop();
        return Ok(result);
    }
    stack.pop();
    Ok(doc)
}

fn include_into(
    into: &mut Map<String, Value>,
    from: Map<String, Value>,
    path: &Path,
) -> Result<(), ImportError> {
    for (k, v) in from {
        match (k.as_str(), into.get_mut(&k), v) {
            ("services", Some(Value::Object(dst)), Value::Object(src)) => {
                for (name, s) in src {
                    if dst.contains_key(&name) {
                        return Err(ImportError::Invalid(format!(
                            "{}: service {name:?} is defined both by include and locally",
                            path.display()
                        )));
                    }
                    dst.insert(name, s);
                }
            }
            (_, Some(Value::Object(dst)), Value::Object(src)) => {
                for (name, x) in src {
                    dst.insert(name, x);
                }
            }
            (_, _, v) => {
                into.insert(k, v);
            }
        }
    }
    Ok(())
}

/// Resolves `extends` (same file or another file) and normalizes to long syntax.
fn resolve_service(
    name: &str,
    services: &Map<String, Value>,
    path: &Path,
    base: &Path,
    vars: &Vars,
    chain: &mut Vec<String>,
) -> Result<Map<String, Value>, ImportError> {
    let key = format!("{}#{name}", path.display());
    if chain.contains(&key) {
        return Err(ImportError::Invalid(format!(
            "extends cycle at service {name:?}"
        )));
    }
    chain.push(key);
    let raw = match services.get(name) {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Null) => Map::new(),
        Some(_) => {
            return Err(ImportError::Invalid(format!(
                "{}: service {name:?} must be a mapping",
                path.display()
            )))
        }
        None => {
            return Err(ImportError::Invalid(format!(
                "{}: extended service {name:?} not found",
                path.display()
            )))
        }
    };
    let mut raw = raw;
    let ext = raw.remove("extends");
    let mut own = to_long(raw, base, vars, path, name)?;
    if let Some(ext) = ext {
        let (file, svc) = match &ext {
            Value::String(s) => (None, s.clone()),
            Value::Object(o) => (
                o.get("file").and_then(Value::as_str).map(String::from),
                o.get("service")
                    .and_then(Value::as_str)
                    .map(String::from)
                    .ok_or_else(|| {
                        ImportError::Invalid(format!("service {name:?}: extends without service"))
                    })?,
            ),
            _ => {
                return Err(ImportError::Invalid(format!(
                    "service {name:?}: invalid extends"
                )))
            }
        };
        let parent = match file {
            None => resolve_service(&svc, services, path, base, vars, chain)?,
            Some(f) => {
                let fpath = PathBuf::from(abs(base, &f));
                let mut doc = parse_yaml(&fpath)?;
                interpolate_value(&mut doc, vars, &fpath, "")?;
                let other = doc
                    .get("services")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let obase = fpath.parent().unwrap_or(base).to_path_buf();
                resolve_service(&svc, &other, &fpath, &obase, vars, chain)?
            }
        };
        let mut merged = parent;
        merge_service(&mut merged, std::mem::take(&mut own));
        own = merged;
    }
    chain.pop();
    Ok(own)
}

fn abs(base: &Path, p: &str) -> String {
    let pb = Path::new(p);
    let full = if pb.is_absolute() {
        pb.to_path_buf()
    } else {
        base.join(pb)
    };
    normalize_path(&full).to_string_lossy().to_string()
}

fn lookup(vars: &Vars, k: &str) -> Value {
    vars.get(k)
        .map(|v| Value::String(v.clone()))
        .unwrap_or(Value::Null)
}

/// Converts list-or-map (`environment`, `labels`, `args`) to a map of optional strings.
fn kv_map(v: Value, vars: &Vars, resolve: bool) -> Map<String, Value> {
    let mut out = Map::new();
    match v {
        Value::Array(a) => {
            for item in a {
                let s = scalar_string(&item);
                match s.split_once('=') {
                    Some((k, val)) => {
                        out.insert(k.to_string(), Value::String(val.to_string()));
                    }
                    None => {
                        let val = if resolve {
                            lookup(vars, &s)
                        } else {
                            Value::Null
                        };
                        out.insert(s, val);
                    }
                }
            }
        }
        Value::Object(m) => {
            for (k, val) in m {
                let val = match val {
                    Value::Null if resolve => lookup(vars, &k),
                    Value::Null => Value::Null,
                    other => Value::String(scalar_string(&other)),
                };
                out.insert(k, val);
            }
        }
        _ => {}
    }
    out
}

fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Number(n) => go_number(n),
        other => other.to_string(),
    }
}

/// Formats a number the way compose (Go) prints it: integral floats without a fraction.
fn go_number(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

/// Normalizes one service's short syntax to compose's long syntax.
fn to_long(
    mut s: Map<String, Value>,
    base: &Path,
    vars: &Vars,
    path: &Path,
    name: &str,
) -> Result<Map<String, Value>, ImportError> {
    let bad = |key: &str, why: &str| {
        ImportError::Invalid(format!("{}: services.{name}.{key}: {why}", path.display()))
    };
    if let Some(b) = s.remove("build") {
        let mut b = match b {
            Value::String(c) => {
                let mut m = Map::new();
                m.insert("context".into(), Value::String(c));
                m
            }
            Value::Object(m) => m,
            _ => return Err(bad("build", "must be a string or mapping")),
        };
        let ctx = b
            .get("context")
            .and_then(Value::as_str)
            .unwrap_or(".")
            .to_string();
        b.insert("context".into(), Value::String(abs(base, &ctx)));
        b.entry("dockerfile").or_insert(json!("Dockerfile"));
        if let Some(a) = b.remove("args") {
            // compose drops build args that have no value and no variable to take one from.
            let mut args = kv_map(a, vars, true);
            args.retain(|_, v| !v.is_null());
            b.insert("args".into(), Value::Object(args));
        }
        s.insert("build".into(), Value::Object(b));
    }
    for key in ["command", "entrypoint"] {
        if let Some(Value::String(c)) = s.get(key) {
            let words = shell_split(c).map_err(|e| bad(key, &e))?;
            s.insert(key.into(), json!(words));
        } else if let Some(Value::Array(a)) = s.get_mut(key) {
            for x in a.iter_mut() {
                *x = Value::String(scalar_string(x));
            }
        }
    }
    let mut env = Map::new();
    if let Some(ef) = s.remove("env_file") {
        let list = match ef {
            Value::Array(a) => a,
            other => vec![other],
        };
        for item in list {
            let (file, required) = match item {
                Value::String(f) => (f, true),
                Value::Object(o) => (
                    o.get("path")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    o.get("required").and_then(Value::as_bool).unwrap_or(true),
                ),
                _ => return Err(bad("env_file", "invalid entry")),
            };
            let fpath = PathBuf::from(abs(base, &file));
            if !fpath.is_file() {
                if required {
                    return Err(ImportError::Io {
                        path: fpath,
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "env file not found",
                        ),
                    });
                }
                continue;
            }
            let text = read(&fpath)?;
            let parsed =
                dotenv::parse(&text, vars).map_err(|message| ImportError::Interpolation {
                    path: fpath.clone(),
                    message,
                })?;
            for (k, v) in parsed {
                env.insert(k, Value::String(v));
            }
        }
    }
    if let Some(e) = s.remove("environment") {
        env.extend(kv_map(e, vars, true));
    }
    if !env.is_empty() {
        s.insert("environment".into(), Value::Object(env));
    }
    if let Some(l) = s.remove("labels") {
        let mut labels = kv_map(l, vars, false);
        for v in labels.values_mut() {
            if v.is_null() {
                *v = json!("");
            }
        }
        s.insert("labels".into(), Value::Object(labels));
    }
    if let Some(a) = s.remove("annotations") {
        let mut m = kv_map(a, vars, false);
        for v in m.values_mut() {
            if v.is_null() {
                *v = json!("");
            }
        }
        s.insert("annotations".into(), Value::Object(m));
    }
    if let Some(a) = s.remove("sysctls") {
        s.insert("sysctls".into(), Value::Object(kv_map(a, vars, false)));
    }
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
                let parts: Vec<&str> = spec.split(':').collect();
                let (src, dst, perm) = match parts.as_slice() {
                    [a] => (*a, *a, "rwm"),
                    [a, b] => (*a, *b, "rwm"),
                    [a, b, c, ..] => (*a, *b, *c),
                    [] => ("", "", "rwm"),
                };
                *d = json!({ "source": src, "target": dst, "permissions": perm });
            }
        }
    }
    if let Some(Value::Object(dev)) = s.get_mut("develop") {
        if let Some(Value::Array(watch)) = dev.get_mut("watch") {
            for w in watch.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(Value::String(p)) = w.get("path").cloned() {
                    w.insert("path".into(), json!(abs(base, &p)));
                }
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
    if let Some(p) = s.remove("ports") {
        let Value::Array(list) = p else {
            return Err(bad("ports", "must be a list"));
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
                    out.extend(parse_port(&scalar_string(&other)).map_err(|e| bad("ports", &e))?)
                }
            }
        }
        s.insert("ports".into(), Value::Array(out));
    }
    if let Some(Value::Array(ex)) = s.get_mut("expose") {
        for x in ex.iter_mut() {
            *x = Value::String(scalar_string(x));
        }
    }
    if let Some(d) = s.remove("depends_on") {
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
            _ => return Err(bad("depends_on", "must be a list or mapping")),
        }
        s.insert("depends_on".into(), Value::Object(out));
    }
    if let Some(Value::Object(h)) = s.get_mut("healthcheck") {
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
    if let Some(v) = s.remove("volumes") {
        let Value::Array(list) = v else {
            return Err(bad("volumes", "must be a list"));
        };
        let mut out = Vec::new();
        for item in list {
            let mut m = match item {
                Value::Object(m) => m,
                other => parse_volume(&scalar_string(&other)),
            };
            if m.get("type").and_then(Value::as_str) == Some("bind") {
                if let Some(Value::String(src)) = m.get("source").cloned() {
                    m.insert("source".into(), Value::String(abs(base, &src)));
                }
            }
            out.push(Value::Object(m));
        }
        s.insert("volumes".into(), Value::Array(out));
    }
    if let Some(Value::Array(list)) = s.remove("secrets") {
        let out: Vec<Value> = list
            .into_iter()
            .map(|x| {
                let mut m = match x {
                    Value::Object(m) => m,
                    other => {
                        let mut m = Map::new();
                        m.insert("source".into(), Value::String(scalar_string(&other)));
                        m
                    }
                };
                let src = m
                    .get("source")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if m.get("target").is_none() {
                    m.insert(
                        "target".into(),
                        Value::String(format!("/run/secrets/{src}")),
                    );
                }
                Value::Object(m)
            })
            .collect();
        s.insert("secrets".into(), Value::Array(out));
    }
    if let Some(Value::Array(list)) = s.get("networks").cloned() {
        let m: Map<String, Value> = list
            .iter()
            .map(|n| (scalar_string(n), Value::Null))
            .collect();
        s.insert("networks".into(), Value::Object(m));
    }
    if let Some(Value::Array(vols)) = s.get_mut("volumes") {
        for m in vols.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::Object(t)) = m.get_mut("tmpfs") {
                if let Some(Value::Number(n)) = t.get("size").cloned() {
                    t.insert("size".into(), json!(n.to_string()));
                }
            }
        }
    }
    // Legacy links imply a dependency that restarts with its target, as compose records it.
    if let Some(Value::Array(links)) = s.get("links").cloned() {
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
    if let Some(Value::Number(n)) = s.get("restart").cloned() {
        s.insert("restart".into(), Value::String(n.to_string()));
    }
    Ok(s)
}

/// POSIX-ish word splitting for string `command`/`entrypoint`, as compose does with shlex.
pub fn shell_split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn split_range(s: &str) -> Result<(u32, u32), String> {
    let num = |x: &str| {
        x.trim()
            .parse::<u32>()
            .map_err(|_| format!("invalid port {x:?}"))
    };
    match s.split_once('-') {
        Some((a, b)) => Ok((num(a)?, num(b)?)),
        None => {
            let n = num(s)?;
            Ok((n, n))
        }
    }
}

/// Parses `[[ip:]published:]target[/proto]`, expanding ranges like compose.
pub(crate) fn parse_port(spec: &str) -> Result<Vec<Value>, String> {
    let (main, proto) = match spec.rsplit_once('/') {
        Some((m, p)) => (m, p),
        None => (spec, "tcp"),
    };
    let parts: Vec<&str> = main.rsplitn(3, ':').collect();
    let (target, published, ip) = match parts.as_slice() {
        [t] => (*t, None, None),
        [t, p] => (*t, Some(*p), None),
        [t, p, ip] => (*t, Some(*p), Some(*ip)),
        _ => return Err(format!("invalid port {spec:?}")),
    };
    let published = published.filter(|p| !p.is_empty());
    let (t0, t1) = split_range(target)?;
    let mut out = Vec::new();
    let pub_range = published.map(split_range).transpose()?;
    for (i, t) in (t0..=t1).enumerate() {
        let mut m = Map::new();
        m.insert("mode".into(), json!("ingress"));
        if let Some(ip) = ip {
            m.insert("host_ip".into(), json!(ip));
        }
        m.insert("target".into(), json!(t));
        match (published, pub_range) {
            (Some(_), Some((p0, p1))) if t0 != t1 && p1 - p0 == t1 - t0 => {
                m.insert("published".into(), json!((p0 + i as u32).to_string()));
            }
            (Some(p), _) => {
                m.insert("published".into(), json!(p));
            }
            _ => {}
        }
        m.insert("protocol".into(), json!(proto));
        out.push(Value::Object(m));
    }
    Ok(out)
}

/// Parses `[source:]target[:mode]`.
fn parse_volume(spec: &str) -> Map<String, Value> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (src, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m, ..] => (Some(*s), *t, Some(*m)),
        [] => (None, "", None),
    };
    let mut m = Map::new();
    let is_path = |s: &str| s.starts_with('.') || s.starts_with('/') || s.starts_with('~');
    let kind = match src {
        Some(s) if is_path(s) => "bind",
        _ => "volume",
    };
    m.insert("type".into(), json!(kind));
    if let Some(s) = src {
        m.insert("source".into(), json!(s));
    }
    m.insert("target".into(), json!(target));
    if let Some(mode) = mode {
        for opt in mode.split(',') {
            match opt {
                "ro" => {
                    m.insert("read_only".into(), json!(true));
                }
                "z" | "Z" if kind == "bind" => {
                    m.insert("bind".into(), json!({"selinux": opt}));
                }
                "nocopy" => {
                    m.insert("volume".into(), json!({"nocopy": true}));
                }
                _ => {}
            }
        }
    }
    m
}

/// Merges one file's project into the accumulated project (later files override).
fn merge_project(into: &mut Map<String, Value>, from: Map<String, Value>) {
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
fn merge_service(dst: &mut Map<String, Value>, src: Map<String, Value>) {
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

/// Keeps the services enabled by the active profiles and checks dependencies.
fn apply_profiles(doc: &mut Map<String, Value>, active: &[String]) -> Result<(), ImportError> {
    let Some(Value::Object(services)) = doc.get_mut("services") else {
        return Ok(());
    };
    services.retain(|_, s| {
        let profiles: Vec<&str> = s
            .get("profiles")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        profiles.is_empty()
            || profiles
                .iter()
                .any(|p| active.iter().any(|a| a == p || a == "*"))
    });
    let names: Vec<String> = services.keys().cloned().collect();
    let mut used: std::collections::BTreeMap<&str, std::collections::BTreeSet<String>> =
        Default::default();
    for s in services.values() {
        if let Some(Value::Object(n)) = s.get("networks") {
            used.entry("networks")
                .or_default()
                .extend(n.keys().cloned());
        }
        for (key, kind) in [("volumes", "volume"), ("secrets", ""), ("configs", "")] {
            for m in s.get(key).and_then(Value::as_array).into_iter().flatten() {
                let right_kind =
                    kind.is_empty() || m.get("type").and_then(Value::as_str) == Some(kind);
                if let (true, Some(src)) = (right_kind, m.get("source").and_then(Value::as_str)) {
                    used.entry(key).or_default().insert(src.to_string());
                }
            }
        }
    }
    for (name, s) in services.iter_mut() {
        if let Some(Value::Object(deps)) = s.get_mut("depends_on") {
            let mut missing = None;
            deps.retain(|d, spec| {
                if names.contains(d) {
                    return true;
                }
                let required = spec
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                if required {
                    missing = Some(d.clone());
                }
                false
            });
            if let Some(d) = missing {
                return Err(ImportError::Invalid(format!(
                    "service {name:?} depends on undefined service {d:?}"
                )));
            }
        }
        if let Some(Value::Array(links)) = s.get("links") {
            for l in links.iter().filter_map(Value::as_str) {
                let target = l.split(':').next().unwrap_or(l);
                if !names.iter().any(|n| n == target) {
                    return Err(ImportError::Invalid(format!(
                        "service {name:?} links to undefined service {target:?}"
                    )));
                }
            }
        }
    }
    // compose leaves out networks, volumes, secrets and configs no service uses.
    for key in ["networks", "volumes", "secrets", "configs"] {
        let keep = used.get(key).cloned().unwrap_or_default();
        if let Some(Value::Object(m)) = doc.get_mut(key) {
            m.retain(|k, _| keep.contains(k));
            if m.is_empty() {
                doc.remove(key);
            }
        }
    }
    Ok(())
}

/// Formats a duration the way Go's `time.Duration` prints it (`1m` → `1m0s`).
fn go_duration(s: &str) -> Option<String> {
    let mut total_ms: u64 = 0;
    let mut num = String::new();
    let chars: Vec<char> = s.trim().chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            i += 1;
            continue;
        }
        let mut unit = String::new();
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            unit.push(chars[i]);
            i += 1;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        let ms = match unit.as_str() {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1000.0,
            "ms" => 1.0,
            _ => return None,
        };
        total_ms += (n * ms) as u64;
    }
    if !num.is_empty() {
        return None;
    }
    if total_ms == 0 {
        return Some("0s".into());
    }
    if total_ms < 1000 {
        return Some(format!("{total_ms}ms"));
    }
    let (h, rem) = (total_ms / 3_600_000, total_ms % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    let secs = rem as f64 / 1000.0;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{secs}s"));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration("1m").as_deref(), Some("1m0s"));
        assert_eq!(go_duration("90s").as_deref(), Some("1m30s"));
        assert_eq!(go_duration("1h5s").as_deref(), Some("1h0m5s"));
        assert_eq!(go_duration("500ms").as_deref(), Some("500ms"));
        assert_eq!(go_duration("1.5s").as_deref(), Some("1.5s"));
        assert_eq!(go_duration("10"), None);
    }

    #[test]
    fn split_words() {
        assert_eq!(
            shell_split(r#"sh -c "echo 'hi there' && run""#).unwrap(),
            vec!["sh", "-c", "echo 'hi there' && run"]
        );
        assert!(shell_split("echo 'oops").is_err());
    }

    #[test]
    fn ports() {
        let p = parse_port("127.0.0.1:8080:3000/udp").unwrap();
        assert_eq!(p[0]["host_ip"], "127.0.0.1");
        assert_eq!(p[0]["published"], "8080");
        assert_eq!(p[0]["target"], 3000);
        assert_eq!(p[0]["protocol"], "udp");
        assert_eq!(parse_port("9000-9001:9000-9001").unwrap().len(), 2);
        assert!(parse_port("abc").is_err());
    }
}
