//! Resolution: one environment of a checked spec → a fully resolved [`Model`]. Pure: defaults,
//! `extends`, store realizations, secrets sources and the wiring contract (docs/wiring.md).

use crate::model::*;
use crate::spec::{
    Autoscale, Cloud, Cluster, Environment, Expose, Infra, Platform, RealizationKind, Realizations,
    Resources, Restart, Secret, Service, Spec, Store, StoreType, WorkloadKind,
};
use crate::template::{self, Piece};
use indexmap::IndexMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("unknown environment `{name}`; {help}")]
    UnknownEnvironment { name: String, help: String },
    #[error("environment `{0}` has no platform (set `platform:` or `extends:`)")]
    NoPlatform(String),
}

/// Standard facts about a store type.
pub struct StoreFacts {
    pub port: u16,
    pub image: &'static str,
    pub image_suffix: &'static str,
    pub user: &'static str,
    pub scheme: &'static str,
    pub has_db: bool,
    pub memory: &'static str,
}

pub fn store_facts(kind: StoreType) -> StoreFacts {
    match kind {
        StoreType::Redis => StoreFacts {
            port: 6379,
            image: "redis",
            image_suffix: "",
            user: "default",
            scheme: "redis",
            has_db: false,
            memory: "256Mi",
        },
        StoreType::Postgres => StoreFacts {
            port: 5432,
            image: "postgres",
            image_suffix: "",
            user: "app",
            scheme: "postgres",
            has_db: true,
            memory: "256Mi",
        },
        StoreType::Mongodb => StoreFacts {
            port: 27017,
            image: "mongo",
            image_suffix: "",
            user: "app",
            scheme: "mongodb",
            has_db: true,
            memory: "512Mi",
        },
        StoreType::Rabbitmq => StoreFacts {
            port: 5672,
            image: "rabbitmq",
            image_suffix: "-management",
            user: "app",
            scheme: "amqp",
            has_db: false,
            memory: "512Mi",
        },
    }
}

/// An environment with its `extends` chain applied (child values win).
#[derive(Debug, Clone, Default)]
pub struct Flattened {
    pub platform: Option<Platform>,
    pub cluster: Option<Cluster>,
    pub cloud: Option<Cloud>,
    pub region: Option<String>,
    pub domain: Option<String>,
    pub namespace: Option<String>,
    pub tag: Option<String>,
    pub all_stores: Option<RealizationKind>,
    pub stores: IndexMap<String, crate::spec::Realization>,
    pub services: IndexMap<String, Vec<crate::spec::ServiceOverride>>,
    pub secrets: IndexMap<String, Secret>,
    pub infra: Vec<Infra>,
}

/// Apply the `extends` chain of `name` (parents first). Cycles stop the walk (check reports them).
pub fn flatten(spec: &Spec, name: &str) -> Option<Flattened> {
    let mut chain: Vec<&Environment> = Vec::new();
    let mut cur = Some(name.to_string());
    while let Some(n) = cur {
        let env = spec.environments.get(n.as_str())?;
        if chain.iter().any(|e| std::ptr::eq(*e, env)) {
            break;
        }
        chain.push(env);
        cur = env.extends.as_ref().map(|e| e.value.clone());
    }
    let mut f = Flattened::default();
    for env in chain.iter().rev() {
        macro_rules! take {
            ($field:ident) => {
                if let Some(v) = &env.$field {
                    f.$field = Some(v.value.clone());
                }
            };
        }
        take!(platform);
        take!(cluster);
        take!(cloud);
        take!(region);
        take!(domain);
        take!(namespace);
        take!(tag);
        match &env.stores {
            Some(Realizations::All(k)) => {
                f.all_stores = Some(k.value);
                f.stores.clear();
            }
            Some(Realizations::PerStore(m)) => {
                for (k, v) in m {
                    f.stores.insert(k.value.clone(), v.clone());
                }
            }
            None => {}
        }
        for (k, v) in &env.services {
            f.services
                .entry(k.value.clone())
                .or_default()
                .push(v.clone());
        }
        for (k, v) in &env.secrets {
            f.secrets.insert(k.value.clone(), v.clone());
        }
        if let Some(i) = &env.infra {
            f.infra.push(i.clone());
        }
    }
    Some(f)
}

