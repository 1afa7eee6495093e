//! The development plan of a native environment (`berth dev`): which services run as host
//! processes (those with `dev.run`: shell command, working directory, environment, watch paths,
//! readiness probe) and what runs as containers from the compose realization (the stores, and
//! the services without `dev.run`). A compose environment's plan is its compose plan with
//! `compose.dev.yaml` layered on (`develop.watch`, see [`crate::compose::develop`]) and no
//! processes. Pure and serializable, like every plan: `berth dev --dry-run -o json` prints it
//! as it is.
//!
//! Decisions:
//! - Stores of a native environment (realized `host`: reached at 127.0.0.1 on their published
//!   port) run as containers publishing exactly that port, so the wiring the model computed
//!   holds unchanged for host processes.
//! - Readiness is the service's health check against 127.0.0.1; an `exec` check names a
//!   program inside the image, so for a host process it becomes a TCP probe of its first port.
//! - A host process listens on the host port of each of its ports (`publish`, else the port
//!   itself): that is where its readiness probe looks and where the wiring of the processes
//!   that use it points (`http://127.0.0.1:PORT`, not the compose service name).
//! - Services that run as containers here share the host's network (`compose.dev.yaml`:
//!   `network_mode: host`), so the same 127.0.0.1 wiring reaches stores and processes from
//!   inside them (Linux).

use super::{ComposePlan, Kind, Rendered, SecretNeed};
use crate::artifact::ArtifactSet;
use crate::compose;
use berth_spec::model::{Check, DepKind, EnvValue, Realized, StoreModel, Workload};
use berth_spec::StoreType;
use berth_spec::{Model, Platform};
use serde::Serialize;
use std::collections::BTreeSet;

/// The extra compose file of a dev session: the dev containers of a native environment on the
/// host's network; compose's `develop.watch` rules in a compose environment.
pub use crate::compose::DEV_FILE;
pub use crate::compose::{ServiceWatch, WatchAction, WatchRule};

/// What `berth dev` runs for one native environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DevPlan {
    pub project: String,
    pub environment: String,
    /// native (host processes beside containers) or compose (containers kept current).
    pub platform: Platform,
    /// What runs as containers (stores, services without `dev.run`), in the compose plan's
    /// terms; None when nothing does.
    pub containers: Option<ComposePlan>,
    /// The host processes, in dependency order.
    pub processes: Vec<ProcessPlan>,
    /// The secrets the processes' environments read.
    pub secrets: Vec<SecretNeed>,
    /// Compose dev mode: what `docker compose watch` syncs into or rebuilds, per service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watch: Vec<ServiceWatch>,
}

/// One service (or job) run on the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessPlan {
    pub name: String,
    pub kind: Kind,
    /// Shell command (`sh -c`).
    pub run: String,
    /// Working directory, relative to berth.yaml (`.` when not written).
    pub workdir: String,
    /// Environment added to the developer's own: wiring, `env`, secrets.
    pub env: Vec<ProcessVar>,
    /// Paths (relative to berth.yaml) whose changes restart it.
    pub watch: Vec<String>,
    /// Host ports it listens on (must be free before it starts).
    pub ports: Vec<u16>,
    pub readiness: Option<Readiness>,
    /// Workloads (processes or containers) it starts after: the services it uses and the jobs
    /// that must complete first.
    pub after: Vec<String>,
    /// The stores it uses.
    pub stores: Vec<String>,
    /// Programs that must be on PATH (a store's server), checked before anything starts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
}

/// One environment variable of a process; secret parts are filled in by the driver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessVar {
    pub name: String,
    pub value: EnvValue,
}

/// How Berth knows a host process is ready: the service's own health check, on the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    #[serde(flatten)]
    pub probe: Probe,
    /// Between probes (short: a developer waits for it).
    pub interval_ms: u64,
    /// Per probe.
    pub timeout_ms: u64,
    /// From the start until the process counts as failed to start: the check's start period
    /// plus its retries' worth of intervals, at least 120 s (a dev command often compiles
    /// first).
    pub deadline_ms: u64,
}

