//! The compose plan: what the driver starts for a compose environment, computed from the model
//! beside the files (so the driver never reads its own YAML back). Pure and serializable, so
//! it can be printed as it is (`--dry-run`, `-o json`).
//!
//! It holds, per compose service, what waiting needs (kind, health check) and, per workload,
//! what ordering needs (the stores it uses, the workloads it starts after, the workloads a job
//! precedes); the secrets the environment needs and where each value comes from; and the
//! endpoints a started service publishes on the host.

use super::common::{dir, SERVICES_FILE, STORES_FILE};
use super::stores::{init_service, members, runs_in_compose};
use berth_spec::model::{Check, DepKind, SecretSource, StoreModel, Workload};
use berth_spec::{Model, StoreType};
use serde::Serialize;

/// What a compose service is, for starting, waiting and reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Store,
    Service,
    /// Runs once; done when it exits 0.
    Job,
}

impl Kind {
    /// True for what runs once (done when it exits 0) rather than keeps running.
    pub fn one_shot(self) -> bool {
        self == Kind::Job
    }

    pub fn word(self) -> &'static str {
        match self {
            Kind::Store => "store",
            Kind::Service => "service",
            Kind::Job => "job",
        }
    }
}

/// One compose service the driver starts and waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// The compose service name (`docker compose up -d NAME`).
    pub service: String,
    pub kind: Kind,
    /// The service has a health check: it is ready once healthy, not merely running.
    pub healthcheck: bool,
}

/// A host port a started service publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// The workload or store.
    pub name: String,
    /// The port's name (a store's main port by its number).
    pub port: String,
    pub url: String,
}

/// A store compose runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorePlan {
    pub name: String,
    /// Its compose services in start order: the store itself (or the store whose container
    /// serves it, `served_by`), then helpers such as the MongoDB replica-set initialiser
    /// `<store>-init` (a job).
    pub services: Vec<Unit>,
    pub endpoints: Vec<Endpoint>,
}

/// A workload (service or job); its compose service has the workload's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadPlan {
    #[serde(flatten)]
    pub unit: Unit,
    /// The stores it uses (whatever their realization; only the plan's `stores` run here).
    pub stores: Vec<String>,
    /// The workloads it starts after: the services it uses and the jobs that must complete
    /// first.
    pub after: Vec<String>,
    /// For a job: the workloads that wait for it to complete.
    pub precedes: Vec<String>,
    pub endpoints: Vec<Endpoint>,
}

impl WorkloadPlan {
    pub fn name(&self) -> &str {
        &self.unit.service
    }
}

/// A secret the environment needs, and where its value comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretNeed {
    pub name: String,
    /// Keys it holds (`value` for plain secrets).
    pub keys: Vec<String>,
    /// Generated once and kept in the driver's state, read from the host environment or a
    /// file, or held in AWS (which a compose environment cannot read).
    pub source: SecretSource,
    /// The stores and workloads whose env files read it.
    pub needed_by: Vec<String>,
}

impl SecretNeed {
    /// True when the driver creates the value itself (once, then reuses it).
    pub fn generated(&self) -> bool {
        matches!(self.source, SecretSource::Generate { .. })
    }
}

/// What the compose driver executes for one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComposePlan {
    /// The compose project name (the stack).
    pub project: String,
    pub environment: String,
    /// Where the files are, relative to the output directory (`compose/<env>`).
    pub dir: String,
    /// The compose files in `-f` order, relative to `dir`; always both, so orphans are judged
    /// against the whole stack.
    pub files: Vec<String>,
    /// The stores compose runs, in spec order.
    pub stores: Vec<StorePlan>,
    /// The workloads in dependency order (everything a workload needs comes before it).
    pub workloads: Vec<WorkloadPlan>,
    /// Every secret the environment needs, in the model's order.
    pub secrets: Vec<SecretNeed>,
    /// The observability profile's services (`berth up` starts those whose image is here).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observability: Vec<ObservabilityPlan>,
}

/// A service of the observability profile (compose.observability.yaml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservabilityPlan {
    #[serde(flatten)]
    pub unit: Unit,
    /// The image it runs unless `variable` names another.
    pub image: String,
    /// The host variable that overrides the image (compose interpolation).
    pub variable: String,
    pub endpoints: Vec<Endpoint>,
}

impl ComposePlan {
    /// Every compose service: the stores' (with their helpers), then the workloads'.
    /// Each once: stores that share a container list the same one.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        let mut seen = std::collections::BTreeSet::new();
        self.stores
            .iter()
            .flat_map(|s| s.services.iter())
            .chain(self.workloads.iter().map(|w| &w.unit))
            .filter(move |u| seen.insert(u.service.as_str()))
    }

    /// The compose service named `service`, or the one that runs the store so named.
    pub fn unit(&self, service: &str) -> Option<&Unit> {
        self.units()
            .find(|u| u.service == service)
            .or_else(|| self.store(service)?.services.first())
    }

    pub fn store(&self, name: &str) -> Option<&StorePlan> {
        self.stores.iter().find(|s| s.name == name)
    }

    pub fn workload(&self, name: &str) -> Option<&WorkloadPlan> {
        self.workloads.iter().find(|w| w.name() == name)
    }
}

/// The plan of a compose environment.
pub fn plan(model: &Model) -> ComposePlan {
    ComposePlan {
        project: model.stack.clone(),
        environment: model.environment.clone(),
        dir: dir(model),
        files: files(model),
        stores: model
            .stores
            .iter()
            .filter(|s| runs_in_compose(s))
            .map(store)
            .collect(),
        workloads: model.workloads.iter().map(workload).collect(),
        secrets: secrets(model),
        observability: observability(model),
    }
}