/// Resolve environment `env_name` of a spec that passed its checks.
pub fn resolve(spec: &Spec, env_name: &str) -> Result<Model, ResolveError> {
    let Some(env) = flatten(spec, env_name) else {
        return Err(ResolveError::UnknownEnvironment {
            name: env_name.to_string(),
            help: crate::diag::unknown_help(
                env_name,
                "environments",
                spec.environments.keys().map(|k| k.value.as_str()),
            ),
        });
    };
    let platform = env
        .platform
        .ok_or_else(|| ResolveError::NoPlatform(env_name.to_string()))?;
    let stack = spec.name.value.clone();
    let tag = env
        .tag
        .clone()
        .or_else(|| spec.version.as_ref().map(|v| v.value.clone()))
        .unwrap_or_else(|| "dev".to_string());
    let mut r = Resolver {
        spec,
        env: &env,
        env_name,
        platform,
        stack: stack.clone(),
        secrets: IndexMap::new(),
    };
    let stores: Vec<StoreModel> = spec
        .stores
        .iter()
        .map(|(name, store)| r.store(name, store))
        .collect();
    let mut workloads: Vec<Workload> = spec
        .services
        .iter()
        .map(|(name, svc)| r.workload(name, svc, &stores, &tag))
        .collect();
    // Jobs hold back the services listed in their `before`.
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
    let workloads = topo_order(std::mem::take(&mut workloads));
    let infra = (env.cloud.is_some()).then(|| infra_model(&stack, env_name, &env.infra));
    let secrets = r.secrets.into_values().collect();
    Ok(Model {
        stack: stack.clone(),
        environment: env_name.to_string(),
        platform,
        cluster: env.cluster,
        cloud: env.cloud,
        region: env.region.clone(),
        domain: env.domain.clone(),
        namespace: env.namespace.clone().unwrap_or(stack),
        registry: spec.registry.as_ref().map(|r| r.value.clone()),
        tag,
        stores,
        workloads,
        secrets,
        infra,
    })
}

struct Resolver<'a> {
    spec: &'a Spec,
    env: &'a Flattened,
    env_name: &'a str,
    platform: Platform,
    stack: String,
    secrets: IndexMap<String, SecretModel>,
}