/// A readiness probe against 127.0.0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Probe {
    Http { url: String },
    Tcp { port: u16 },
    Exec { command: Vec<String> },
}

/// The development plan and the compose files of its containers (relative to the output dir).
/// None for a Kubernetes environment.
pub fn dev(model: &Model) -> Option<Rendered<DevPlan>> {
    match model.platform {
        Platform::Native => Some(native(model)),
        Platform::Compose => Some(compose_dev(model)),
        Platform::Kubernetes => None,
    }
}

/// A compose environment: the whole stack as containers, with `compose.dev.yaml` layered on
/// when a service has a dev mode (`docker compose watch` then keeps it current).
fn compose_dev(model: &Model) -> Rendered<DevPlan> {
    let files = compose::render(model);
    let mut plan = compose::plan(model);
    let watch = compose::develop::watches(model);
    if !watch.is_empty() {
        plan.files.push(DEV_FILE.to_string());
    }
    Rendered {
        files,
        plan: DevPlan {
            project: model.stack.clone(),
            environment: model.environment.clone(),
            platform: model.platform,
            containers: Some(plan),
            processes: Vec::new(),
            secrets: Vec::new(),
            watch,
        },
    }
}

fn native(model: &Model) -> Rendered<DevPlan> {
    let stores = model
        .stores
        .iter()
        .filter(|s| s.realization == Realized::Process)
        .map(store_process);
    let workloads = model
        .workloads
        .iter()
        .filter(|w| w.dev_run().is_some())
        .map(|w| process(model, w));
    let processes: Vec<ProcessPlan> = stores.chain(workloads).collect();
    let cmodel = container_model(model);
    let has_containers = !cmodel.stores.is_empty() || !cmodel.workloads.is_empty();
    let (files, containers) = if has_containers {
        let mut files = compose::render(&cmodel);
        let mut plan = compose::plan(&cmodel);
        if !cmodel.workloads.is_empty() {
            let path = format!("{}/{DEV_FILE}", plan.dir);
            files.insert(path, host_network(&cmodel).into_bytes());
            plan.files.push(DEV_FILE.to_string());
        }
        (files, Some(plan))
    } else {
        (ArtifactSet::default(), None)
    };
    let secrets = process_secrets(model, &processes);
    Rendered {
        files,
        plan: DevPlan {
            project: model.stack.clone(),
            environment: model.environment.clone(),
            platform: model.platform,
            containers,
            processes,
            secrets,
            watch: Vec::new(),
        },
    }
}

/// The model of what runs as containers (a compose model): the stores Berth runs (host-realized
/// ones become containers on the same port) and the workloads without `dev.run`, whose
/// dependencies on processes are dropped (Berth orders them itself).
pub fn container_model(model: &Model) -> Model {
    let processes: BTreeSet<&str> = model
        .workloads
        .iter()
        .filter(|w| w.dev_run().is_some())
        .map(|w| w.name.as_str())
        .collect();
    let mut m = model.clone();
    m.platform = Platform::Compose;
    m.stores
        .retain(|s| matches!(s.realization, Realized::Host { .. } | Realized::Container));
    for s in &mut m.stores {
        s.realization = Realized::Container;
        // `publish: 0` still leaves host processes reaching the store on its own port.
        if s.publish.is_none() {
            s.publish = s.wiring.port.as_plain().and_then(|p| p.parse().ok());
        }
    }
    // Host-realized stores now run as containers too: share emulators among all of them.
    berth_spec::resolve::share_emulators(&mut m.stores);
    m.workloads.retain(|w| w.dev_run().is_none());
    for w in &mut m.workloads {
        // They run their image as it is: no compose dev mode on the host network.
        w.dev = None;
        w.uses.retain(|d| !processes.contains(d.name.as_str()));
        w.after_jobs.retain(|j| !processes.contains(j.as_str()));
        w.before.retain(|j| !processes.contains(j.as_str()));
    }
    m
}