/// The stores and services files, and the observability profile's when there is one.
fn files(model: &Model) -> Vec<String> {
    let mut files = vec![STORES_FILE.to_string(), SERVICES_FILE.to_string()];
    if !super::observe::components(model).is_empty() {
        files.push(super::observe::FILE.to_string());
    }
    files
}

fn observability(model: &Model) -> Vec<ObservabilityPlan> {
    let mut v: Vec<ObservabilityPlan> = super::observe::components(model)
        .into_iter()
        .map(|c| ObservabilityPlan {
            unit: Unit {
                service: c.service.to_string(),
                kind: Kind::Service,
                healthcheck: c.service != super::observe::COLLECTOR.service,
            },
            image: c.image.to_string(),
            variable: c.variable.to_string(),
            endpoints: c
                .ui
                .map(|port| Endpoint {
                    name: c.service.to_string(),
                    port: port.to_string(),
                    url: format!("http://127.0.0.1:{port}"),
                })
                .into_iter()
                .collect(),
        })
        .collect();
    // The stores' exporters: started like the rest of the profile, when their image is here.
    v.extend(
        super::observe::exporters(model)
            .into_iter()
            .map(|(store, e)| ObservabilityPlan {
                unit: Unit {
                    service: crate::observe::exporter_service(&store.name),
                    kind: Kind::Service,
                    healthcheck: false,
                },
                image: e.image.to_string(),
                variable: e.variable.to_string(),
                endpoints: Vec::new(),
            }),
    );
    v
}

fn store(s: &StoreModel) -> StorePlan {
    // Every store service has a health check (compose.stores.yaml); helpers run once. A store
    // another one's container serves is that container.
    let mut services = vec![Unit {
        service: s.runner().to_string(),
        kind: Kind::Store,
        healthcheck: true,
    }];
    services.extend(members(s).into_iter().map(|service| Unit {
        service,
        kind: Kind::Store,
        healthcheck: true,
    }));
    services.extend(init_service(s).map(|service| Unit {
        service,
        kind: Kind::Job,
        healthcheck: false,
    }));
    StorePlan {
        name: s.name.clone(),
        services,
        endpoints: store_endpoints(s),
    }
}

fn workload(w: &Workload) -> WorkloadPlan {
    let deps = |kind: DepKind| -> Vec<String> {
        w.uses
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.name.clone())
            .collect()
    };
    let mut after = deps(DepKind::Service);
    after.extend(w.after_jobs.iter().cloned());
    WorkloadPlan {
        unit: Unit {
            service: w.name.clone(),
            kind: if w.is_job() { Kind::Job } else { Kind::Service },
            healthcheck: w.health.is_some(),
        },
        stores: deps(DepKind::Store),
        after,
        precedes: if w.is_job() {
            w.before.clone()
        } else {
            Vec::new()
        },
        endpoints: workload_endpoints(w),
    }
}

fn secrets(model: &Model) -> Vec<SecretNeed> {
    let files = super::secrets::env_files(model);
    model
        .secrets
        .iter()
        .map(|s| SecretNeed {
            name: s.name.clone(),
            keys: s.keys.clone(),
            source: s.source.clone(),
            needed_by: files
                .iter()
                .filter(|f| {
                    f.vars
                        .iter()
                        .any(|(_, v)| v.secret_refs().any(|(name, _)| name == s.name))
                })
                .map(|f| f.owner.to_string())
                .chain(
                    model
                        .workloads
                        .iter()
                        .filter(|w| w.secret_files.iter().any(|f| f.secret == s.name))
                        .map(|w| w.name.clone()),
                )
                .collect(),
        })
        .collect()
}

/// Published ports of a workload (all bound to 127.0.0.1 by the renderer).
fn workload_endpoints(w: &Workload) -> Vec<Endpoint> {
    w.ports
        .iter()
        .filter_map(|p| {
            let host = p.publish?;
            let http = p.name.contains("http")
                || p.name == "web"
                || matches!(&w.health, Some(h) if matches!(&h.check, Check::Http { port_name, .. } if port_name == &p.name));
            Some(Endpoint {
                name: w.name.clone(),
                port: p.name.clone(),
                url: if http {
                    format!("http://127.0.0.1:{host}")
                } else {
                    format!("127.0.0.1:{host}")
                },
            })
        })
        .collect()
}

fn store_endpoints(s: &StoreModel) -> Vec<Endpoint> {
    let main = s.publish.map(|host| Endpoint {
        name: s.name.clone(),
        port: s.port.to_string(),
        url: store_url(s, host),
    });
    let extra = s.extra_ports.iter().filter_map(|p| {
        Some(Endpoint {
            name: s.name.clone(),
            port: p.name.clone(),
            url: format!("http://127.0.0.1:{}", p.publish?),
        })
    });
    main.into_iter().chain(extra).collect()
}

fn store_url(s: &StoreModel, host: u16) -> String {
    match s.kind {
        StoreType::Redis => format!("redis://127.0.0.1:{host}"),
        StoreType::Postgres => format!(
            "postgres://{}@127.0.0.1:{host}/{}",
            s.user,
            s.database.as_deref().unwrap_or("postgres")
        ),
        StoreType::Mongodb => format!("mongodb://127.0.0.1:{host}/?directConnection=true"),
        StoreType::Rabbitmq => format!("amqp://{}@127.0.0.1:{host}", s.user),
        StoreType::Mysql => format!(
            "mysql://{}@127.0.0.1:{host}/{}",
            s.user,
            s.database.as_deref().unwrap_or_default()
        ),
        StoreType::Smtp => format!("smtp://127.0.0.1:{host}"),
        _ => format!("http://127.0.0.1:{host}"),
    }
}
