//! One compose file with what it pulls in: `include` (other projects, each with its own `.env`)
//! and `extends` (a service over its parent, in the same file or another), every service in long
//! syntax with absolute paths.

use super::interp::Vars;
use super::long::{to_long, ServiceAt};
use super::merge::{merge_project, merge_service};
use super::source::{abs, load_yaml, project_vars};
use crate::error::ImportError;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Loads one compose file. `stack` holds the files being loaded, to report include cycles.
pub(super) fn load_file(
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
    let Value::Object(mut doc) = load_yaml(path, vars)? else {
        unreachable!("parse_yaml returns a mapping")
    };
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    // `version` is obsolete; compose ignores it.
    doc.remove("version");
    let includes = doc.remove("include");
    let services = resolve_services(doc.remove("services"), path, &base, vars)?;
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
    let result = match includes {
        Some(inc) => with_includes(inc, doc, path, &base, vars, stack),
        None => Ok(doc),
    };
    stack.pop();
    result
}

/// Every service of the file, its `extends` resolved, in long syntax.
fn resolve_services(
    raw: Option<Value>,
    path: &Path,
    base: &Path,
    vars: &Vars,
) -> Result<Map<String, Value>, ImportError> {
    let raw = match raw {
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
    for name in raw.keys() {
        let s = resolve_service(name, &raw, path, base, vars, &mut Vec::new())?;
        services.insert(name.clone(), Value::Object(s));
    }
    Ok(services)
}

/// The included projects first, then the including file's own resources on top; a service
/// defined in both is an error.
fn with_includes(
    inc: Value,
    doc: Map<String, Value>,
    path: &Path,
    base: &Path,
    vars: &Vars,
    stack: &mut Vec<PathBuf>,
) -> Result<Map<String, Value>, ImportError> {
    let mut result = Map::new();
    let list = match inc {
        Value::Array(a) => a,
        other => vec![other],
    };
    for item in list {
        let (paths, project_dir) = include_entry(item, path)?;
        let first = PathBuf::from(abs(base, &paths[0]));
        let inc_dir = project_dir
            .map(|d| PathBuf::from(abs(base, &d)))
            .unwrap_or_else(|| first.parent().unwrap_or(base).to_path_buf());
        // The included project sees its own .env, with the including project's variables first.
        let mut inc_vars = project_vars(&inc_dir, &Vars::new())?;
        inc_vars.extend(vars.clone());
        let mut sub = Map::new();
        for p in &paths {
            let d = load_file(&PathBuf::from(abs(base, p)), &inc_vars, stack)?;
            merge_project(&mut sub, d);
        }
        include_into(&mut result, sub, path)?;
    }
    include_into(&mut result, doc, path)?;
    Ok(result)
}

/// The files of one `include` entry (a path, or `{ path, project_directory }`).
fn include_entry(item: Value, path: &Path) -> Result<(Vec<String>, Option<String>), ImportError> {
    let invalid = |why: &str| ImportError::Invalid(format!("{}: {why}", path.display()));
    match item {
        Value::String(s) => Ok((vec![s], None)),
        Value::Object(o) => {
            let paths = match o.get("path") {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect(),
                _ => return Err(invalid("include entry without path")),
            };
            if paths.is_empty() {
                return Err(invalid("include entry without path"));
            }
            let pd = o
                .get("project_directory")
                .and_then(Value::as_str)
                .map(String::from);
            Ok((paths, pd))
        }
        _ => Err(invalid("invalid include entry")),
    }
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

/// Resolves `extends` (same file or another file) and normalizes to long syntax. `chain` holds
/// the services being resolved, to report cycles.
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
    let mut raw = match services.get(name) {
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
    let ext = raw.remove("extends");
    let mut own = to_long(
        raw,
        &ServiceAt {
            base,
            vars,
            path,
            name,
        },
    )?;
    if let Some(ext) = ext {
        let mut merged = parent(name, &ext, services, path, base, vars, chain)?;
        merge_service(&mut merged, own);
        own = merged;
    }
    chain.pop();
    Ok(own)
}

/// The service an `extends` names (`service` or `{ service, file }`), resolved.
fn parent(
    name: &str,
    ext: &Value,
    services: &Map<String, Value>,
    path: &Path,
    base: &Path,
    vars: &Vars,
    chain: &mut Vec<String>,
) -> Result<Map<String, Value>, ImportError> {
    let (file, svc) = match ext {
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
    let Some(f) = file else {
        return resolve_service(&svc, services, path, base, vars, chain);
    };
    let fpath = PathBuf::from(abs(base, &f));
    let doc = load_yaml(&fpath, vars)?;
    let other = doc
        .get("services")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let obase = fpath.parent().unwrap_or(base).to_path_buf();
    resolve_service(&svc, &other, &fpath, &obase, vars, chain)
}
