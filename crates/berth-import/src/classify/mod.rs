//! Turns a normalized compose project into a Berth stack — a `berth_spec::Spec` with its stores,
//! services, jobs, secrets and references — recording every inference and every dropped or
//! approximated key.
//!
//! The steps, each in its own module: `names` (RFC 1123 names), `stores` (which services are
//! stores and what they become), `jobs`, `ports`, then per workload `workload` with
//! `health`, `env` (references and credentials), `secrets` and `resources`; `drops`
//! says why the keys Berth does not model are dropped.

mod context;
mod drops;
mod env;
mod health;
mod jobs;
pub mod names;
pub mod ports;
pub mod resources;
pub mod secrets;
pub mod stores;
mod url;
pub mod volumes;
mod workload;

use crate::model::NormalizedCompose;
use crate::notes::Notes;
use crate::options::LocalCluster;
use berth_spec::{Environment, Platform, Spanned, Spec, WorkloadKind};
use context::Facts;
use std::collections::BTreeMap;

pub use names::{rfc1123, Names};
pub use ports::expose_ports;
pub use resources::{cpu_quantity, mem_quantity};
pub use secrets::is_credential;
pub use stores::{split_image, store_type, tag_version};

/// The imported stack: the spec, and how it relates to the compose project.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub spec: Spec,
    /// Compose service name → Berth name.
    pub names: Names,
    /// Compose services deliberately not carried over, with the reason.
    pub dropped: BTreeMap<String, String>,
    pub notes: Notes,
}

/// Classifies the compose project into a Berth stack.
pub fn classify(c: &NormalizedCompose, kubernetes: Option<LocalCluster>) -> Stack {
    let mut notes = Notes::default();
    let name = names::stack_name(c, &mut notes);
    let names = Names::assign(c, &mut notes);
    let found = stores::find(c, &mut notes);
    let mut stores = stores::import_all(c, &found.store_of, &names, &mut notes);
    let aliases = context::host_aliases(c);
    stores::infer_databases(
        c,
        &found.store_of,
        &aliases,
        &mut stores,
        &names,
        &mut notes,
    );
    let jobs = jobs::find(c, &found, &mut notes);
    let is_workload = |n: &str| !found.store_of.contains_key(n) && !found.dropped.contains_key(n);
    let ports = ports::workload_ports(c, is_workload, &aliases, &mut notes);
    let facts = Facts {
        c,
        names: &names,
        store_of: &found.store_of,
        stores: &stores,
        jobs: &jobs,
        dropped: &found.dropped,
        aliases: &aliases,
        ports: &ports,
    };
    let mut book = secrets::Book::default();
    for (n, _) in found.store_of.iter() {
        let st = &stores[&names.of(n)].store;
        if let Some(p) = &st.password {
            // The compose secret whose file is the store's password (named as Berth names it).
            let source = c.services[n].secrets.iter().map(|r| &r.source);
            if let Some(src) = source.into_iter().find(|s| rfc1123(s) == p.value) {
                book.compose_secret(c, src);
            }
        }
    }
    let mut services = BTreeMap::new();
    for (n, s) in c.services.iter().filter(|(n, _)| is_workload(n)) {
        let kind = if jobs.contains(n) {
            WorkloadKind::Job
        } else {
            WorkloadKind::Service
        };
        let w = workload::import_workload(n, s, kind, &facts, &mut book, &mut notes);
        services.insert(names.of(n), w);
    }
    jobs::link_before(c, &found, &jobs, &names, &mut services);
    book.warn_external(c, &mut notes);
    drops::top_level(c, &mut notes);
    let spec = Spec {
        name: Spanned::synthetic(name),
        services: keyed(services),
        stores: keyed(stores.into_iter().map(|(n, s)| (n, s.store))),
        secrets: keyed(book.secrets),
        environments: environments(kubernetes),
        ..Spec::default()
    };
    Stack {
        spec,
        names,
        dropped: found.dropped,
        notes,
    }
}

/// A spec mapping from named entries, in their order.
fn keyed<T>(entries: impl IntoIterator<Item = (String, T)>) -> berth_spec::Map<T> {
    entries
        .into_iter()
        .map(|(k, v)| (Spanned::synthetic(k), v))
        .collect()
}

/// `local` on compose, and the local cluster `--kubernetes` asked for.
fn environments(kubernetes: Option<LocalCluster>) -> berth_spec::Map<Environment> {
    let env = |platform, cluster: Option<berth_spec::Cluster>| Environment {
        platform: Some(Spanned::synthetic(platform)),
        cluster: cluster.map(Spanned::synthetic),
        ..Environment::default()
    };
    let local = ("local".to_string(), env(Platform::Compose, None));
    let cluster = kubernetes.map(|k| {
        (
            k.name().to_string(),
            env(Platform::Kubernetes, Some(k.cluster())),
        )
    });
    keyed(std::iter::once(local).chain(cluster))
}
