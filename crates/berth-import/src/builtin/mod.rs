//! The built-in compose reader, used when the docker compose plugin is missing.
//!
//! It produces the same JSON shape as `docker compose config --format json` for the keys Berth
//! understands: interpolation with `.env` (`interp`, `dotenv`), `extends` and `include`
//! (`file`), short-to-long syntax (`long`, `syntax`), multi-file merge (`merge`) and
//! profiles (`profiles`).

pub mod dotenv;
mod file;
pub mod interp;
mod long;
mod merge;
mod profiles;
mod source;
mod syntax;

use crate::error::ImportError;
use crate::options::{ImportOptions, Inputs};
use interp::Vars;
use serde_json::{Map, Value};

pub use syntax::shell_split;

/// Loads, merges and normalizes the project into docker-compose-config-shaped JSON.
pub fn config(inputs: &Inputs, opts: &ImportOptions) -> Result<Value, ImportError> {
    let process: Vars = match &opts.environment {
        Some(env) => env.clone(),
        None => std::env::vars().collect(),
    };
    let vars = source::project_vars(&inputs.project_dir, &process)?;
    let mut merged = Map::new();
    for f in &inputs.files {
        let doc = file::load_file(f, &vars, &mut Vec::new())?;
        merge::merge_project(&mut merged, doc);
    }
    let name = project_name(inputs, opts, &vars, &merged)?;
    merged.insert("name".into(), Value::String(name));
    profiles::apply_profiles(&mut merged, &active_profiles(opts, &vars))?;
    let mut out = Value::Object(merged);
    // Like `docker compose config`, literal dollars are written back escaped.
    escape_dollars(&mut out);
    Ok(out)
}

/// `-p`, else `COMPOSE_PROJECT_NAME`, else the files' `name`, else the directory's name.
fn project_name(
    inputs: &Inputs,
    opts: &ImportOptions,
    vars: &Vars,
    merged: &Map<String, Value>,
) -> Result<String, ImportError> {
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
    Ok(name)
}

/// `--profile` values, else `COMPOSE_PROFILES`.
fn active_profiles(opts: &ImportOptions, vars: &Vars) -> Vec<String> {
    if !opts.profiles.is_empty() {
        return opts.profiles.clone();
    }
    vars.get("COMPOSE_PROFILES")
        .map(|p| {
            p.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
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
