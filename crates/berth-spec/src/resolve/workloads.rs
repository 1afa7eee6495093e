//! The workloads of one environment — ports, health, dependencies and their wiring, environment
//! variables, image, scaling, exposure and volumes, with the environment's overrides applied —
//! ordered so that everything a workload needs comes before it.

use super::context::Resolver;
use super::resources::resources_model;
use crate::image::ImageRef;
use crate::model::*;
use crate::spec::WorkloadKind;
use crate::spec::{Autoscale, Expose, Health, Platform, Restart, Service, ServiceOverride};
use indexmap::IndexMap;

/// Every service and job of the spec, in dependency order.
pub(super) fn workloads(r: &mut Resolver, stores: &[StoreModel], tag: &str) -> Vec<Workload> {
    let spec = r.spec;
    let mut all: Vec<Workload> = spec
        .services
        .iter()
        .map(|(name, svc)| workload(r, name, svc, stores, tag))
        .collect();
    hold_back_for_jobs(&mut all);
    topo_order(all)
}

/// The environment's overrides of one service, nearest first.
type Overrides<'a> = [&'a ServiceOverride];

/// The nearest override's value, else the service's own.
fn pick<'a, T>(
    overrides: &Overrides<'a>,
    own: Option<&'a T>,
    f: impl Fn(&'a ServiceOverride) -> Option<&'a T>,
) -> Option<&'a T> {
    overrides.iter().find_map(|o| f(o)).or(own)
}

fn workload(
    r: &mut Resolver,
    name: &str,
    svc: &Service,
    stores: &[StoreModel],
    tag: &str,
) -> Workload {
    let chain = r.chain;
    let overrides: Vec<&ServiceOverride> = chain.service_overrides(name).collect();
    let kind = svc.kind();
    let ports = ports(svc, &overrides);
    let health = svc.health.as_ref().and_then(|h| health(h, &ports));
    let deps = dependencies(r, svc, stores);
    let env = env_vars(r, name, svc, &overrides, &deps.wiring);
    let autoscale = pick(&overrides, svc.autoscale.as_ref(), |o| o.autoscale.as_ref());
    let resources = pick(&overrides, svc.resources.as_ref(), |o| o.resources.as_ref());
    let expose = pick(&overrides, svc.expose.as_ref(), |o| o.expose.as_ref());
    let service = kind == WorkloadKind::Service;
    Workload {
        name: name.to_string(),
        kind,
        image: image(r, name, svc, &overrides, tag),
        build: build(svc),
        entrypoint: svc
            .entrypoint
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_default(),
        command: svc
            .command
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_default(),
        health,
        uses: deps.uses,
        after_jobs: deps.after_jobs,
        before: svc.before.iter().map(|b| b.value.clone()).collect(),
        env,
        replicas: pick(&overrides, svc.replicas.as_ref(), |o| o.replicas.as_ref())
            .map_or(1, |r| r.value),
        autoscale: autoscale.filter(|_| service).map(autoscale_model),
        resources: resources_model(resources, 100, 128),
        expose: expose
            .filter(|_| service)
            .map(|e| expose_model(r, name, e, &ports)),
        restart: svc.restart.as_ref().map(|r| r.value).unwrap_or(match kind {
            WorkloadKind::Service => Restart::Always,
            WorkloadKind::Job => Restart::OnFailure,
        }),
        volumes: volumes(name, &svc.volumes),
        files: files(&svc.files),
        secret_files: svc
            .secret_files
            .iter()
            .map(|(file, secret)| {
                r.declared_secret(&secret.value);
                SecretFile {
                    path: secret_file_path(file),
                    secret: secret.value.clone(),
                }
            })
            .collect(),
        writable: svc.writable.iter().map(|w| w.value.clone()).collect(),
        dev: svc.dev.as_ref().map(|d| DevModel {
            run: d.run.as_ref().map(|r| r.value.clone()),
            watch: d.watch.iter().map(|w| w.value.clone()).collect(),
            workdir: d.workdir.as_ref().map(|w| w.value.clone()),
            sync: files(&d.sync),
        }),
        strategy: if service {
            super::delivery::strategy(svc.strategy.as_ref())
        } else {
            StrategyModel::Rolling
        },
        metrics: super::observe::metrics(svc, &ports),
        ports,
    }
}

/// Named ports, with the host port each publishes (compose, native) or is forwarded to
/// (`berth forward`, Kubernetes).
fn ports(svc: &Service, overrides: &Overrides) -> Vec<PortModel> {
    svc.ports
        .iter()
        .map(|(pname, num)| {
            let key = pname.value.as_str();
            let publish =
                pick(overrides, svc.publish.get(key), |o| o.publish.get(key)).map(|p| p.value);
            PortModel {
                name: pname.value.clone(),
                port: num.number,
                protocol: num.protocol,
                publish,
            }
        })
        .collect()
}

/// The port named `pname` (the primary port when None); unknown names get port 0.
fn port_of(ports: &[PortModel], pname: Option<&str>) -> (String, u16) {
    let found = match pname {
        Some(n) => ports.iter().find(|p| p.name == n),
        None => ports.first(),
    };
    found
        .map(|p| (p.name.clone(), p.port))
        .unwrap_or_else(|| (pname.unwrap_or("http").to_string(), 0))
}

