//! What every workload's import reads ([`Facts`]: names, stores, jobs, host aliases, ports of the
//! whole project) and the workload being imported ([`Draft`]).

use super::names::Names;
use super::ports::Ports;
use super::stores::ImportedStore;
use crate::model::NormalizedCompose;
use crate::notes::Notes;
use berth_spec::{Spanned, StoreType, WorkloadKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The project-wide facts a workload's import reads.
pub struct Facts<'a> {
    pub c: &'a NormalizedCompose,
    pub names: &'a Names,
    /// Compose service → store type, for the services that became stores.
    pub store_of: &'a BTreeMap<String, StoreType>,
    /// Berth name → store.
    pub stores: &'a BTreeMap<String, ImportedStore>,
    /// Compose services that became jobs.
    pub jobs: &'a BTreeSet<String>,
    /// Compose services deliberately not carried over.
    pub dropped: &'a BTreeMap<String, String>,
    /// Host name (service name, link alias, hostname, container name) → compose service.
    pub aliases: &'a BTreeMap<String, String>,
    /// Compose service → its named ports.
    pub ports: &'a BTreeMap<String, Ports>,
}

impl Facts<'_> {
    /// The Berth name of compose service `n`.
    pub fn bn(&self, n: &str) -> String {
        self.names.of(n)
    }

    /// Compose host name → compose service name.
    pub fn host(&self, h: &str) -> Option<&String> {
        self.aliases.get(h)
    }

    /// The store compose service `svc` became, with its type.
    pub fn store(&self, svc: &str) -> Option<(StoreType, &ImportedStore)> {
        let t = *self.store_of.get(svc)?;
        Some((t, self.stores.get(&self.bn(svc))?))
    }
}

/// Every name a service is reached by: its own, link aliases (`db:database`), hostnames and
/// container names.
pub fn host_aliases(c: &NormalizedCompose) -> BTreeMap<String, String> {
    let mut aliases: BTreeMap<String, String> =
        c.services.keys().map(|n| (n.clone(), n.clone())).collect();
    for l in c.services.values().flat_map(|s| &s.links) {
        if let Some((t, a)) = l.split_once(':') {
            aliases.insert(a.to_string(), t.to_string());
        }
    }
    for (n, s) in &c.services {
        for k in ["hostname", "container_name"] {
            if let Some(h) = s.extra.get(k).and_then(Value::as_str) {
                aliases.entry(h.to_string()).or_insert(n.clone());
            }
        }
    }
    aliases
}

/// A workload being imported: its compose name, its compose key path and the service so far.
pub struct Draft<'a> {
    pub name: &'a str,
    /// `services.<compose name>`, the prefix of every note about it.
    pub path: String,
    pub svc: berth_spec::Service,
}

impl<'a> Draft<'a> {
    pub fn new(name: &'a str, kind: WorkloadKind, facts: &Facts) -> Self {
        Draft {
            name,
            path: format!("services.{name}"),
            svc: berth_spec::Service {
                kind: Some(Spanned::synthetic(kind)),
                ports: facts.ports.get(name).cloned().unwrap_or_default(),
                ..berth_spec::Service::default()
            },
        }
    }

    /// Whether the workload already uses Berth name `b`.
    pub fn uses(&self, b: &str) -> bool {
        self.svc.uses.iter().any(|u| u.value == b)
    }

    /// Adds compose service `dep` to `uses` (once), noting `why` when given. Jobs are expressed
    /// by their `before`, and dropped services and the workload itself are never used.
    pub fn add_use(&mut self, facts: &Facts, dep: &str, notes: &mut Notes, why: Option<String>) {
        if facts.jobs.contains(dep) && !facts.store_of.contains_key(dep) {
            return;
        }
        if facts.dropped.contains_key(dep) || dep == self.name {
            return;
        }
        let b = facts.bn(dep);
        if !self.uses(&b) {
            self.svc.uses.push(Spanned::synthetic(b));
            if let Some(why) = why {
                notes.infer(format!("{}.uses", self.path), why);
            }
        }
    }

    /// Adds secret `name` to the workload (once).
    pub fn add_secret(&mut self, name: &str) {
        if !self.svc.secrets.iter().any(|s| s.value == name) {
            self.svc.secrets.push(Spanned::synthetic(name.to_string()));
        }
    }
}
