//! The stores of one environment: where each runs, its image, ports and credentials, and the
//! wiring a workload that uses it receives.

use super::context::Resolver;
use super::resources::resources_model;
use crate::emulator::{self, Emulator};
use crate::extends::Placement;
use crate::model::{EnvValue, PortModel, Realized, SecretSource, StoreModel, Wiring};
use crate::quantity::Memory;
use crate::spec::{Platform, RealizationKind, Store, StoreType};
use crate::store::{self, Api, StoreFacts};
use crate::ImageRef;
use indexmap::IndexMap;

/// What a store is, whatever runs it: members, shards, database, replica set, and whether a
/// CDN serves it.
struct Shape {
    replicas: u32,
    shards: u32,
    database: Option<String>,
    replica_set: Option<String>,
    cdn: bool,
}

impl Shape {
    fn of(name: &str, store: &Store, facts: &StoreFacts) -> Self {
        let replicas = store.replicas.as_ref().map(|r| r.value).unwrap_or(1);
        let replica_set = match &store.replica_set {
            _ if facts.kind != StoreType::Mongodb => None,
            Some(rs) => Some(rs.value.clone()),
            None if replicas > 1 => Some("rs0".to_string()),
            None => None,
        };
        Shape {
            replicas,
            shards: shards(store),
            database: database(name, store, facts),
            replica_set,
            cdn: cdn(store),
        }
    }
}

/// The database of a store that has databases: as written, else the store's name.
fn database(name: &str, store: &Store, facts: &StoreFacts) -> Option<String> {
    facts.has_db.then(|| {
        store
            .database
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| name.to_string())
    })
}

/// The shards of a redis store as written, else 1 (checks allow `shards` on redis only).
fn shards(store: &Store) -> u32 {
    match store.r#type.value {
        StoreType::Redis => store.shards.as_ref().map_or(1, |s| s.value),
        _ => 1,
    }
}

/// Whether an s3 store is served through a CDN (checks allow `cdn` on s3 only).
fn cdn(store: &Store) -> bool {
    store.r#type.value == StoreType::S3 && store.cdn.as_ref().is_some_and(|c| c.value)
}

/// `<NAME>_CDN_URL` of an s3 store with `cdn`: where browsers and apps fetch its objects.
fn cdn_var(shape: &Shape, wiring: &mut Wiring, url: EnvValue) {
    if shape.cdn {
        wiring.extra.insert("CDN_URL".into(), url);
    }
}

/// `<NAME>_CLUSTER` of a sharded redis: whether clients connect in cluster mode here.
fn cluster_var(shards: u32, wiring: &mut Wiring, cluster: bool) {
    if shards > 1 {
        wiring
            .extra
            .insert("CLUSTER".into(), EnvValue::lit(cluster.to_string()));
    }
}

fn storage(store: &Store) -> Memory {
    store
        .storage
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or_else(|| Memory::gibibytes(1))
}