fn health(h: &Health, ports: &[PortModel]) -> Option<HealthModel> {
    let check = if let Some(http) = &h.http {
        let (port_name, port) = port_of(ports, http.port.as_ref().map(|p| p.value.as_str()));
        Check::Http {
            path: http.path.value.clone(),
            port,
            port_name,
        }
    } else if let Some(tcp) = &h.tcp {
        let (port_name, port) = port_of(ports, Some(tcp.value.as_str()));
        Check::Tcp { port, port_name }
    } else {
        Check::Exec {
            command: h.exec.as_ref()?.value.clone(),
        }
    };
    let secs = |d: &Option<crate::source::Spanned<crate::duration::Duration>>, default: u32| {
        d.as_ref().map_or(default, |d| d.value.secs())
    };
    Some(HealthModel {
        check,
        interval_s: secs(&h.interval, 10),
        timeout_s: secs(&h.timeout, 5),
        retries: h.retries.as_ref().map(|r| r.value).unwrap_or(3),
        start_period_s: secs(&h.start_period, 5),
    })
}

/// What a workload uses: stores and services (with their wiring), and jobs to wait for.
struct Deps {
    uses: Vec<Dep>,
    wiring: IndexMap<String, Wiring>,
    after_jobs: Vec<String>,
}

fn dependencies(r: &Resolver, svc: &Service, stores: &[StoreModel]) -> Deps {
    let mut deps = Deps {
        uses: Vec::new(),
        wiring: IndexMap::new(),
        after_jobs: Vec::new(),
    };
    for dep in &svc.uses {
        let name = dep.value.clone();
        if let Some(store) = stores.iter().find(|s| s.name == name) {
            deps.wiring.insert(name.clone(), store.wiring.clone());
            deps.uses.push(Dep {
                name,
                kind: DepKind::Store,
            });
        } else if let Some(other) = r.spec.services.get(name.as_str()) {
            if other.kind() == WorkloadKind::Job {
                deps.after_jobs.push(name);
                continue;
            }
            let port = other.ports.values().next().map_or(80, |p| p.number);
            let wiring = Wiring::plain(format!("http://{name}:{port}"), &name, port);
            deps.wiring.insert(name.clone(), wiring);
            deps.uses.push(Dep {
                name,
                kind: DepKind::Service,
            });
        }
    }
    deps
}

/// Wiring variables first (per dependency, contract order), then the user's `env` (the service's
/// own, then the overrides from the farthest environment to the nearest; a user variable replaces
/// a wiring one of the same name), then the declared secrets.
fn env_vars(
    r: &mut Resolver,
    name: &str,
    svc: &Service,
    overrides: &Overrides,
    wiring: &IndexMap<String, Wiring>,
) -> Vec<EnvVar> {
    let mut env: Vec<EnvVar> =
        super::observe::otel_env(&r.observability, r.platform, &r.stack, r.env_name, name);
    for (dep, w) in wiring {
        let prefix = screaming_snake(dep);
        for (suffix, value) in w.vars() {
            env.push(EnvVar {
                name: format!("{prefix}_{suffix}"),
                value: value.clone(),
                origin: EnvOrigin::Wiring,
            });
        }
    }
    let mut user_env: IndexMap<&str, &str> = IndexMap::new();
    for o in std::iter::once(&svc.env).chain(overrides.iter().rev().map(|o| &o.env)) {
        for (k, v) in o {
            user_env.insert(&k.value, &v.value);
        }
    }
    for (k, v) in user_env {
        let value = r.template_value(v, wiring);
        env.retain(|e| e.name != k);
        env.push(EnvVar {
            name: k.to_string(),
            value,
            origin: EnvOrigin::User,
        });
    }
    for s in &svc.secrets {
        r.declared_secret(&s.value);
        let var = screaming_snake(&s.value);
        env.retain(|e| e.name != var);
        env.push(EnvVar {
            name: var,
            value: EnvValue::secret(s.value.clone(), "value"),
            origin: EnvOrigin::Secret,
        });
    }
    env
}

/// The image as written (the nearest override first), else the one Berth builds:
/// `<registry or stack>/<name>:<tag>`.
fn image(r: &Resolver, name: &str, svc: &Service, overrides: &Overrides, tag: &str) -> ImageRef {
    if let Some(i) = pick(overrides, svc.image.as_ref(), |o| o.image.as_ref()) {
        return i.value.clone();
    }
    let repo = match &r.spec.registry {
        Some(reg) => reg.value.trim_end_matches('/'),
        None => r.stack.as_str(),
    };
    ImageRef::parse(&format!("{repo}/{name}:{tag}"))
}

fn build(svc: &Service) -> Option<BuildModel> {
    let b = svc.build.as_ref()?;
    Some(BuildModel {
        context: b
            .context
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_else(|| ".".into()),
        dockerfile: b.dockerfile.as_ref().map(|d| d.value.clone()),
        target: b.target.as_ref().map(|t| t.value.clone()),
        args: b
            .args
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect(),
    })
}