/// `compose.dev.yaml`: the dev containers on the host's network (their ports are the host's).
fn host_network(m: &Model) -> String {
    let mut s = format!(
        "# Written by berth dev: services run on the host network, like the host processes.\nname: {}\nservices:\n",
        m.stack
    );
    for w in &m.workloads {
        s.push_str(&format!(
            "  {}:\n    network_mode: host\n    networks: !reset null\n    ports: !reset []\n",
            w.name
        ));
    }
    s
}

fn process(model: &Model, w: &Workload) -> ProcessPlan {
    let dev = w.dev.as_ref().expect("only workloads with dev");
    let deps = |kind: DepKind| -> Vec<String> {
        w.uses
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.name.clone())
            .collect()
    };
    let mut after = deps(DepKind::Service);
    after.extend(w.after_jobs.iter().cloned());
    ProcessPlan {
        name: w.name.clone(),
        kind: if w.is_job() { Kind::Job } else { Kind::Service },
        run: dev.run.clone().unwrap_or_default(),
        workdir: dev.workdir.clone().unwrap_or_else(|| ".".into()),
        env: process_env(model, w),
        watch: dev.watch.clone(),
        ports: w
            .ports
            .iter()
            .map(|p| p.publish.unwrap_or(p.port))
            .collect(),
        readiness: w.health.as_ref().map(|h| Readiness {
            probe: probe(w, &h.check),
            interval_ms: 100,
            timeout_ms: u64::from(h.timeout_s.max(1)) * 1000,
            deadline_ms: u64::from((h.start_period_s + h.interval_s * h.retries).max(120)) * 1000,
        }),
        after,
        stores: deps(DepKind::Store),
        requires: Vec::new(),
    }
}

/// Where a store realized `process` keeps its data, relative to berth.yaml.
pub fn data_dir(store: &str) -> String {
    format!(".berth/data/{store}")
}

/// A store realized `process`: its server on the host, on the port its wiring names, data under
/// `.berth/data/<store>/`, the password from its generated secret. Ready when the port accepts
/// a connection (postgres creates the database before it listens).
fn store_process(s: &StoreModel) -> ProcessPlan {
    let port: u16 = s
        .wiring
        .port
        .as_plain()
        .and_then(|p| p.parse().ok())
        .unwrap_or(s.port);
    let data = data_dir(&s.name);
    let password = EnvValue::secret(&s.password_secret, "value");
    let args: String = s
        .args
        .iter()
        .map(|a| format!(" {}", shell_quote(a)))
        .collect();
    let (run, var) = match s.kind {
        StoreType::Postgres => (postgres_run(s, &data, port, &args), "PGPASSWORD"),
        _ => (
            format!(
                "mkdir -p {data} && exec redis-server --port {port} --bind 127.0.0.1 --dir {data} --appendonly yes --requirepass \"$REDIS_PASSWORD\"{args}"
            ),
            "REDIS_PASSWORD",
        ),
    };
    ProcessPlan {
        name: s.name.clone(),
        kind: Kind::Store,
        run,
        workdir: ".".into(),
        env: vec![ProcessVar {
            name: var.into(),
            value: password,
        }],
        watch: Vec::new(),
        ports: vec![port],
        readiness: Some(Readiness {
            probe: Probe::Tcp { port },
            interval_ms: 100,
            timeout_ms: 1000,
            deadline_ms: 120_000,
        }),
        after: Vec::new(),
        stores: Vec::new(),
        requires: berth_spec::store::process_programs(s.kind)
            .iter()
            .map(|p| p.to_string())
            .collect(),
    }
}

