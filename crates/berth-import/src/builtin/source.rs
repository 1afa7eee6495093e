//! Reading one compose file: its text, its YAML (read as compose reads it, YAML 1.2), every string
//! interpolated; the project's variables (`.env` under the process environment); paths made
//! absolute against the file's directory.

use super::dotenv;
use super::interp::{interpolate, Vars};
use crate::error::ImportError;
use crate::paths::normalize_path;
use serde_json::{Map, Value};
use std::path::Path;

/// A compose or `.env` file's text, in the input limits (`berth_drive::input`).
pub(super) fn read(path: &Path) -> Result<String, ImportError> {
    Ok(berth_drive::input::read_text(path)?)
}

/// `.env` of the project directory, overridden by the process environment.
pub(super) fn project_vars(dir: &Path, process: &Vars) -> Result<Vars, ImportError> {
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

/// The file's top-level mapping (an empty file is an empty mapping).
pub(super) fn parse_yaml(path: &Path) -> Result<Value, ImportError> {
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

/// Interpolates every string scalar (not keys), as compose does; errors name the key path.
pub(super) fn interpolate_value(
    v: &mut Value,
    vars: &Vars,
    path: &Path,
    at: &str,
) -> Result<(), ImportError> {
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

/// The file parsed and interpolated.
pub(super) fn load_yaml(path: &Path, vars: &Vars) -> Result<Value, ImportError> {
    let mut doc = parse_yaml(path)?;
    interpolate_value(&mut doc, vars, path, "")?;
    Ok(doc)
}

/// `p` made absolute against `base`, normalized.
pub(super) fn abs(base: &Path, p: &str) -> String {
    normalize_path(&base.join(p)).to_string_lossy().to_string()
}
