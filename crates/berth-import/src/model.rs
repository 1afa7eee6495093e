//! The normalized compose model both readers produce: long syntax only, project-relative paths.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Unknown keys, kept so that they can be reported instead of silently lost.
pub type Extra = BTreeMap<String, Value>;

/// A compose project after interpolation, merging, `extends`, `include` and profile selection.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NormalizedCompose {
    pub name: String,
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    #[serde(default)]
    pub volumes: BTreeMap<String, TopLevel>,
    #[serde(default)]
    pub networks: BTreeMap<String, TopLevel>,
    #[serde(default)]
    pub secrets: BTreeMap<String, TopLevel>,
    #[serde(default)]
    pub configs: BTreeMap<String, TopLevel>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A top-level volume, network, secret or config: kept as its remaining keys.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TopLevel {
    #[serde(flatten)]
    pub fields: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Service {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, Option<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, DependsOn>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Mount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretRef>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Build {
    #[serde(default)]
    pub context: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Option<String>>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Port {
    pub target: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DependsOn {
    #[serde(default = "default_condition")]
    pub condition: String,
    #[serde(default = "default_true")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart: bool,
}

fn default_condition() -> String {
    "service_started".into()
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Healthcheck {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disable: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Deploy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservations: Option<ResourceSet>,
}

/// CPU in cores, memory in bytes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub target: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SecretRef {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl NormalizedCompose {
    /// Builds the typed model from canonical (docker-compose-config-shaped) JSON.
    ///
    /// Both readers go through here so that representation quirks are smoothed in one place.
    pub fn from_canonical(mut v: Value, project_dir: &Path) -> Result<Self, serde_json::Error> {
        let dir = project_dir.to_string_lossy().to_string();
        clean(&mut v, &dir);
        let mut c: NormalizedCompose = serde_json::from_value(v)?;
        for s in c.services.values_mut() {
            s.networks.remove("default");
        }
        c.networks.remove("default");
        let project = c.name.clone();
        for (kind, map) in [
            ("volumes", &mut c.volumes),
            ("networks", &mut c.networks),
            ("secrets", &mut c.secrets),
            ("configs", &mut c.configs),
        ] {
            let _ = kind;
            for (k, t) in map.iter_mut() {
                if t.fields.get("name").and_then(Value::as_str) == Some(&format!("{project}_{k}")) {
                    t.fields.remove("name");
                }
            }
        }
        Ok(c)
    }
}

/// Normalizes representation details that differ between readers without changing meaning:
/// absolute paths become project-relative, numbers-as-strings are unified, empty maps vanish.
fn clean(v: &mut Value, dir: &str) {
    let Some(root) = v.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(services)) = root.get_mut("services") {
        for (_, s) in services.iter_mut() {
            if let Some(s) = s.as_object_mut() {
                clean_service(s, dir);
            }
        }
    }
    for key in ["volumes", "networks", "secrets", "configs"] {
        if let Some(Value::Object(m)) = root.get_mut(key) {
            for (key_name, t) in m.iter_mut() {
                if t.as_object().is_some_and(|o| {
                    o.get("external") == Some(&Value::Bool(true))
                        && o.get("name").and_then(Value::as_str) == Some(key_name.as_str())
                }) {
                    if let Some(o) = t.as_object_mut() {
                        o.remove("name");
                    }
                }
                if t.is_null() {
                    *t = Value::Object(Map::new());
                }
                if let Some(t) = t.as_object_mut() {
                    if let Some(Value::String(f)) = t.get_mut("file") {
                        *f = relativize(f, dir);
                    }
                    drop_empty(t);
                }
            }
        }
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
            if m.get("type").and_then(Value::as_str) == Some("bind") {
                if let Some(Value::String(src)) = m.get_mut("source") {
                    *src = relativize(src, dir);
                }
                // `create_host_path: true` is compose's default; docker leaves it out.
                if let Some(Value::Object(b)) = m.get_mut("bind") {
                    if b.get("create_host_path") == Some(&Value::Bool(true)) {
                        b.remove("create_host_path");
                    }
                }
            }
            drop_empty(m);
        }
    }
    if let Some(Value::Array(ports)) = s.get_mut("ports") {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(n) = p.get("published").and_then(Value::as_u64) {
                p.insert("published".into(), Value::String(n.to_string()));
            }
            if p.get("published").and_then(Value::as_str) == Some("") {
                p.remove("published");
            }
        }
    }
    if let Some(Value::Array(ex)) = s.get_mut("expose") {
        for e in ex.iter_mut() {
            if let Some(n) = e.as_u64() {
                *e = Value::String(n.to_string());
            }
        }
    }
    if let Some(Value::Object(env)) = s.get_mut("environment") {
        for (_, val) in env.iter_mut() {
            stringify_scalar(val);
        }
    }
    if let Some(Value::Object(b)) = s.get_mut("build") {
        if let Some(Value::Object(args)) = b.get_mut("args") {
            for (_, val) in args.iter_mut() {
                stringify_scalar(val);
            }
        }
    }
    if let Some(Value::Object(d)) = s.get_mut("deploy") {
        if let Some(Value::Object(r)) = d.get_mut("resources") {
            for (_, set) in r.iter_mut() {
                if let Some(set) = set.as_object_mut() {
                    if let Some(c) = set.get("cpus").cloned() {
                        if let Some(f) = parse_cpus(&c) {
                            set.insert("cpus".into(), serde_json::json!(f));
                        }
                    }
                    if let Some(m) = set.get("memory").cloned() {
                        if let Some(b) = parse_bytes(&m) {
                            set.insert("memory".into(), serde_json::json!(b));
                        }
                    }
                    drop_empty(set);
                }
            }
            drop_empty(r);
        }
        drop_empty(d);
        if d.is_empty() {
            s.remove("deploy");
        }
    }
    if let Some(Value::Object(h)) = s.get_mut("healthcheck") {
        if let Some(Value::String(t)) = h.get("test").cloned() {
            h.insert(
                "test".into(),
                serde_json::json!(["CMD-SHELL".to_string(), t]),
            );
        }
    }
    if let Some(Value::Object(dev)) = s.get_mut("develop") {
        if let Some(Value::Array(watch)) = dev.get_mut("watch") {
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
    }
    if let Some(Value::Object(n)) = s.get_mut("networks") {
        for (_, v) in n.iter_mut() {
            if v.as_object().is_some_and(Map::is_empty) {
                *v = Value::Null;
            }
        }
    }
    drop_empty(s);
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

/// Parses a compose CPU value (`0.5`, `"0.5"`).
pub fn parse_cpus(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses a compose byte size (`512M`, `1g`, `"536870912"`, `512mb`).
pub fn parse_bytes(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => parse_byte_str(s),
        _ => None,
    }
}

pub fn parse_byte_str(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let s = s.strip_suffix('b').unwrap_or(&s).to_string();
    let (num, mult) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1u64 << 10),
        'm' => (&s[..s.len() - 1], 1 << 20),
        'g' => (&s[..s.len() - 1], 1 << 30),
        't' => (&s[..s.len() - 1], 1 << 40),
        _ => (&s[..], 1),
    };
    let f: f64 = num.trim().parse().ok()?;
    Some((f * mult as f64) as u64)
}
