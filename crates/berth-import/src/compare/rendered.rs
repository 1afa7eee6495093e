//! Reading the rendered compose project as `docker compose config --format json` prints it
//! (long syntax, absolute paths, real volume names).

use serde_json::Value;
use std::collections::BTreeMap;

/// The rendered project.
pub(super) struct Rendered<'a> {
    root: &'a Value,
}

impl<'a> Rendered<'a> {
    pub(super) fn new(root: &'a Value) -> Self {
        Rendered { root }
    }

    pub(super) fn service(&self, name: &str) -> Option<&'a Value> {
        self.root.get("services")?.get(name)
    }

    /// Service → the services it waits for.
    pub(super) fn dependency_graph(&self) -> BTreeMap<String, Vec<String>> {
        let services = self.root.get("services").and_then(Value::as_object);
        services
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), keys(v.get("depends_on"))))
            .collect()
    }

    /// The real name of top-level volume `key`: its `name`, else what compose derives.
    pub(super) fn volume_name(&self, key: &str) -> String {
        let def = self.root.get("volumes").and_then(|v| v.get(key));
        match def.and_then(|d| d.get("name")).and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None if def.is_some_and(|d| d.get("external") == Some(&Value::Bool(true))) => {
                key.to_string()
            }
            None => {
                let project = self.root.get("name").and_then(Value::as_str).unwrap_or("");
                format!("{project}_{key}")
            }
        }
    }

    /// The file behind top-level `configs` entry `key`.
    pub(super) fn config_file(&self, key: &str) -> Option<&'a str> {
        self.root.get("configs")?.get(key)?.get("file")?.as_str()
    }
}

/// The keys of a `depends_on` (list or map form).
fn keys(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The entries of list `key` of a rendered service.
pub(super) fn list<'a>(service: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    service
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// String field `key` of a long-syntax entry.
pub(super) fn text<'a>(entry: &'a Value, key: &str) -> Option<&'a str> {
    entry.get(key).and_then(Value::as_str)
}