impl Resolver<'_> {
    fn cloud(&self) -> bool {
        self.env.cloud.is_some()
    }

    fn default_realization(&self) -> RealizationKind {
        match self.platform {
            Platform::Compose => RealizationKind::Container,
            Platform::Native => RealizationKind::Host,
            Platform::Kubernetes if self.cloud() => RealizationKind::Managed,
            Platform::Kubernetes => RealizationKind::InCluster,
        }
    }

    fn host_address(&self) -> String {
        match (self.platform, self.env.cluster) {
            (Platform::Native, _) => "127.0.0.1".into(),
            (Platform::Kubernetes, Some(Cluster::Minikube)) => "host.minikube.internal".into(),
            (Platform::Kubernetes, Some(Cluster::K3d)) => "host.k3d.internal".into(),
            _ => "host.docker.internal".into(),
        }
    }

    fn aws_name(&self, what: &str) -> String {
        format!("{}/{}/{}", self.stack, self.env_name, what)
    }

    /// Register a secret the environment needs.
    fn add_secret(&mut self, name: &str, source: SecretSource, keys: &[&str], purpose: String) {
        self.secrets
            .entry(name.to_string())
            .or_insert_with(|| SecretModel {
                name: name.to_string(),
                source,
                keys: keys.iter().map(|k| k.to_string()).collect(),
                purpose,
            });
    }

    /// The source of a declared secret in this environment.
    fn declared_secret(&mut self, name: &str) {
        if self.secrets.contains_key(name) {
            return;
        }
        let decl = self
            .env
            .secrets
            .get(name)
            .or_else(|| self.spec.secrets.get(name));
        let Some(decl) = decl else { return };
        let generate = decl
            .generate
            .as_ref()
            .map(|g| g.length.as_ref().map(|l| l.value).unwrap_or(32));
        let source = if let Some(aws) = &decl.aws {
            SecretSource::Aws {
                name: aws.value.clone(),
                generate: None,
            }
        } else if let Some(len) = generate {
            if self.cloud() {
                SecretSource::Aws {
                    name: self.aws_name(name),
                    generate: Some(len),
                }
            } else {
                SecretSource::Generate { length: len }
            }
        } else if let Some(var) = &decl.env {
            SecretSource::Env {
                var: var.value.clone(),
            }
        } else if let Some(path) = &decl.file {
            SecretSource::File {
                path: path.value.clone(),
            }
        } else {
            SecretSource::Generate { length: 32 }
        };
        let purpose = decl
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| "declared secret".into());
        self.add_secret(name, source, &["value"], purpose);
    }

    fn store(&mut self, name: &str, store: &Store) -> StoreModel {
        let kind = store.r#type.value;
        let facts = store_facts(kind);
        let realization = match self.env.stores.get(name) {
            Some(crate::spec::Realization::Kind(k)) => k.value,
            Some(crate::spec::Realization::External(ext)) => {
                return self.external_store(name, store, &ext.external.value);
            }
            None => self.env.all_stores.unwrap_or(self.default_realization()),
        };
        let replicas = store.replicas.as_ref().map(|r| r.value).unwrap_or(1);
        let database = facts.has_db.then(|| {
            store
                .database
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_else(|| name.to_string())
        });
        let replica_set = (kind == StoreType::Mongodb)
            .then(|| match &store.replica_set {
                Some(rs) => Some(rs.value.clone()),
                None if replicas > 1 => Some("rs0".to_string()),
                None => None,
            })
            .flatten();
        let image = store
            .image
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_else(|| {
                format!(
                    "{}:{}{}",
                    facts.image, store.version.value, facts.image_suffix
                )
            });
        let standard_publish =
            if self.platform == Platform::Compose || self.platform == Platform::Native {
                match store.publish.as_ref().map(|p| p.value) {
                    Some(0) => None,
                    Some(p) => Some(p),
                    None => Some(facts.port),
                }
            } else {
                None
            };
        let extra_ports = if kind == StoreType::Rabbitmq {
            vec![PortModel {
                name: "management".into(),
                port: 15672,
                publish: standard_publish.map(|_| 15672),
            }]
        } else {
            Vec::new()
        };
        let resources = resources_model(store.resources.as_ref(), "250m", facts.memory);
        let storage = store
            .storage
            .as_ref()
            .map(|s| s.value.clone())
            .unwrap_or_else(|| "1Gi".into());
        let (realized, password_secret, wiring) = if realization == RealizationKind::Managed {
            let secret = format!("{name}-connection");
            self.add_secret(
                &secret,
                SecretSource::Aws {
                    name: self.aws_name(name),
                    generate: None,
                },
                &["url", "host", "port", "user", "password"],
                format!("connection to managed store `{name}` (written by Terraform)"),
            );
            let field = |k: &str| EnvValue::secret(&secret, k);
            let wiring = Wiring {
                url: field("url"),
                host: field("host"),
                port: field("port"),
                user: facts.has_db.then(|| field("user")),
                password: Some(field("password")),
                db: database.clone().map(EnvValue::lit),
            };
            (Realized::Managed, secret, wiring)
        } else {
            let secret = format!("{name}-password");
            // In a cloud environment nothing on a laptop holds state: the password of a store
            // run in the cluster is generated by Terraform into Secrets Manager, like a
            // declared `generate` secret, and read through External Secrets.
            let source = if self.cloud() {
                SecretSource::Aws {
                    name: self.aws_name(&secret),
                    generate: Some(32),
                }
            } else {
                SecretSource::Generate { length: 32 }
            };
            self.add_secret(
                &secret,
                source,
                &["value"],
                format!("password of store `{name}`"),
            );
            let (realized, host, port) = match realization {
                RealizationKind::Host => {
                    let addr = self.host_address();
                    let port = store
                        .publish
                        .as_ref()
                        .map(|p| p.value)
                        .filter(|p| *p != 0)
                        .unwrap_or(facts.port);
                    // In a cluster the store is reached through a Service named after it
                    // (ExternalName → the host address): workloads use the same name as in
                    // compose, and so do MongoDB replica set members (`mongo:27017`).
                    let host = if self.platform == Platform::Kubernetes {
                        name.to_string()
                    } else {
                        addr.clone()
                    };
                    (Realized::Host { address: addr }, host, port)
                }
                RealizationKind::InCluster => (Realized::InCluster, name.to_string(), facts.port),
                _ => (Realized::Container, name.to_string(), facts.port),
            };
            let password = EnvValue::secret(&secret, "value");
            let hosts = if realized == Realized::InCluster && replica_set.is_some() && replicas > 1
            {
                (0..replicas)
                    .map(|i| format!("{name}-{i}.{name}-headless:{port}"))
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                format!("{host}:{port}")
            };
            let url = store_url(
                &facts,
                kind,
                &password,
                &hosts,
                database.as_deref(),
                replica_set.as_deref(),
            );
            let wiring = Wiring {
                url,
                host: EnvValue::lit(&host),
                port: EnvValue::lit(port.to_string()),
                user: Some(EnvValue::lit(facts.user)),
                password: Some(password),
                db: database.clone().map(EnvValue::lit),
            };
            (realized, secret, wiring)
        };
        StoreModel {
            name: name.to_string(),
            kind,
            version: store.version.value.clone(),
            replicas,
            storage,
            database,
            replica_set,
            publish: if realized == Realized::Container || self.platform == Platform::Native {
                standard_publish
            } else {
                None
            },
            realization: realized,
            image,
            port: facts.port,
            extra_ports,
            user: facts.user.to_string(),
            password_secret,
            resources,
            wiring,
        }
    }

    fn external_store(&mut self, name: &str, store: &Store, url: &str) -> StoreModel {
        let kind = store.r#type.value;
        let facts = store_facts(kind);
        let url_value = self.template_value(url, &[], &IndexMap::new());
        let literal = url_value.render(|_, _| String::new());
        let (host, port) = url_host_port(&literal).unwrap_or((name.to_string(), facts.port));
        let password_secret = url_value
            .secret_refs()
            .next()
            .map(|(s, _)| s.to_string())
            .unwrap_or_default();
        let database = facts.has_db.then(|| {
            store
                .database
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_else(|| name.to_string())
        });
        StoreModel {
            name: name.to_string(),
            kind,
            version: store.version.value.clone(),
            replicas: store.replicas.as_ref().map(|r| r.value).unwrap_or(1),
            storage: store
                .storage
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or_else(|| "1Gi".into()),
            database: database.clone(),
            replica_set: store.replica_set.as_ref().map(|r| r.value.clone()),
            realization: Realized::External {
                url: url_value.clone(),
            },
            image: String::new(),
            port,
            extra_ports: Vec::new(),
            publish: None,
            user: facts.user.to_string(),
            password_secret,
            resources: resources_model(store.resources.as_ref(), "250m", facts.memory),
            wiring: Wiring {
                url: url_value,
                host: EnvValue::lit(host),
                port: EnvValue::lit(port.to_string()),
                user: None,
                password: None,
                db: database.map(EnvValue::lit),
            },
        }
    }

    /// Turn a template into a value: `${dep.field}` from `deps`' wiring, `${secrets.X}` secrets.
    fn template_value(
        &mut self,
        text: &str,
        _uses: &[Dep],
        wiring: &IndexMap<String, Wiring>,
    ) -> EnvValue {
        let Ok(pieces) = template::parse(text) else {
            return EnvValue::lit(text);
        };
        let mut parts = Vec::new();
        for p in pieces {
            match p {
                Piece::Lit(l) => parts.push(EnvValue::lit(l)),
                Piece::Secret(s) => {
                    self.declared_secret(&s);
                    parts.push(EnvValue::secret(s, "value"));
                }
                Piece::Ref { dep, field } => {
                    if let Some(v) = wiring.get(&dep).and_then(|w| w.field(&field)) {
                        parts.push(v.clone());
                    }
                }
            }
        }
        EnvValue::concat(parts)
    }

    fn workload(
        &mut self,
        name: &str,
        svc: &Service,
        stores: &[StoreModel],
        tag: &str,
    ) -> Workload {
        let overrides: &[crate::spec::ServiceOverride] = self
            .env
            .services
            .get(name)
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        let last = |f: &dyn Fn(&crate::spec::ServiceOverride) -> bool| {
            overrides.iter().rev().find(|o| f(o))
        };
        let kind = svc.kind();
        let ports: Vec<PortModel> = svc
            .ports
            .iter()
            .map(|(pname, num)| {
                let publish = if matches!(self.platform, Platform::Compose | Platform::Native) {
                    overrides
                        .iter()
                        .rev()
                        .find_map(|o| o.publish.get(pname.value.as_str()).map(|p| p.value))
                        .or_else(|| svc.publish.get(pname.value.as_str()).map(|p| p.value))
                } else {
                    None
                };
                PortModel {
                    name: pname.value.clone(),
                    port: num.value,
                    publish,
                }
            })
            .collect();
        let port_of = |pname: Option<&str>| -> (String, u16) {
            let found = match pname {
                Some(n) => ports.iter().find(|p| p.name == n),
                None => ports.first(),
            };
            found
                .map(|p| (p.name.clone(), p.port))
                .unwrap_or_else(|| (pname.unwrap_or("http").to_string(), 0))
        };
        let health = svc.health.as_ref().and_then(|h| {
            let check = if let Some(http) = &h.http {
                let (port_name, port) = port_of(http.port.as_ref().map(|p| p.value.as_str()));
                Check::Http {
                    path: http.path.value.clone(),
                    port,
                    port_name,
                }
            } else if let Some(tcp) = &h.tcp {
                let (port_name, port) = port_of(Some(tcp.value.as_str()));
                Check::Tcp { port, port_name }
            } else {
                Check::Exec {
                    command: h.exec.as_ref()?.value.clone(),
                }
            };
            let secs = |d: &Option<crate::Spanned<String>>, default: u32| {
                d.as_ref()
                    .and_then(|d| duration_secs(&d.value))
                    .unwrap_or(default)
            };
            Some(HealthModel {
                check,
                interval_s: secs(&h.interval, 10),
                timeout_s: secs(&h.timeout, 5),
                retries: h.retries.as_ref().map(|r| r.value).unwrap_or(3),
                start_period_s: secs(&h.start_period, 5),
            })
        });
        // Dependencies and their wiring.
        let mut uses = Vec::new();
        let mut wiring: IndexMap<String, Wiring> = IndexMap::new();
        let mut after_jobs = Vec::new();
        for dep in &svc.uses {
            if let Some(store) = stores.iter().find(|s| s.name == dep.value) {
                uses.push(Dep {
                    name: dep.value.clone(),
                    kind: DepKind::Store,
                });
                wiring.insert(dep.value.clone(), store.wiring.clone());
            } else if let Some(other) = self.spec.services.get(dep.value.as_str()) {
                if other.kind() == WorkloadKind::Job {
                    after_jobs.push(dep.value.clone());
                    continue;
                }
                uses.push(Dep {
                    name: dep.value.clone(),
                    kind: DepKind::Service,
                });
                let port = other.ports.values().next().map(|p| p.value).unwrap_or(80);
                wiring.insert(
                    dep.value.clone(),
                    Wiring {
                        url: EnvValue::lit(format!("http://{}:{port}", dep.value)),
                        host: EnvValue::lit(dep.value.clone()),
                        port: EnvValue::lit(port.to_string()),
                        user: None,
                        password: None,
                        db: None,
                    },
                );
            }
        }
        let mut env: Vec<EnvVar> = Vec::new();
        for (dep, w) in &wiring {
            let prefix = screaming_snake(dep);
            for (suffix, value) in w.vars() {
                env.push(EnvVar {
                    name: format!("{prefix}_{suffix}"),
                    value: value.clone(),
                    origin: EnvOrigin::Wiring,
                });
            }
        }
        let mut user_env: IndexMap<String, String> = svc
            .env
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect();
        for o in overrides {
            for (k, v) in &o.env {
                user_env.insert(k.value.clone(), v.value.clone());
            }
        }
        for (k, v) in user_env {
            let value = self.template_value(&v, &uses, &wiring);
            env.retain(|e| e.name != k);
            env.push(EnvVar {
                name: k,
                value,
                origin: EnvOrigin::User,
            });
        }
        for s in &svc.secrets {
            self.declared_secret(&s.value);
            let var = screaming_snake(&s.value);
            env.retain(|e| e.name != var);
            env.push(EnvVar {
                name: var,
                value: EnvValue::secret(s.value.clone(), "value"),
                origin: EnvOrigin::Secret,
            });
        }
        let image = last(&|o| o.image.is_some())
            .and_then(|o| o.image.as_ref().map(|i| i.value.clone()))
            .or_else(|| svc.image.as_ref().map(|i| i.value.clone()))
            .unwrap_or_else(|| {
                let repo = self
                    .spec
                    .registry
                    .as_ref()
                    .map(|r| r.value.trim_end_matches('/').to_string())
                    .unwrap_or_else(|| self.stack.clone());
                format!("{repo}/{name}:{tag}")
            });
        let build = svc.build.as_ref().map(|b| BuildModel {
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
        });
        let replicas = last(&|o| o.replicas.is_some())
            .and_then(|o| o.replicas.as_ref().map(|r| r.value))
            .or_else(|| svc.replicas.as_ref().map(|r| r.value))
            .unwrap_or(1);
        let autoscale: Option<&Autoscale> = last(&|o| o.autoscale.is_some())
            .and_then(|o| o.autoscale.as_ref())
            .or(svc.autoscale.as_ref());
        let autoscale = if kind == WorkloadKind::Job {
            None
        } else {
            autoscale.map(|a| AutoscaleModel {
                min: a.min.value,
                max: a.max.value,
                cpu: a.cpu.as_ref().map(|c| c.value).or(if a.memory.is_none() {
                    Some(70)
                } else {
                    None
                }),
                memory: a.memory.as_ref().map(|m| m.value),
            })
        };
        let resources: Option<&Resources> = last(&|o| o.resources.is_some())
            .and_then(|o| o.resources.as_ref())
            .or(svc.resources.as_ref());
        let expose: Option<&Expose> = last(&|o| o.expose.is_some())
            .and_then(|o| o.expose.as_ref())
            .or(svc.expose.as_ref());
        let expose = expose.filter(|_| kind == WorkloadKind::Service).map(|e| {
            let (port_name, port) = port_of(e.port.as_ref().map(|p| p.value.as_str()));
            let host = match (
                e.host.as_ref().map(|h| h.value.as_str()),
                self.env.domain.as_deref(),
            ) {
                (Some(h), _) if h.contains('.') => Some(h.to_string()),
                (Some(h), Some(d)) => Some(format!("{h}.{d}")),
                (Some(h), None) => Some(format!("{h}.localhost")),
                (None, Some(d)) => Some(format!("{name}.{d}")),
                (None, None) if self.platform == Platform::Kubernetes => {
                    Some(format!("{name}.localhost"))
                }
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
                tls: e
                    .tls
                    .as_ref()
                    .map(|t| t.value)
                    .unwrap_or(self.platform == Platform::Kubernetes),
            }
        });
        let restart = svc.restart.as_ref().map(|r| r.value).unwrap_or(match kind {
            WorkloadKind::Service => Restart::Always,
            WorkloadKind::Job => Restart::OnFailure,
        });
        Workload {
            name: name.to_string(),
            kind,
            image,
            build,
            command: svc
                .command
                .as_ref()
                .map(|c| c.value.clone())
                .unwrap_or_default(),
            ports,
            health,
            uses,
            after_jobs,
            before: svc.before.iter().map(|b| b.value.clone()).collect(),
            env,
            replicas,
            autoscale,
            resources: resources_model(resources, "100m", "128Mi"),
            expose,
            restart,
            volumes: svc
                .volumes
                .iter()
                .map(|(vname, v)| VolumeModel {
                    name: vname.value.clone(),
                    path: v.path.value.clone(),
                    size: v
                        .size
                        .as_ref()
                        .map(|s| s.value.clone())
                        .unwrap_or_else(|| "1Gi".into()),
                })
                .collect(),
            dev: svc.dev.as_ref().map(|d| DevModel {
                run: d.run.value.clone(),
                watch: d.watch.iter().map(|w| w.value.clone()).collect(),
                workdir: d.workdir.as_ref().map(|w| w.value.clone()),
            }),
        }
    }
}