/// Resolve store `name` in this environment.
pub(super) fn store(r: &mut Resolver, name: &str, store: &Store) -> StoreModel {
    let facts = store::facts(store.r#type.value);
    let realization = match r.chain.placement(name) {
        Some(Placement::Kind(k)) => k.value,
        Some(Placement::External(ext)) => return external(r, name, store, &ext.external.value),
        None => r.default_realization(),
    };
    let shape = Shape::of(name, store, facts);
    let version = store.version();
    let image = store
        .image
        .as_ref()
        .map(|i| i.value.clone())
        // A checked spec has a version or an image, or its type a default image.
        .or_else(|| version.as_ref().map(|v| facts.image_for(v)))
        .or_else(|| facts.default_image.map(ImageRef::parse));
    let emulator = emulator::for_store(facts.kind, image.as_ref());
    let port = match realization {
        RealizationKind::Managed => facts.managed_port(),
        _ => emulator.map_or(facts.port, |e| e.port),
    };
    // Published on the host (compose, native) or forwarded to it (`berth forward`, Kubernetes).
    let publish = match store.publish.as_ref().map(|p| p.value) {
        Some(0) => None,
        Some(p) => Some(p),
        // A native environment reaches every store through the host.
        None => (facts.publish_by_default || r.platform == Platform::Native).then_some(facts.port),
    };
    let extra_ports = emulator
        .map_or(facts.extra_ports, |e| e.extra_ports)
        .iter()
        .map(|&(port_name, port)| PortModel {
            name: port_name.into(),
            port,
            protocol: Default::default(),
            publish: match store.publish_ports.get(port_name).map(|p| p.value) {
                Some(0) => None,
                Some(host) => Some(host),
                None => publish.map(|_| port),
            },
        })
        .collect();
    let (realized, password_secret, wiring) = match realization {
        RealizationKind::Managed => managed(r, name, facts, &shape),
        _ => runs_here(r, name, store, realization, &shape, (port, emulator)),
    };
    StoreModel {
        name: name.to_string(),
        kind: facts.kind,
        version,
        replicas: shape.replicas,
        shards: shape.shards,
        cdn: shape.cdn,
        storage: storage(store),
        database: shape.database,
        replica_set: shape.replica_set,
        publish: publish.filter(|_| {
            matches!(realized, Realized::Container | Realized::InCluster)
                || r.platform == Platform::Native
        }),
        realization: realized,
        image,
        port,
        extra_ports,
        user: facts.user.to_string(),
        password_secret,
        resources: resources_model(store.resources.as_ref(), 250, facts.memory_mib),
        wiring,
        volume: store.volume.as_ref().map(|v| v.value.clone()),
        args: store.args.iter().map(|a| a.value.clone()).collect(),
        volumes: super::workloads::volumes(name, &store.volumes),
        files: super::workloads::files(&store.files),
        backup: store.backup.as_ref().map(super::delivery::backup),
        subscribers: store.subscribers.iter().map(|s| s.value.clone()).collect(),
        served_by: None,
    }
}

/// A managed cloud store: Terraform writes its connection into Secrets Manager, one key per
/// wiring variable (lower case).
fn managed(
    r: &mut Resolver,
    name: &str,
    facts: &StoreFacts,
    shape: &Shape,
) -> (Realized, String, Wiring) {
    let secret = format!("{name}-connection");
    let source = SecretSource::Aws {
        name: r.aws_name(name),
        generate: None,
    };
    let purpose = format!("connection to managed store `{name}` (written by Terraform)");
    let field = |k: &str| EnvValue::secret(&secret, k);
    let mut wiring = Wiring {
        url: field("url"),
        host: field("host"),
        port: field("port"),
        user: facts.managed_user.then(|| field("user")),
        password: facts.login().then(|| field("password")),
        db: shape.database.clone().map(EnvValue::lit),
        extra: Default::default(),
    };
    if facts.read_replicas() && shape.replicas > 1 {
        wiring.extra.insert("READ_URL".into(), field("read_url"));
    }
    // ElastiCache in cluster mode: the host is the configuration endpoint.
    cluster_var(shape.shards, &mut wiring, true);
    // The CloudFront distribution's `https://DOMAIN`.
    cdn_var(shape, &mut wiring, field("cdn_url"));
    // On AWS the workload's IAM role grants access: no keys.
    for var in facts
        .api
        .extra_vars()
        .iter()
        .filter(|v| !v.ends_with("_KEY_ID") && !v.starts_with("SECRET_"))
    {
        wiring
            .extra
            .insert(var.to_string(), field(&var.to_ascii_lowercase()));
    }
    // The types that log in keep the five keys every managed store had from the start.
    let mut keys: Vec<String> = match facts.login() {
        true => ["url", "host", "port", "user", "password"]
            .map(String::from)
            .to_vec(),
        false => Vec::new(),
    };
    for k in wiring_keys(&wiring) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    r.add_secret(&secret, source, &keys, purpose);
    (Realized::Managed, secret, wiring)
}

/// The secret keys a wiring reads.
fn wiring_keys(w: &Wiring) -> Vec<String> {
    let mut keys = Vec::new();
    for (_, v) in w.vars() {
        for (_, k) in v.secret_refs() {
            if !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
    }
    keys
}

/// A store Berth runs (container, in-cluster) or that runs on the developer's host: a generated
/// password (for the types that log in), and a URL to where workloads reach it.
fn runs_here(
    r: &mut Resolver,
    name: &str,
    store: &Store,
    realization: RealizationKind,
    shape: &Shape,
    (port, emulator): (u16, Option<&Emulator>),
) -> (Realized, String, Wiring) {
    let facts = store::facts(store.r#type.value);
    let declared = store.password.as_ref().map(|p| p.value.clone());
    let secret = declared
        .clone()
        .unwrap_or_else(|| format!("{name}-password"));
    let (realized, host, port) = match realization {
        RealizationKind::Host | RealizationKind::Process => {
            let address = r.host_address();
            let port = store
                .publish
                .as_ref()
                .map(|p| p.value)
                .filter(|p| *p != 0)
                .unwrap_or(facts.port);
            // In a cluster the store is reached through a Service named after it (ExternalName
            // → the host address): workloads use the same name as in compose, and so do MongoDB
            // replica set members (`mongo:27017`).
            let host = match r.platform {
                Platform::Kubernetes => name.to_string(),
                _ => address.clone(),
            };
            let realized = match realization {
                RealizationKind::Process => Realized::Process,
                _ => Realized::Host { address },
            };
            (realized, host, port)
        }
        RealizationKind::InCluster => (Realized::InCluster, name.to_string(), port),
        _ => (Realized::Container, name.to_string(), port),
    };
    let needs_password = facts.login() || emulator.is_some_and(|e| e.keys_are_login);
    if needs_password && declared.is_some() {
        r.declared_secret(&secret);
    } else if needs_password {
        // In a cloud environment nothing on a laptop holds state: the password of a store run
        // in the cluster is generated by Terraform into Secrets Manager, like a declared
        // `generate` secret, and read through External Secrets.
        let source = if r.is_cloud() {
            SecretSource::Aws {
                name: r.aws_name(&secret),
                generate: Some(32),
            }
        } else {
            SecretSource::Generate { length: 32 }
        };
        let purpose = format!("password of store `{name}`");
        r.add_secret(&secret, source, &["value"], purpose);
    }
    let password = EnvValue::secret(&secret, "value");
    let mut wiring = match facts.api {
        Api::Login => login_wiring(
            name,
            facts,
            shape,
            &realized,
            (host.as_str(), port),
            password,
        ),
        Api::Http => Wiring::plain(format!("http://{host}:{port}"), &host, port),
        Api::Aws(_) => {
            let keys_are_login = emulator.is_some_and(|e| e.keys_are_login);
            let keys = if keys_are_login {
                (EnvValue::lit(facts.user), password)
            } else {
                (EnvValue::lit("test"), EnvValue::lit("test"))
            };
            let mut w = aws_wiring(name, facts.kind, (host.as_str(), port), keys);
            // No CDN here: the bucket's own path-style URL on the emulator serves the objects
            // at the same paths.
            let bucket_url = EnvValue::lit(format!("http://{host}:{port}/{name}"));
            cdn_var(shape, &mut w, bucket_url);
            w
        }
    };
    // One redis node runs here, without cluster mode.
    cluster_var(shape.shards, &mut wiring, false);
    let secret = if needs_password {
        secret
    } else {
        String::new()
    };
    (realized, secret, wiring)
}

/// The wiring of a store that clients log in to: URL with user and password.
fn login_wiring(
    name: &str,
    facts: &StoreFacts,
    shape: &Shape,
    realized: &Realized,
    (host, port): (&str, u16),
    password: EnvValue,
) -> Wiring {
    // Replica set members: the StatefulSet's pods, or compose's services NAME, NAME-1, ...
    let member = |i: u32| match realized {
        Realized::InCluster => Some(format!("{name}-{i}.{name}-headless")),
        Realized::Container if i == 0 => Some(name.to_string()),
        Realized::Container => Some(format!("{name}-{i}")),
        _ => None,
    };
    let hosts = match (shape.replica_set.is_some() && shape.replicas > 1, member(0)) {
        (true, Some(_)) => (0..shape.replicas)
            .filter_map(|i| Some(format!("{}:{port}", member(i)?)))
            .collect::<Vec<_>>()
            .join(","),
        _ => format!("{host}:{port}"),
    };
    let db = shape.database.as_deref();
    let url = facts.url(&password, &hosts, db, shape.replica_set.as_deref());
    let mut extra = indexmap::IndexMap::new();
    // One instance here: reads go to it (managed environments get read replicas).
    if facts.read_replicas() && shape.replicas > 1 {
        extra.insert("READ_URL".to_string(), url.clone());
    }
    Wiring {
        url,
        host: EnvValue::lit(host),
        port: EnvValue::lit(port.to_string()),
        user: Some(EnvValue::lit(facts.user)),
        password: Some(password),
        db: shape.database.clone().map(EnvValue::lit),
        extra,
    }
}

/// The wiring of an AWS-API store run by a local emulator at `host:port`.
fn aws_wiring(
    name: &str,
    kind: StoreType,
    (host, port): (&str, u16),
    keys: (EnvValue, EnvValue),
) -> Wiring {
    let endpoint = format!("http://{host}:{port}");
    let queue = |q: &str| format!("{endpoint}/{}/{q}", emulator::LOCAL_ACCOUNT);
    let (url, first): (String, Vec<(&str, String)>) = match kind {
        StoreType::S3 => (endpoint.clone(), vec![("BUCKET", name.to_string())]),
        StoreType::Sqs => (
            queue(name),
            vec![
                ("QUEUE_URL", queue(name)),
                ("DLQ_URL", queue(&emulator::dlq_name(name))),
            ],
        ),
        _ => (
            endpoint.clone(),
            vec![("TOPIC_ARN", emulator::topic_arn(name))],
        ),
    };
    let mut w = Wiring::plain(url, host, port);
    for (k, v) in first {
        w.extra.insert(k.into(), EnvValue::lit(v));
    }
    w.extra.insert("ENDPOINT".into(), EnvValue::lit(endpoint));
    w.extra
        .insert("REGION".into(), EnvValue::lit(emulator::LOCAL_REGION));
    w.extra.insert("ACCESS_KEY_ID".into(), keys.0);
    w.extra.insert("SECRET_ACCESS_KEY".into(), keys.1);
    w
}

/// A store that already exists at `url` (a template that may read secrets).
fn external(r: &mut Resolver, name: &str, store: &Store, url: &str) -> StoreModel {
    let facts = store::facts(store.r#type.value);
    let url_value = r.template_value(url, &IndexMap::new());
    let literal = url_value.render(|_, _| String::new());
    let (host, port) = url_host_port(&literal).unwrap_or((name.to_string(), facts.port));
    let password_secret = url_value
        .secret_refs()
        .next()
        .map(|(s, _)| s.to_string())
        .unwrap_or_default();
    let database = database(name, store, facts);
    let mut wiring = Wiring {
        url: url_value.clone(),
        host: EnvValue::lit(host),
        port: EnvValue::lit(port.to_string()),
        user: None,
        password: None,
        db: database.clone().map(EnvValue::lit),
        extra: Default::default(),
    };
    // The spec says the store is sharded; an external one is the real store.
    cluster_var(shards(store), &mut wiring, true);
    StoreModel {
        name: name.to_string(),
        kind: facts.kind,
        version: store.version(),
        replicas: store.replicas.as_ref().map(|r| r.value).unwrap_or(1),
        shards: shards(store),
        // An external bucket's CDN, if any, is not Berth's: it has no `<NAME>_CDN_URL`.
        cdn: cdn(store),
        storage: storage(store),
        database: database.clone(),
        replica_set: store.replica_set.as_ref().map(|r| r.value.clone()),
        realization: Realized::External { url: url_value },
        image: None,
        port,
        extra_ports: Vec::new(),
        publish: None,
        volumes: Vec::new(),
        files: Vec::new(),
        user: facts.user.to_string(),
        password_secret,
        resources: resources_model(store.resources.as_ref(), 250, facts.memory_mib),
        wiring,
        volume: None,
        args: Vec::new(),
        // An external store is backed up by whoever runs it.
        backup: None,
        subscribers: store.subscribers.iter().map(|s| s.value.clone()).collect(),
        served_by: None,
    }
}

/// One container per emulator that can serve several stores ([`Emulator::shared`]): among the
/// stores Berth runs with the same realization and image, the first (in spec order) runs them
/// all and the others are `served_by` it. Idempotent; a store no longer run here is unshared.
pub fn share_emulators(stores: &mut [StoreModel]) {
    let key = |s: &StoreModel| {
        let shared = emulator::for_store(s.kind, s.image.as_ref()).is_some_and(|e| e.shared);
        (shared && s.realization.runs_here()).then(|| (s.realization.clone(), s.image.clone()))
    };
    let mut runners: Vec<((Realized, Option<ImageRef>), String)> = Vec::new();
    for s in stores.iter_mut() {
        s.served_by = None;
        let Some(k) = key(s) else { continue };
        match runners.iter().find(|(rk, _)| *rk == k) {
            Some((_, runner)) => s.served_by = Some(runner.clone()),
            None => runners.push((k, s.name.clone())),
        }
    }
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