/// Autoscaling targets 70 % CPU unless a target is written.
fn autoscale_model(a: &Autoscale) -> AutoscaleModel {
    let memory = a.memory.as_ref().map(|m| m.value);
    AutoscaleModel {
        min: a.min.value,
        max: a.max.value,
        cpu: a
            .cpu
            .as_ref()
            .map(|c| c.value)
            .or(memory.is_none().then_some(70)),
        memory,
    }
}

/// The host of an exposed service: a dotted host as written; a bare label under the
/// environment's domain (or `.localhost`); with no host, `<name>.<domain>`, or `<name>.localhost`
/// in a cluster.
fn expose_model(r: &Resolver, name: &str, e: &Expose, ports: &[PortModel]) -> ExposeModel {
    let (port_name, port) = port_of(ports, e.port.as_ref().map(|p| p.value.as_str()));
    let kube = r.platform == Platform::Kubernetes;
    let host = match (e.host.as_ref().map(|h| h.value.as_str()), r.domain) {
        (Some(h), _) if h.contains('.') => Some(h.to_string()),
        (Some(h), Some(d)) => Some(format!("{h}.{d}")),
        (Some(h), None) => Some(format!("{h}.localhost")),
        (None, Some(d)) => Some(format!("{name}.{d}")),
        (None, None) if kube => Some(format!("{name}.localhost")),
        (None, None) => None,
    };
    ExposeModel {
        host,
        path: e
            .path
            .as_ref()
            .map(|p| p.value.clone())
            .unwrap_or_else(|| "/".into()),
        port_name,
        port,
        tls: e.tls.as_ref().map(|t| t.value).unwrap_or(kube),
    }
}

/// `/run/secrets/NAME` for a bare file name, else the absolute path as written.
pub fn secret_file_path(file: &str) -> String {
    if file.starts_with('/') {
        file.to_string()
    } else {
        format!("/run/secrets/{file}")
    }
}

/// Project files mounted into a workload or store.
pub(super) fn files(files: &crate::spec::Map<crate::Spanned<String>>) -> Vec<FileMount> {
    files
        .iter()
        .map(|(path, source)| FileMount {
            path: path.value.clone(),
            source: source.trim_start_matches("./").to_string(),
            content: Vec::new(),
        })
        .collect()
}

/// The volumes of workload (or store) `workload`.
pub(super) fn volumes(
    workload: &str,
    volumes: &crate::spec::Map<crate::spec::Volume>,
) -> Vec<VolumeModel> {
    volumes
        .iter()
        .map(|(vname, v)| VolumeModel {
            name: vname.value.clone(),
            volume: v
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| format!("{workload}-{vname}")),
            external: v.external.as_ref().is_some_and(|e| e.value),
            named: v.name.is_some(),
            path: v.path.value.clone(),
            size: v
                .size
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or_else(|| crate::quantity::Memory::gibibytes(1)),
        })
        .collect()
}

/// Jobs hold back the services listed in their `before`.
fn hold_back_for_jobs(workloads: &mut [Workload]) {
    let befores: Vec<(String, Vec<String>)> = workloads
        .iter()
        .filter(|w| w.is_job())
        .map(|w| (w.name.clone(), w.before.clone()))
        .collect();
    for (job, before) in befores {
        for target in before {
            if let Some(w) = workloads.iter_mut().find(|w| w.name == target) {
                if !w.after_jobs.contains(&job) {
                    w.after_jobs.push(job.clone());
                }
            }
        }
    }
}

/// Order workloads so that each comes after the services it uses and the jobs it waits for.
/// Stable: among ready workloads, spec order wins. Cycles (reported by checks) keep spec order.
fn topo_order(all: Vec<Workload>) -> Vec<Workload> {
    // O((workloads + dependencies) log workloads): each waits for a count of dependencies
    // still to place, and the first ready one in spec order (or, in a cycle, the first one
    // left) goes next.
    let index: std::collections::HashMap<&str, usize> = all
        .iter()
        .enumerate()
        .map(|(i, w)| (w.name.as_str(), i))
        .collect();
    let mut waiting = vec![0usize; all.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); all.len()];
    for (i, w) in all.iter().enumerate() {
        let services = w.uses.iter().filter(|d| d.kind == DepKind::Service);
        for d in services.map(|d| &d.name).chain(&w.after_jobs) {
            if let Some(&j) = index.get(d.as_str()) {
                waiting[i] += 1;
                dependents[j].push(i);
            }
        }
    }
    let mut left: std::collections::BTreeSet<usize> = (0..all.len()).collect();
    let mut ready: std::collections::BTreeSet<usize> =
        left.iter().copied().filter(|i| waiting[*i] == 0).collect();
    let mut order = Vec::with_capacity(all.len());
    while let Some(i) = ready.pop_first().or_else(|| left.first().copied()) {
        left.remove(&i);
        order.push(i);
        for &k in &dependents[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 && left.contains(&k) {
                ready.insert(k);
            }
        }
    }
    let mut slots: Vec<Option<Workload>> = all.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}