fn store_url(
    facts: &StoreFacts,
    kind: StoreType,
    password: &EnvValue,
    hosts: &str,
    db: Option<&str>,
    replica_set: Option<&str>,
) -> EnvValue {
    let user = facts.user;
    let head = EnvValue::lit(format!("{}://{user}:", facts.scheme));
    let tail = match kind {
        StoreType::Redis => format!("@{hosts}/0"),
        StoreType::Postgres => format!("@{hosts}/{}", db.unwrap_or_default()),
        StoreType::Mongodb => {
            let mut t = format!("@{hosts}/{}?authSource=admin", db.unwrap_or_default());
            if let Some(rs) = replica_set {
                t.push_str(&format!("&replicaSet={rs}"));
            }
            t
        }
        StoreType::Rabbitmq => format!("@{hosts}/%2f"),
    };
    EnvValue::concat([head, password.clone(), EnvValue::lit(tail)])
}

fn resources_model(r: Option<&Resources>, cpu: &str, memory: &str) -> ResourcesModel {
    let get = |v: Option<&crate::Spanned<String>>, d: &str| {
        v.map(|v| v.value.clone()).unwrap_or_else(|| d.to_string())
    };
    let cpu_request = get(r.and_then(|r| r.cpu.as_ref()), cpu);
    let memory_request = get(r.and_then(|r| r.memory.as_ref()), memory);
    let limits = r.and_then(|r| r.limits.as_ref());
    ResourcesModel {
        cpu_limit: get(limits.and_then(|l| l.cpu.as_ref()), &cpu_request),
        memory_limit: get(limits.and_then(|l| l.memory.as_ref()), &memory_request),
        cpu_request,
        memory_request,
    }
}

