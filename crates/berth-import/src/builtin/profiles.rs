//! Profile selection: the services the active profiles enable, their dependencies checked, and
//! the networks, volumes, secrets and configs no remaining service uses left out (as compose does).

use crate::error::ImportError;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Keeps the services enabled by the active profiles and checks dependencies.
pub(super) fn apply_profiles(
    doc: &mut Map<String, Value>,
    active: &[String],
) -> Result<(), ImportError> {
    let Some(Value::Object(services)) = doc.get_mut("services") else {
        return Ok(());
    };
    services.retain(|_, s| enabled(s, active));
    let used = used_resources(services);
    let names: Vec<String> = services.keys().cloned().collect();
    for (name, s) in services.iter_mut() {
        check_dependencies(name, s, &names)?;
    }
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

/// A service without profiles is always enabled; `*` enables every profile.
fn enabled(s: &Value, active: &[String]) -> bool {
    let profiles: Vec<&str> = s
        .get("profiles")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    profiles.is_empty()
        || profiles
            .iter()
            .any(|p| active.iter().any(|a| a == p || a == "*"))
}

/// Top-level resource kind → the names the services use.
fn used_resources(services: &Map<String, Value>) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut used: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
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
    used
}

/// Optional dependencies on disabled services are dropped; required ones and links are errors.
fn check_dependencies(name: &str, s: &mut Value, names: &[String]) -> Result<(), ImportError> {
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
    for l in s
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let target = l.split(':').next().unwrap_or(l);
        if !names.iter().any(|n| n == target) {
            return Err(ImportError::Invalid(format!(
                "service {name:?} links to undefined service {target:?}"
            )));
        }
    }
    Ok(())
}
