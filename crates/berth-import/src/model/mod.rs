//! The normalized compose model both readers produce: long syntax only, project-relative paths.
//! `clean` smooths what differs between the readers; `units` reads compose's sizes and CPUs.

mod clean;
mod units;

pub use units::{parse_byte_str, parse_bytes, parse_cpus};

use serde::{Deserialize, Serialize};
use serde_json::Value;
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
    /// The canonical compose model (both readers give `docker compose config`'s form, where a
    /// literal `$` is `$$`) as literal values: `$$` → `$`, so render's escaping gives `$$`
    /// back and never `$$$$`.
    pub fn from_canonical(mut v: Value, project_dir: &Path) -> Result<Self, serde_json::Error> {
        clean::clean(&mut v, &project_dir.to_string_lossy());
        unescape_dollars(&mut v);
        let mut c: NormalizedCompose = serde_json::from_value(v)?;
        for s in c.services.values_mut() {
            s.networks.remove("default");
        }
        c.networks.remove("default");
        // Names compose gives by default (`<project>_<key>`) say nothing.
        let project = c.name.clone();
        for map in [
            &mut c.volumes,
            &mut c.networks,
            &mut c.secrets,
            &mut c.configs,
        ] {
            for (k, t) in map.iter_mut() {
                if t.fields.get("name").and_then(Value::as_str) == Some(&format!("{project}_{k}")) {
                    t.fields.remove("name");
                }
            }
        }
        Ok(c)
    }
}

/// Every string value of compose's canonical text as the literal it stands for.
fn unescape_dollars(v: &mut Value) {
    match v {
        Value::String(s) if s.contains("$$") => *s = berth_spec::template::dollar::from_compose(s),
        Value::Array(a) => a.iter_mut().for_each(unescape_dollars),
        Value::Object(m) => m.values_mut().for_each(unescape_dollars),
        _ => {}
    }
}