/// `10s`, `1m30s`, `500ms`, `2h` → whole seconds (rounded up). None when malformed.
pub fn duration_secs(text: &str) -> Option<u32> {
    let mut total_ms: u64 = 0;
    let mut num = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        let unit_ms = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            'h' => 3_600_000,
            'm' => 60_000,
            's' => 1_000,
            _ => return None,
        };
        total_ms = total_ms.checked_add(n.checked_mul(unit_ms)?)?;
        any = true;
    }
    if !num.is_empty() || !any {
        return None;
    }
    u32::try_from(total_ms.div_ceil(1000)).ok()
}

/// Host and port of a URL like `scheme://user:pw@host:port/path`.
pub fn url_host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let hostport = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let first = hostport.split(',').next()?;
    match first.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => None,
    }
}

fn infra_model(stack: &str, env: &str, layers: &[Infra]) -> InfraModel {
    let prod = env.contains("prod");
    let dev = env.starts_with("dev");
    macro_rules! pick {
        ($field:ident, $default:expr) => {
            layers
                .iter()
                .rev()
                .find_map(|l| l.$field.as_ref().map(|v| v.value.clone()))
                .unwrap_or_else(|| $default)
        };
    }
    InfraModel {
        vpc_cidr: pick!(vpc_cidr, "10.0.0.0/16".into()),
        kubernetes_version: pick!(kubernetes_version, "1.31".into()),
        node_instance_type: pick!(
            node_instance_type,
            if prod { "t3.large" } else { "t3.medium" }.into()
        ),
        node_min: pick!(node_min, if prod { 3 } else { 2 }),
        node_max: pick!(node_max, if prod { 9 } else { 4 }),
        node_desired: pick!(node_desired, if prod { 3 } else { 2 }),
        db_instance_class: pick!(
            db_instance_class,
            if prod { "db.r6g.large" } else { "db.t3.micro" }.into()
        ),
        cache_node_type: pick!(
            cache_node_type,
            if prod {
                "cache.r6g.large"
            } else {
                "cache.t3.micro"
            }
            .into()
        ),
        docdb_instance_class: pick!(
            docdb_instance_class,
            if prod { "db.r6g.large" } else { "db.t3.medium" }.into()
        ),
        mq_instance_type: pick!(
            mq_instance_type,
            if prod { "mq.m5.large" } else { "mq.t3.micro" }.into()
        ),
        multi_az: pick!(multi_az, !dev),
        state_bucket: pick!(state_bucket, format!("{stack}-{env}-tfstate")),
    }
}