/// initdb on first start (the user, its password, the database), then the server on 127.0.0.1
/// only (no Unix socket). PostgreSQL refuses to run as root: as root it runs as `postgres`.
fn postgres_run(s: &StoreModel, data: &str, port: u16, args: &str) -> String {
    let db = s.database.clone().unwrap_or_else(|| s.name.clone());
    format!(
        "set -e; d={data}; mkdir -p \"$d\"; as_pg() {{ if [ \"$(id -u)\" = 0 ]; then chown -R postgres \"$d\"; runuser -u postgres -- \"$@\"; else \"$@\"; fi; }}; \
         if [ ! -s \"$d/PG_VERSION\" ]; then (umask 077; printf '%s\\n' \"$PGPASSWORD\" > \"$d.pw\"); \
         if [ \"$(id -u)\" = 0 ]; then chown postgres \"$d.pw\"; fi; \
         as_pg initdb -D \"$d\" -U {user} --pwfile=\"$d.pw\" -A scram-sha-256 -E UTF8 >/dev/null; rm -f \"$d.pw\"; \
         echo 'CREATE DATABASE \"{db}\"' | as_pg postgres --single -D \"$d\" postgres >/dev/null; fi; \
         if [ \"$(id -u)\" = 0 ]; then exec runuser -u postgres -- postgres -D \"$d\" -p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={args}; fi; \
         exec postgres -D \"$d\" -p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={args}",
        user = s.user,
    )
}

/// A word for `sh -c`: single-quoted unless it is plain.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The host port a workload's port `port` is reachable on.
fn host_port(w: &Workload, port: u16) -> u16 {
    w.ports
        .iter()
        .find(|p| p.port == port)
        .and_then(|p| p.publish)
        .unwrap_or(port)
}

fn probe(w: &Workload, check: &Check) -> Probe {
    match check {
        Check::Http { path, port, .. } => Probe::Http {
            url: format!("http://127.0.0.1:{}{path}", host_port(w, *port)),
        },
        Check::Tcp { port, .. } => Probe::Tcp {
            port: host_port(w, *port),
        },
        // An exec check names a program inside the image; on the host the service's first
        // port answering is the readiness (the command itself when it has no port).
        Check::Exec { command } => match w.primary_port() {
            Some(p) => Probe::Tcp {
                port: p.publish.unwrap_or(p.port),
            },
            None => Probe::Exec {
                command: command.clone(),
            },
        },
    }
}

/// The workload's environment, with the wiring of the services it uses pointed at 127.0.0.1
/// and their host port (the model wires services by their compose name).
fn process_env(model: &Model, w: &Workload) -> Vec<ProcessVar> {
    let mut vars: Vec<ProcessVar> = w
        .env
        .iter()
        .map(|v| ProcessVar {
            name: v.name.clone(),
            value: v.value.clone(),
        })
        .collect();
    for dep in w.uses.iter().filter(|d| d.kind == DepKind::Service) {
        let Some(other) = model.workload(&dep.name) else {
            continue;
        };
        let Some(p) = other.primary_port() else {
            continue;
        };
        let port = p.publish.unwrap_or(p.port);
        let prefix = berth_spec::model::screaming_snake(&dep.name);
        let wiring = [
            ("URL", format!("http://127.0.0.1:{port}")),
            ("HOST", "127.0.0.1".to_string()),
            ("PORT", port.to_string()),
        ];
        for (suffix, value) in wiring {
            let name = format!("{prefix}_{suffix}");
            let wired = w
                .env
                .iter()
                .any(|v| v.name == name && v.origin == berth_spec::model::EnvOrigin::Wiring);
            if let Some(var) = vars.iter_mut().find(|v| v.name == name).filter(|_| wired) {
                var.value = EnvValue::lit(value);
            }
        }
    }
    vars
}

/// The model's secrets that some process reads, with the processes reading them.
fn process_secrets(model: &Model, processes: &[ProcessPlan]) -> Vec<SecretNeed> {
    model
        .secrets
        .iter()
        .filter_map(|s| {
            let needed_by: Vec<String> = processes
                .iter()
                .filter(|p| {
                    p.env
                        .iter()
                        .any(|v| v.value.secret_refs().any(|(n, _)| n == s.name))
                })
                .map(|p| p.name.clone())
                .collect();
            (!needed_by.is_empty()).then(|| SecretNeed {
                name: s.name.clone(),
                keys: s.keys.clone(),
                source: s.source.clone(),
                needed_by,
            })
        })
        .collect()
}