/// Order workloads so that each comes after the services it uses and the jobs it waits for.
/// Stable: among ready workloads, spec order wins. Cycles (reported by checks) keep spec order.
fn topo_order(mut rest: Vec<Workload>) -> Vec<Workload> {
    let mut done: Vec<Workload> = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let ready = rest.iter().position(|w| {
            let deps = w
                .uses
                .iter()
                .filter(|d| d.kind == DepKind::Service)
                .map(|d| &d.name)
                .chain(w.after_jobs.iter());
            deps.into_iter().all(|d| !rest.iter().any(|r| &r.name == d))
        });
        let i = ready.unwrap_or(0);
        done.push(rest.remove(i));
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_secs("10s"), Some(10));
        assert_eq!(duration_secs("1m30s"), Some(90));
        assert_eq!(duration_secs("500ms"), Some(1));
        assert_eq!(duration_secs("10"), None);
        assert_eq!(duration_secs("abc"), None);
    }

    fn spec(text: &str) -> Spec {
        let src = crate::Source::new("t.yaml", text.to_string());
        let loaded = crate::validate(&src);
        assert!(!loaded.diagnostics.iter().any(|d| d.is_error()));
        loaded.spec.unwrap()
    }

    #[test]
    fn host_stores_in_a_cluster_are_reached_by_name_and_cloud_passwords_live_in_aws() {
        let s = spec(
            "name: t\nservices:\n  api: { image: \"a/b:1\", uses: [redis, pg] }\n\
             stores:\n  redis: { type: redis, version: \"7\" }\n  pg: { type: postgres, version: \"16\" }\n\
             environments:\n  local: { platform: compose, stores: { redis: host } }\n\
             \x20 mk: { platform: kubernetes, cluster: minikube, stores: { redis: host } }\n\
             \x20 cloud: { platform: kubernetes, cloud: aws, region: us-east-1, stores: { redis: in-cluster } }\n",
        );
        let mk = resolve(&s, "mk").unwrap();
        let redis = mk.store("redis").unwrap();
        assert_eq!(
            redis.realization,
            Realized::Host {
                address: "host.minikube.internal".into()
            }
        );
        assert_eq!(redis.wiring.host, EnvValue::lit("redis"));
        let local = resolve(&s, "local").unwrap();
        assert_eq!(
            local.store("redis").unwrap().wiring.host,
            EnvValue::lit("host.docker.internal")
        );
        assert_eq!(
            mk.secret("redis-password").unwrap().source,
            SecretSource::Generate { length: 32 }
        );
        let cloud = resolve(&s, "cloud").unwrap();
        assert_eq!(
            cloud.secret("redis-password").unwrap().source,
            SecretSource::Aws {
                name: "t/cloud/redis-password".into(),
                generate: Some(32)
            }
        );
        assert!(matches!(
            cloud.secret("pg-connection").unwrap().source,
            SecretSource::Aws { generate: None, .. }
        ));
    }

    #[test]
    fn url_parts() {
        assert_eq!(
            url_host_port("mongodb://u:p@db.example.com:27017/app?x=1"),
            Some(("db.example.com".into(), 27017))
        );
    }
}
