//! Turns a normalized compose project into a Berth stack: stores, services, jobs, secrets and
//! references, recording every inference and every dropped or approximated key.

use crate::builtin::shell_split;
use crate::model::{Healthcheck, Mount, NormalizedCompose, ResourceSet, Service};
use crate::notes::Warning;
use crate::options::LocalCluster;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Store types Berth realizes itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreType {
    Redis,
    Postgres,
    Mongodb,
    Rabbitmq,
}

impl StoreType {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreType::Redis => "redis",
            StoreType::Postgres => "postgres",
            StoreType::Mongodb => "mongodb",
            StoreType::Rabbitmq => "rabbitmq",
        }
    }
    pub fn port(self) -> u16 {
        match self {
            StoreType::Redis => 6379,
            StoreType::Postgres => 5432,
            StoreType::Mongodb => 27017,
            StoreType::Rabbitmq => 5672,
        }
    }
    fn schemes(self) -> &'static [&'static str] {
        match self {
            StoreType::Redis => &["redis", "rediss"],
            StoreType::Postgres => &["postgres", "postgresql"],
            StoreType::Mongodb => &["mongodb"],
            StoreType::Rabbitmq => &["amqp", "amqps"],
        }
    }
}

/// Recognizes a well-known store image; returns the type and the image's repository name.
pub fn store_type(image: &str) -> Option<StoreType> {
    let (repo, _) = split_image(image);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    match last {
        "redis" | "valkey" | "redis-stack-server" => Some(StoreType::Redis),
        "postgres" | "postgresql" | "postgis" => Some(StoreType::Postgres),
        "mongo" | "mongodb" | "mongodb-community-server" => Some(StoreType::Mongodb),
        "rabbitmq" => Some(StoreType::Rabbitmq),
        _ => None,
    }
}

/// Splits `registry/repo:tag@digest` into repository and tag.
pub fn split_image(image: &str) -> (&str, Option<&str>) {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (no_digest, None),
    }
}

/// Version from an image tag: the leading numeric part (`16-alpine` → `16`, `3.13-management` → `3.13`).
pub fn tag_version(tag: &str) -> Option<String> {
    let v: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v = v.trim_end_matches('.').to_string();
    (!v.is_empty()).then_some(v)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub kind: StoreType,
    pub version: Option<String>,
    pub storage: Option<String>,
    pub database: Option<String>,
    /// Credentials seen in compose, used only to turn app env that repeats them into references.
    pub user: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Service,
    Job,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BuildOut {
    pub context: String,
    pub dockerfile: Option<String>,
    pub target: Option<String>,
    pub args: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Http { path: String, port: String },
    Tcp(String),
    Exec(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub probe: Probe,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<u32>,
    pub start_period: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Res {
    pub cpu: Option<String>,
    pub memory: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub kind: Kind,
    pub image: Option<String>,
    pub build: Option<BuildOut>,
    pub command: Option<Vec<String>>,
    /// Named container ports, primary first.
    pub ports: Vec<(String, u16)>,
    pub publish: Vec<(String, u16)>,
    pub health: Option<Health>,
    pub uses: Vec<String>,
    pub before: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub secrets: Vec<String>,
    pub replicas: Option<u32>,
    pub requests: Option<Res>,
    pub limits: Option<Res>,
    pub restart: Option<String>,
    pub volumes: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    Generate(u32),
    Env(String),
}

/// The imported stack, ready to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub name: String,
    pub services: BTreeMap<String, Workload>,
    pub stores: BTreeMap<String, Store>,
    pub secrets: BTreeMap<String, SecretSource>,
    pub kubernetes: Option<LocalCluster>,
    /// Compose service name → Berth name (identity unless renamed).
    pub names: BTreeMap<String, String>,
    /// Compose services deliberately not carried over, with the reason.
    pub dropped: BTreeMap<String, String>,
    pub inferred: Vec<Warning>,
    pub warnings: Vec<Warning>,
}

/// RFC 1123 label from an arbitrary name.
pub fn rfc1123(s: &str) -> String {
    let mut out: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-');
    let out = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let mut out: String = out.chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "stack".into()
    } else {
        out
    }
}

fn kebab(s: &str) -> String {
    rfc1123(s)
}

const CRED_WORDS: [&str; 12] = [
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "APIKEY",
    "CREDENTIALS",
    "PRIVATE",
    "AUTH",
    "SALT",
];

/// Whether an environment variable name looks like it holds a credential.
pub fn is_credential(key: &str) -> bool {
    // Settings *about* a credential (its header name, lifetime, file path…) are not secret.
    const ABOUT: [&str; 20] = [
        "URL",
        "URI",
        "HOST",
        "PORT",
        "PREFIX",
        "NAME",
        "ID",
        "FILE",
        "PATH",
        "TTL",
        "ENABLED",
        "HEADER",
        "LENGTH",
        "ALGORITHM",
        "EXPIRY",
        "EXPIRES",
        "TIMEOUT",
        "ISSUER",
        "AUDIENCE",
        "IN",
    ];
    let up = key.to_uppercase();
    let words: Vec<&str> = up.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    if words.len() > 1 && words.last().is_some_and(|w| ABOUT.contains(w)) {
        return false;
    }
    words.iter().any(|w| {
        CRED_WORDS.contains(w)
            || w.ends_with("PASSWORD")
            || w.ends_with("SECRET")
            || w.ends_with("TOKEN")
    })
}

/// Secrets the stack owns can be generated; third-party credentials and connection strings
/// must come from the operator.
fn secret_source(key: &str, value: &str) -> SecretSource {
    const OWNED: [&str; 11] = [
        "JWT",
        "SESSION",
        "COOKIE",
        "PEPPER",
        "SALT",
        "SIGNING",
        "ENCRYPTION",
        "NEXTAUTH",
        "APP_SECRET",
        "MASTER_KEY",
        "CSRF",
    ];
    let up = key.to_uppercase();
    if value.contains("://") || !OWNED.iter().any(|w| up.contains(w)) {
        SecretSource::Env(up)
    } else {
        SecretSource::Generate(48)
    }
}

/// Conventional name for a container port.
fn port_name(port: u16) -> Option<&'static str> {
    match port {
        80 | 3000 | 3001 | 4000 | 5000 | 8000 | 8080 | 8081 | 8888 | 9000 => Some("http"),
        443 | 8443 => Some("https"),
        50051 => Some("grpc"),
        9229 => Some("debug"),
        9090 | 9464 | 9100 => Some("metrics"),
        _ => None,
    }
}

struct Ctx {
    inferred: Vec<Warning>,
    warnings: Vec<Warning>,
}

impl Ctx {
    fn infer(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.inferred.push(Warning {
            path: path.into(),
            message: msg.into(),
        });
    }
    fn warn(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.warnings.push(Warning {
            path: path.into(),
            message: msg.into(),
        });
    }
}

/// Why a compose key that Berth does not model is dropped.
fn unsupported_reason(key: &str) -> &'static str {
    match key {
        "container_name" => "Berth names containers after the stack and workload",
        "hostname" | "domainname" => "workloads are reached by their Berth name",
        "labels" => "labels are not carried over; Berth sets its own",
        "logging" => "logging drivers are an environment concern, not part of the stack",
        "working_dir" => "set WORKDIR in the Dockerfile instead",
        "user" => {
            "Berth runs containers as non-root UID 65532 by default; set USER in the Dockerfile"
        }
        "stdin_open" | "tty" => "interactive terminals are not part of a deployed stack",
        "stop_grace_period" | "stop_signal" => "shutdown timing uses Berth's defaults",
        "extra_hosts" | "dns" | "dns_search" => {
            "host-name overrides are not portable to Kubernetes"
        }
        "cap_add" | "cap_drop" | "privileged" | "security_opt" => {
            "Berth applies its own hardened security context"
        }
        "network_mode" | "pid" | "ipc" => "host namespaces are not portable",
        "ulimits" | "sysctls" | "shm_size" | "mem_limit" | "cpus" | "mem_reservation" => {
            "legacy per-container limits; use deploy.resources"
        }
        "platform" => "image platform is chosen by the build",
        "pull_policy" => "Berth decides pulls per environment",
        "init" => "Berth uses the image's entrypoint as PID 1",
        "volumes_from" => "shared container volumes are not portable",
        "configs" => "compose configs are not supported; bake files into the image or use env",
        "devices" => "host devices are not portable",
        "develop" => "use the service's dev.watch in berth.yaml",
        "tmpfs" => "Berth mounts an emptyDir on /tmp for read-only root filesystems",
        "read_only" => "Berth enables read-only root filesystems by default",
        _ => "not supported by Berth",
    }
}

/// Parsed connection string.
struct Url {
    scheme: String,
    user: Option<String>,
    password: Option<String>,
    hosts: Vec<(String, Option<u16>)>,
    path: String,
    query: String,
}

fn parse_url(s: &str) -> Option<Url> {
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return None;
    }
    let (auth_host, tail) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostpart) = match auth_host.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, auth_host),
    };
    let (user, password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((a, b)) => (Some(a.to_string()), Some(b.to_string())),
            None => (Some(u.to_string()), None),
        },
        None => (None, None),
    };
    let mut hosts = Vec::new();
    for h in hostpart.split(',') {
        let (host, port) = match h.rsplit_once(':') {
            Some((a, b)) => (a.to_string(), Some(b.parse().ok()?)),
            None => (h.to_string(), None),
        };
        if host.is_empty() {
            return None;
        }
        hosts.push((host, port));
    }
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (tail.to_string(), String::new()),
    };
    Some(Url {
        scheme: scheme.to_lowercase(),
        user,
        password,
        hosts,
        path,
        query,
    })
}

/// Classifies the compose project into a Berth stack.
pub fn classify(c: &NormalizedCompose, kubernetes: Option<LocalCluster>) -> Stack {
    let mut cx = Ctx {
        inferred: Vec::new(),
        warnings: Vec::new(),
    };
    let name = rfc1123(&c.name);
    if name != c.name {
        cx.infer(
            "name",
            format!(
                "project name {:?} became the RFC 1123 name {name:?}",
                c.name
            ),
        );
    }
    let mut names = BTreeMap::new();
    let mut taken = BTreeSet::new();
    // Names that are already valid keep priority over renamed ones.
    for n in c.services.keys() {
        if &rfc1123(n) == n {
            taken.insert(n.clone());
        }
    }
    for n in c.services.keys() {
        let mut b = rfc1123(n);
        if &b != n {
            let base = b.clone();
            let mut i = 2;
            while taken.contains(&b) {
                b = format!("{base}-{i}");
                i += 1;
            }
            taken.insert(b.clone());
            cx.infer(
                format!("services.{n}"),
                format!("renamed to {b:?} (RFC 1123)"),
            );
        }
        names.insert(n.clone(), b);
    }
    let bn = |n: &str| names.get(n).cloned().unwrap_or_else(|| rfc1123(n));

    // 1. Stores and store helpers.
    let mut store_of: BTreeMap<String, StoreType> = BTreeMap::new();
    for (n, s) in &c.services {
        if let (Some(img), None) = (&s.image, &s.build) {
            if let Some(t) = store_type(img) {
                store_of.insert(n.clone(), t);
            }
        }
    }
    let mut dropped = BTreeMap::new();
    let mut helper_jobs = BTreeSet::new();
    for (n, s) in &c.services {
        let Some(t) = store_of.get(n).copied() else {
            continue;
        };
        let depends_on_same = s.depends_on.keys().any(|d| store_of.get(d) == Some(&t));
        let one_shot = s.restart.as_deref() == Some("no");
        if depends_on_same || one_shot {
            let cmd = s
                .command
                .iter()
                .chain(s.entrypoint.iter())
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            if t == StoreType::Mongodb
                && (cmd.contains("rs.initiate") || cmd.contains("replSetInitiate"))
            {
                dropped.insert(
                    n.clone(),
                    "MongoDB replica-set initialisation is done by Berth's mongodb store"
                        .to_string(),
                );
            } else {
                helper_jobs.insert(n.clone());
            }
        }
    }
    for n in dropped.keys().chain(helper_jobs.iter()) {
        store_of.remove(n);
    }
    for (n, why) in &dropped {
        cx.warn(format!("services.{n}"), format!("dropped: {why}"));
    }

    let mut stores = BTreeMap::new();
    for (n, t) in &store_of {
        let s = &c.services[n];
        stores.insert(bn(n), import_store(n, s, *t, &mut cx));
    }

    // Host aliases from links (`db:database`) and hostnames.
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    for n in c.services.keys() {
        aliases.insert(n.clone(), n.clone());
    }
    for s in c.services.values() {
        for l in &s.links {
            if let Some((t, a)) = l.split_once(':') {
                aliases.insert(a.to_string(), t.to_string());
            }
        }
    }
    for (n, s) in &c.services {
        for k in ["hostname", "container_name"] {
            if let Some(h) = s.extra.get(k).and_then(Value::as_str) {
                aliases.entry(h.to_string()).or_insert(n.clone());
            }
        }
    }

    // A store without a declared database takes the one every connection string agrees on.
    for (n, t) in &store_of {
        let b = bn(n);
        let Some(st) = stores.get_mut(&b) else {
            continue;
        };
        if st.database.is_some() || *t == StoreType::Redis || *t == StoreType::Rabbitmq {
            continue;
        }
        let mut dbs = BTreeSet::new();
        for s in c.services.values() {
            for v in s.environment.values().flatten() {
                if let Some(u) = parse_url(v) {
                    if u.hosts.len() == 1
                        && aliases.get(&u.hosts[0].0) == Some(n)
                        && t.schemes().contains(&u.scheme.as_str())
                    {
                        let db = u.path.trim_start_matches('/');
                        if !db.is_empty() {
                            dbs.insert(db.to_string());
                        }
                    }
                }
            }
        }
        if dbs.len() == 1 {
            let db = dbs.into_iter().next().unwrap_or_default();
            cx.infer(
                format!("services.{n}"),
                format!("database {db:?} taken from the connection strings that point at it"),
            );
            st.database = Some(db);
        }
    }

    // 2. Jobs: explicit `restart: "no"`, or awaited with service_completed_successfully.
    let mut jobs: BTreeSet<String> = helper_jobs.clone();
    for (n, s) in &c.services {
        if store_of.contains_key(n) || dropped.contains_key(n) {
            continue;
        }
        if s.restart.as_deref() == Some("no") {
            jobs.insert(n.clone());
            cx.infer(
                format!("services.{n}.restart"),
                "restart \"no\" → kind: job (one-shot)",
            );
        }
    }
    for (n, s) in &c.services {
        for (d, spec) in &s.depends_on {
            if spec.condition == "service_completed_successfully"
                && !store_of.contains_key(d)
                && jobs.insert(d.clone())
            {
                cx.infer(
                    format!("services.{n}.depends_on.{d}"),
                    format!("{d} must complete successfully first → kind: job"),
                );
            }
        }
    }

    // 3. Workloads.
    let mut services = BTreeMap::new();
    let mut secrets: BTreeMap<String, SecretSource> = BTreeMap::new();
    let mut secret_owner: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut workload_ports: BTreeMap<String, Vec<(String, u16)>> = BTreeMap::new();
    for (n, s) in &c.services {
        if store_of.contains_key(n) || dropped.contains_key(n) {
            continue;
        }
        workload_ports.insert(n.clone(), name_ports(s));
    }
    // Ports that other services' connection strings reach but compose never declared.
    for (n, s) in &c.services {
        for v in s.environment.values().flatten() {
            let target = match parse_url(v) {
                Some(u) if u.hosts.len() == 1 => {
                    u.hosts[0].0.clone()
                        + ":"
                        + &u.hosts[0].1.map(|p| p.to_string()).unwrap_or_default()
                }
                Some(_) => continue,
                None => v.clone(),
            };
            let Some((h, port)) = target.split_once(':') else {
                continue;
            };
            let (Some(svc), Ok(port)) = (aliases.get(h), port.parse::<u16>()) else {
                continue;
            };
            let Some(ports) = workload_ports.get_mut(svc) else {
                continue;
            };
            if svc == n || ports.iter().any(|(_, p)| *p == port) {
                continue;
            }
            let name = match port_name(port) {
                Some(x) if !ports.iter().any(|(y, _)| y == x) => x.to_string(),
                _ => format!("p{port}"),
            };
            cx.infer(
                format!("services.{svc}.ports"),
                format!("port {port} → ports.{name}, reached by services.{n} at {v}"),
            );
            ports.push((name, port));
        }
    }
    for (n, s) in &c.services {
        if store_of.contains_key(n) || dropped.contains_key(n) {
            continue;
        }
        let w = import_workload(
            n,
            s,
            jobs.contains(n),
            &WorkloadCtx {
                c,
                names: &names,
                store_of: &store_of,
                stores: &stores,
                jobs: &jobs,
                dropped: &dropped,
                aliases: &aliases,
                ports: &workload_ports,
            },
            &mut secrets,
            &mut secret_owner,
            &mut cx,
        );
        services.insert(bn(n), w);
    }
    // `before` on jobs: every workload that waits on them.
    for (n, s) in &c.services {
        for d in s.depends_on.keys() {
            if jobs.contains(d) && !dropped.contains_key(n) {
                if let Some(j) = services.get_mut(&bn(d)) {
                    if !store_of.contains_key(n) && !j.before.contains(&bn(n)) {
                        j.before.push(bn(n));
                    }
                }
            }
        }
    }

    // 4. Compose secrets referenced by services.
    for (k, def) in &c.secrets {
        let sname = kebab(k);
        if !secrets.contains_key(&sname) {
            continue;
        }
        if def.fields.contains_key("external") {
            cx.warn(
                format!("secrets.{k}.external"),
                format!(
                    "external secret approximated: Berth reads it from host env {} at `up`",
                    sname.to_uppercase().replace('-', "_")
                ),
            );
        }
    }

    // 5. Top-level resources.
    for (k, v) in &c.volumes {
        for f in v.fields.keys() {
            cx.warn(
                format!("volumes.{k}.{f}"),
                "volume driver options dropped: Berth provisions storage per environment",
            );
        }
    }
    for (k, v) in &c.networks {
        let detail = if v.fields.is_empty() {
            String::new()
        } else {
            format!(
                " (with {})",
                v.fields.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        cx.warn(
            format!("networks.{k}"),
            format!("dropped{detail}: Berth gives each stack one network and derives network policy from `uses`"),
        );
    }
    for k in c.configs.keys() {
        cx.warn(format!("configs.{k}"), unsupported_reason("configs"));
    }
    for k in c.extra.keys() {
        if k.starts_with("x-") {
            cx.infer(k.clone(), "extension field (YAML anchor material); its effect is already merged into the services");
        } else {
            cx.warn(k.clone(), "top-level key not supported by Berth; dropped");
        }
    }

    Stack {
        name,
        services,
        stores,
        secrets,
        kubernetes,
        names,
        dropped,
        inferred: cx.inferred,
        warnings: cx.warnings,
    }
}

fn import_store(n: &str, s: &Service, t: StoreType, cx: &mut Ctx) -> Store {
    let p = format!("services.{n}");
    let img = s.image.clone().unwrap_or_default();
    let (_, tag) = split_image(&img);
    let version = tag.and_then(tag_version);
    let (repo, _) = split_image(&img);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    let note = if last == "valkey" {
        "; valkey approximated as redis"
    } else {
        ""
    };
    match &version {
        Some(v) => cx.infer(
            format!("{p}.image"),
            format!(
                "{img} is a well-known store → stores.{} ({} {v}{note})",
                rfc1123(n),
                t.as_str()
            ),
        ),
        None => cx.warn(
            format!("{p}.image"),
            format!(
                "{img} → store {}; no version in the tag, Berth pins its default{note}",
                t.as_str()
            ),
        ),
    }
    let mut store = Store {
        kind: t,
        version,
        storage: None,
        database: None,
        user: None,
        password: None,
    };
    let (user_k, pass_k, db_k): (&[&str], &[&str], &[&str]) = match t {
        StoreType::Postgres => (&["POSTGRES_USER"], &["POSTGRES_PASSWORD"], &["POSTGRES_DB"]),
        StoreType::Mongodb => (
            &["MONGO_INITDB_ROOT_USERNAME"],
            &["MONGO_INITDB_ROOT_PASSWORD"],
            &["MONGO_INITDB_DATABASE"],
        ),
        StoreType::Rabbitmq => (
            &["RABBITMQ_DEFAULT_USER"],
            &["RABBITMQ_DEFAULT_PASS"],
            &["RABBITMQ_DEFAULT_VHOST"],
        ),
        StoreType::Redis => (&["REDIS_USERNAME"], &["REDIS_PASSWORD"], &[]),
    };
    for (k, v) in &s.environment {
        let path = format!("{p}.environment.{k}");
        if user_k.contains(&k.as_str()) {
            store.user = v.clone();
            cx.infer(
                path,
                format!(
                    "store user is managed by Berth (available as ${{{}.user}})",
                    rfc1123(n)
                ),
            );
        } else if pass_k.contains(&k.as_str()) {
            store.password = v.clone();
            cx.infer(path, format!("store password is generated and managed by Berth (available as ${{{}.password}}); the compose value is not copied", rfc1123(n)));
        } else if db_k.contains(&k.as_str()) && t != StoreType::Rabbitmq {
            store.database = v.clone();
            cx.infer(path, format!("→ stores.{}.database", rfc1123(n)));
        } else {
            cx.warn(
                path,
                "store configuration variable dropped: Berth configures the store itself",
            );
        }
    }
    if t == StoreType::Postgres && store.user.is_none() {
        store.user = Some("postgres".into());
    }
    if t == StoreType::Rabbitmq && store.user.is_none() {
        store.user = Some("guest".into());
        store.password = store.password.or(Some("guest".into()));
    }
    if t == StoreType::Postgres && store.database.is_none() {
        // postgres defaults the database to the user name.
        if let Some(u) = &store.user {
            store.database = Some(u.clone());
        }
    }
    if let Some(cmd) = &s.command {
        if t == StoreType::Redis {
            if let Some(i) = cmd.iter().position(|a| a == "--requirepass") {
                store.password = cmd.get(i + 1).cloned();
            }
        }
        let why = if cmd.iter().any(|a| a.contains("replSet")) {
            "replica set is configured and initialised by Berth's mongodb store"
        } else {
            "store command line dropped: Berth runs the store with its own settings"
        };
        cx.warn(format!("{p}.command"), why);
    }
    if s.entrypoint.is_some() {
        cx.warn(
            format!("{p}.entrypoint"),
            "store entrypoint dropped: Berth runs the store itself",
        );
    }
    if s.healthcheck.is_some() {
        cx.infer(
            format!("{p}.healthcheck"),
            "Berth gives every store a pinned healthcheck; the compose one is replaced",
        );
    }
    for (i, port) in s.ports.iter().enumerate() {
        if let Some(pb) = &port.published {
            cx.warn(
                format!("{p}.ports[{i}]"),
                format!("host port {pb}→{} approximated: Berth's compose realization publishes store ports itself", port.target),
            );
        }
    }
    for (i, m) in s.volumes.iter().enumerate() {
        let mp = format!("{p}.volumes[{i}]");
        let is_init =
            m.target.contains("docker-entrypoint-initdb.d") || m.target.starts_with("/etc/");
        if is_init {
            cx.warn(mp, format!("{} → {} dropped: store init scripts and config files are not supported; use a job", m.source.as_deref().unwrap_or(""), m.target));
            continue;
        }
        match m.kind.as_str() {
            "volume" if m.source.is_some() => {
                if store.storage.is_none() {
                    store.storage = Some("1Gi".into());
                    cx.infer(
                        mp,
                        format!(
                            "volume {} → storage: 1Gi (compose volumes carry no size)",
                            m.source.as_deref().unwrap_or("")
                        ),
                    );
                } else {
                    cx.warn(
                        mp,
                        format!(
                            "additional volume {} at {} folded into the store's single storage",
                            m.source.as_deref().unwrap_or(""),
                            m.target
                        ),
                    );
                }
            }
            "bind" => {
                if store.storage.is_none() {
                    store.storage = Some("1Gi".into());
                }
                cx.warn(
                    mp,
                    format!(
                        "host bind mount {} approximated by Berth-managed storage (1Gi)",
                        m.source.as_deref().unwrap_or("")
                    ),
                );
            }
            _ => cx.warn(
                mp,
                "anonymous volume dropped: data was not meant to persist",
            ),
        }
    }
    if let Some(r) = &s.restart {
        cx.infer(
            format!("{p}.restart"),
            format!("restart {r:?}: Berth always restarts stores"),
        );
    }
    common_drops(&p, s, cx);
    store
}

/// Reports keys Berth does not carry over, for stores and workloads alike.
fn common_drops(p: &str, s: &Service, cx: &mut Ctx) {
    for (k, v) in &s.extra {
        if k.starts_with("x-") {
            cx.infer(format!("{p}.{k}"), "extension field ignored");
            continue;
        }
        let _ = v;
        cx.warn(
            format!("{p}.{k}"),
            format!("dropped: {}", unsupported_reason(k)),
        );
    }
    if !s.networks.is_empty() {
        let nets: Vec<&str> = s.networks.keys().map(String::as_str).collect();
        cx.warn(
            format!("{p}.networks"),
            format!(
                "network membership ({}) dropped: Berth derives network policy from `uses`",
                nets.join(", ")
            ),
        );
    }
    if !s.profiles.is_empty() {
        cx.infer(
            format!("{p}.profiles"),
            format!(
                "enabled by profile {}; Berth has no profiles, so the service is part of the stack",
                s.profiles.join(", ")
            ),
        );
    }
    for (d, spec) in &s.depends_on {
        let linked = s
            .links
            .iter()
            .any(|l| l.split(':').next() == Some(d.as_str()));
        if spec.restart && !linked {
            cx.warn(
                format!("{p}.depends_on.{d}.restart"),
                "restart-on-dependency-restart is not modelled",
            );
        }
        if !spec.required {
            cx.warn(
                format!("{p}.depends_on.{d}.required"),
                "optional dependency approximated as a required one",
            );
        }
    }
}

/// Container ports of an `expose` entry (`3000`, `9000-9001`, `5000/udp`).
pub fn expose_ports(e: &str) -> Vec<u16> {
    let spec = e.split('/').next().unwrap_or(e);
    let (a, b) = spec.split_once('-').unwrap_or((spec, spec));
    match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
        (Ok(a), Ok(b)) if a <= b => (a..=b).collect(),
        _ => Vec::new(),
    }
}

fn name_ports(s: &Service) -> Vec<(String, u16)> {
    let mut out: Vec<(String, u16)> = Vec::new();
    let mut add = |port: u16| {
        if out.iter().any(|(_, p)| *p == port) {
            return;
        }
        let n = match port_name(port) {
            Some(n) if !out.iter().any(|(x, _)| x == n) => n.to_string(),
            _ => format!("p{port}"),
        };
        out.push((n, port));
    };
    for p in &s.ports {
        add(p.target);
    }
    for e in &s.expose {
        for p in expose_ports(e) {
            add(p);
        }
    }
    out
}

struct WorkloadCtx<'a> {
    c: &'a NormalizedCompose,
    names: &'a BTreeMap<String, String>,
    store_of: &'a BTreeMap<String, StoreType>,
    stores: &'a BTreeMap<String, Store>,
    jobs: &'a BTreeSet<String>,
    dropped: &'a BTreeMap<String, String>,
    aliases: &'a BTreeMap<String, String>,
    ports: &'a BTreeMap<String, Vec<(String, u16)>>,
}

impl WorkloadCtx<'_> {
    fn bn(&self, n: &str) -> String {
        self.names.get(n).cloned().unwrap_or_else(|| rfc1123(n))
    }
    /// Compose host name → compose service name.
    fn host(&self, h: &str) -> Option<&String> {
        self.aliases.get(h)
    }
}

#[allow(clippy::too_many_arguments)]
fn import_workload(
    n: &str,
    s: &Service,
    is_job: bool,
    w: &WorkloadCtx,
    secrets: &mut BTreeMap<String, SecretSource>,
    secret_owner: &mut BTreeMap<String, (String, String)>,
    cx: &mut Ctx,
) -> Workload {
    let p = format!("services.{n}");
    let mut out = Workload {
        kind: if is_job { Kind::Job } else { Kind::Service },
        image: None,
        build: None,
        command: s.command.clone(),
        ports: w.ports.get(n).cloned().unwrap_or_default(),
        publish: Vec::new(),
        health: None,
        uses: Vec::new(),
        before: Vec::new(),
        env: BTreeMap::new(),
        secrets: Vec::new(),
        replicas: None,
        requests: None,
        limits: None,
        restart: None,
        volumes: Vec::new(),
    };
    // Image / build.
    if let Some(b) = &s.build {
        let mut args = BTreeMap::new();
        for (k, v) in &b.args {
            match v {
                _ if is_credential(k) => cx.warn(
                    format!("{p}.build.args.{k}"),
                    "credential-looking build argument dropped: pass it as a build secret, never as an argument",
                ),
                Some(v) => {
                    args.insert(k.clone(), v.clone());
                }
                None => cx.warn(
                    format!("{p}.build.args.{k}"),
                    "build argument without value (taken from the host at build time) dropped",
                ),
            }
        }
        out.build = Some(BuildOut {
            context: b.context.clone(),
            dockerfile: b.dockerfile.clone(),
            target: b.target.clone(),
            args,
        });
        for k in b.extra.keys() {
            cx.warn(
                format!("{p}.build.{k}"),
                "build option not supported by Berth; dropped",
            );
        }
        if let Some(img) = &s.image {
            let consumers: Vec<&String> =
                w.c.services
                    .iter()
                    .filter(|(o, os)| {
                        o.as_str() != n
                            && os
                                .build
                                .as_ref()
                                .is_some_and(|b| b.args.values().flatten().any(|v| v == img))
                    })
                    .map(|(o, _)| o)
                    .collect();
            if consumers.is_empty() {
                cx.warn(
                    format!("{p}.image"),
                    format!("image name {img} of a built service dropped: Berth tags built images from the stack's registry"),
                );
            } else {
                let names: Vec<&str> = consumers.iter().map(|x| x.as_str()).collect();
                cx.warn(
                    format!("{p}.image"),
                    format!(
                        "builder pattern: {img} is the base image of {} (via build args); Berth names built images itself, so build {n} first and keep that tag local",
                        names.join(", ")
                    ),
                );
            }
        }
    } else {
        out.image = s.image.clone();
        if let Some(img) = &s.image {
            let (_, tag) = split_image(img);
            if tag.is_none() || tag == Some("latest") {
                cx.warn(
                    format!("{p}.image"),
                    format!("{img} is not pinned to a version; pin it before deploying"),
                );
            }
        }
    }
    if let Some(e) = &s.entrypoint {
        cx.warn(
            format!("{p}.entrypoint"),
            format!("entrypoint {e:?} dropped: Berth uses the image's entrypoint; move it into the Dockerfile"),
        );
    }
    if is_job {
        if let Some(r) = &s.restart {
            if r != "no" {
                cx.warn(
                    format!("{p}.restart"),
                    format!("restart {r:?} dropped: jobs run once"),
                );
            }
        }
    } else if let Some(r) = &s.restart {
        let (v, note) = match r.as_str() {
            "always" => ("always", None),
            "unless-stopped" => ("always", Some("unless-stopped approximated as always")),
            "no" => ("never", None),
            x if x.starts_with("on-failure") => (
                "on-failure",
                x.contains(':').then_some("maximum retry count dropped"),
            ),
            _ => (
                "always",
                Some("unknown restart policy approximated as always"),
            ),
        };
        out.restart = Some(v.to_string());
        if let Some(note) = note {
            cx.warn(format!("{p}.restart"), note);
        }
    }
    // Ports.
    for (i, port) in s.ports.iter().enumerate() {
        let pp = format!("{p}.ports[{i}]");
        let Some((pname, _)) = out.ports.iter().find(|(_, t)| *t == port.target).cloned() else {
            continue;
        };
        if let Some(pb) = &port.published {
            match pb.parse::<u16>() {
                Ok(h) => {
                    if out.publish.iter().any(|(x, _)| *x == pname) {
                        cx.warn(
                            pp.clone(),
                            format!(
                                "second host port {h} for container port {} dropped",
                                port.target
                            ),
                        );
                    } else {
                        out.publish.push((pname.clone(), h));
                    }
                }
                Err(_) => cx.warn(
                    pp.clone(),
                    format!("host port range {pb} dropped; only single host ports are published"),
                ),
            }
        }
        if let Some(ip) = &port.host_ip {
            cx.warn(
                pp.clone(),
                format!(
                    "host IP {ip} for port {} dropped: Berth publishes on all interfaces locally",
                    port.target
                ),
            );
        }
        if port.protocol.as_deref().is_some_and(|x| x != "tcp") {
            cx.warn(
                pp.clone(),
                format!(
                    "protocol {} for port {} approximated as tcp",
                    port.protocol.as_deref().unwrap_or(""),
                    port.target
                ),
            );
        }
        if port.mode.as_deref().is_some_and(|m| m != "ingress") {
            cx.warn(pp.clone(), "port mode dropped");
        }
        for k in port.extra.keys() {
            cx.warn(format!("{pp}.{k}"), "port option dropped");
        }
    }
    // Health.
    if let Some(h) = &s.healthcheck {
        out.health = import_health(&p, h, &mut out.ports, cx);
    }
    // Dependencies.
    let add_use = |out: &mut Workload, dep: &str, cx: &mut Ctx, why: Option<String>| {
        if w.jobs.contains(dep) && !w.store_of.contains_key(dep) {
            return; // expressed by the job's `before`
        }
        if w.dropped.contains_key(dep) || dep == n {
            return;
        }
        let b = w.bn(dep);
        if !out.uses.contains(&b) {
            out.uses.push(b);
            if let Some(why) = why {
                cx.infer(format!("{p}.uses"), why);
            }
        }
    };
    for (d, spec) in &s.depends_on {
        if w.dropped.contains_key(d) {
            // Waiting on a dropped helper means waiting on what the helper waited on.
            for dd in
                w.c.services
                    .get(d)
                    .map(|h| h.depends_on.keys())
                    .into_iter()
                    .flatten()
            {
                add_use(
                    &mut out,
                    dd,
                    cx,
                    Some(format!("{d} was dropped; its dependency {dd} is kept")),
                );
            }
        }
        add_use(&mut out, d, cx, None);
        if spec.condition == "service_healthy" && !w.store_of.contains_key(d) {
            let has_health = w.c.services.get(d).is_some_and(|x| x.healthcheck.is_some());
            if !has_health {
                cx.warn(
                    format!("{p}.depends_on.{d}"),
                    "waits for health of a service without healthcheck",
                );
            }
        }
    }
    for l in &s.links {
        let (t, alias) = l
            .split_once(':')
            .map(|(a, b)| (a, Some(b)))
            .unwrap_or((l, None));
        add_use(
            &mut out,
            t,
            cx,
            Some(format!("link {l} → uses {}", w.bn(t))),
        );
        if let Some(a) = alias {
            if a != t {
                cx.warn(
                    format!("{p}.links"),
                    format!("alias {a} for {t} dropped; references to host {a} are rewritten"),
                );
            }
        }
    }
    // Environment.
    for (k, v) in &s.environment {
        let ep = format!("{p}.environment.{k}");
        let Some(v) = v else {
            if is_credential(k) {
                let sname = kebab(k);
                secrets.insert(sname.clone(), SecretSource::Env(k.clone()));
                out.secrets.push(sname.clone());
                cx.infer(ep, format!("unset credential passed through from the host → secret {sname} read from host env {k}"));
            } else {
                cx.warn(
                    ep,
                    "variable passed through from the host without a value; dropped",
                );
            }
            continue;
        };
        match env_value(k, v, &mut out, w, cx, &ep, &add_use) {
            EnvOut::Value(x) => {
                out.env.insert(k.clone(), x);
            }
            EnvOut::Drop(why) => cx.warn(ep, format!("dropped: {why}")),
            EnvOut::Secret => {
                let sname = kebab(k);
                if let Some((owner, val)) = secret_owner.get(&sname) {
                    if val != v {
                        cx.warn(
                            ep.clone(),
                            format!("{owner} and {n} had different values for {k}; they now share the generated secret {sname}"),
                        );
                    }
                } else {
                    secret_owner.insert(sname.clone(), (n.to_string(), v.clone()));
                }
                let source = secret_source(k, v);
                let how = match &source {
                    SecretSource::Generate(_) => "generated by Berth".to_string(),
                    SecretSource::Env(var) => {
                        format!("an external credential, read from host env {var} at `up`")
                    }
                };
                secrets.entry(sname.clone()).or_insert(source);
                if !out.secrets.contains(&sname) {
                    out.secrets.push(sname.clone());
                }
                cx.infer(
                    ep,
                    format!("credential → secret {sname}, {how}; the compose value is not copied"),
                );
            }
        }
    }
    // Compose secrets.
    for r in &s.secrets {
        let sname = kebab(&r.source);
        let var = sname.to_uppercase().replace('-', "_");
        let def = w.c.secrets.get(&r.source);
        let src = match def
            .and_then(|d| d.fields.get("environment"))
            .and_then(Value::as_str)
        {
            Some(e) => SecretSource::Env(e.to_string()),
            None => {
                if let Some(f) = def
                    .and_then(|d| d.fields.get("file"))
                    .and_then(Value::as_str)
                {
                    cx.warn(
                        format!("secrets.{}.file", r.source),
                        format!("secret file {f} approximated: Berth reads the value from host env {var} at `up`"),
                    );
                }
                SecretSource::Env(var.clone())
            }
        };
        secrets.entry(sname.clone()).or_insert(src);
        if !out.secrets.contains(&sname) {
            out.secrets.push(sname.clone());
        }
        cx.warn(
            format!("{p}.secrets.{}", r.source),
            format!(
                "mounted file {} approximated: the workload receives env var {var}",
                r.target.as_deref().unwrap_or("")
            ),
        );
    }
    out.secrets.sort();
    // Replicas and resources.
    let replicas = s.deploy.as_ref().and_then(|d| d.replicas).or(s.scale);
    if replicas.is_some_and(|r| r != 1) {
        out.replicas = replicas;
    }
    if let Some(d) = &s.deploy {
        for k in d.extra.keys() {
            cx.warn(
                format!("{p}.deploy.{k}"),
                "deploy option not supported by Berth; dropped",
            );
        }
        if let Some(r) = &d.resources {
            let conv = |set: &ResourceSet, path: String, cx: &mut Ctx| {
                for k in set.extra.keys() {
                    cx.warn(
                        format!("{path}.{k}"),
                        "resource kind not supported; dropped",
                    );
                }
                Res {
                    cpu: set.cpus.map(cpu_quantity),
                    memory: set.memory.map(mem_quantity),
                }
            };
            let lim = r
                .limits
                .as_ref()
                .map(|l| conv(l, format!("{p}.deploy.resources.limits"), cx));
            let req = r
                .reservations
                .as_ref()
                .map(|l| conv(l, format!("{p}.deploy.resources.reservations"), cx));
            match (req, lim) {
                (Some(rq), l) => {
                    out.requests = Some(rq);
                    out.limits = l;
                }
                (None, Some(l)) => {
                    cx.infer(
                        format!("{p}.deploy.resources.limits"),
                        "no reservations: requests set equal to the limits",
                    );
                    out.requests = Some(l.clone());
                    out.limits = Some(l);
                }
                (None, None) => {}
            }
        }
    }
    // Volumes.
    for (i, m) in s.volumes.iter().enumerate() {
        let vp = format!("{p}.volumes[{i}]");
        import_mount(m, &vp, &mut out, cx);
    }
    common_drops(&p, s, cx);
    out
}

fn import_mount(m: &Mount, vp: &str, out: &mut Workload, cx: &mut Ctx) {
    match (m.kind.as_str(), &m.source) {
        ("volume", Some(src)) => {
            let vname = kebab(src);
            out.volumes.push((vname.clone(), m.target.clone(), "1Gi".into()));
            cx.infer(vp, format!("named volume {src} → volumes.{vname} (size 1Gi assumed)"));
            if m.read_only {
                cx.warn(vp, "read-only flag dropped");
            }
        }
        ("volume", None) => cx.warn(vp, format!("anonymous volume at {} dropped: it only shadows image content locally", m.target)),
        ("bind", src) => cx.warn(
            vp,
            format!(
                "host bind mount {} → {} dropped: local-development only; use dev.watch for live reload",
                src.as_deref().unwrap_or(""),
                m.target
            ),
        ),
        (k, _) => cx.warn(vp, format!("{k} mount at {} dropped", m.target)),
    }
    for k in m.extra.keys() {
        cx.warn(format!("{vp}.{k}"), "mount option dropped");
    }
}

enum EnvOut {
    Value(String),
    Secret,
    Drop(String),
}

type AddUse<'a> = dyn Fn(&mut Workload, &str, &mut Ctx, Option<String>) + 'a;

fn env_value(
    k: &str,
    v: &str,
    out: &mut Workload,
    w: &WorkloadCtx,
    cx: &mut Ctx,
    ep: &str,
    add_use: &AddUse,
) -> EnvOut {
    if let Some(file) = v.strip_prefix("/run/secrets/") {
        let var = kebab(file).to_uppercase().replace('-', "_");
        return EnvOut::Drop(format!(
            "points at the compose secret file {v}; Berth delivers that secret as env var {var} instead, so the app must read {var}"
        ));
    }
    // Connection strings.
    if let Some(u) = parse_url(v) {
        if u.hosts.len() == 1 {
            let (host, port) = &u.hosts[0];
            if let Some(svc) = w.host(host).cloned() {
                let dep = w.bn(&svc);
                if let Some(t) = w.store_of.get(&svc).copied() {
                    if t.schemes().contains(&u.scheme.as_str()) {
                        let st = &w.stores[&dep];
                        let db = u.path.trim_start_matches('/');
                        let query_ok = u.query.is_empty()
                            || u.query.split('&').all(|q| {
                                q.starts_with("replicaSet=") || q.starts_with("authSource=")
                            });
                        let db_ok = db.is_empty()
                            || st.database.as_deref() == Some(db)
                            || (t == StoreType::Rabbitmq && db == "%2F")
                            || (t == StoreType::Redis && db == "0");
                        let port_ok = port.is_none_or(|p| p == t.port());
                        add_use(
                            out,
                            &svc,
                            cx,
                            Some(format!("{k} points at store {dep} → uses {dep}")),
                        );
                        let value = if db_ok && query_ok && port_ok {
                            format!("${{{dep}.url}}")
                        } else {
                            let mut s = format!("{}://", u.scheme);
                            if u.user.is_some() {
                                s.push_str(&format!("${{{dep}.user}}:${{{dep}.password}}@"));
                            }
                            s.push_str(&format!("${{{dep}.host}}:${{{dep}.port}}{}", u.path));
                            if !u.query.is_empty() {
                                s.push('?');
                                s.push_str(&u.query);
                            }
                            s
                        };
                        cx.infer(ep, format!("connection string → {value}"));
                        if u.password.is_some()
                            && st.password.is_some()
                            && u.password != st.password
                        {
                            cx.warn(ep, "password in the connection string differed from the store's; Berth's generated password is used");
                        }
                        return EnvOut::Value(value);
                    }
                } else if w.ports.contains_key(&svc)
                    && matches!(u.scheme.as_str(), "http" | "https" | "ws" | "grpc")
                    && u.user.is_none()
                {
                    let primary = w.ports[&svc].first().map(|(_, p)| *p);
                    add_use(
                        out,
                        &svc,
                        cx,
                        Some(format!("{k} points at service {dep} → uses {dep}")),
                    );
                    if port.is_some() && *port == primary && u.scheme == "http" {
                        let mut value = format!("${{{dep}.url}}");
                        if u.path != "/" {
                            value.push_str(&u.path);
                        }
                        if !u.query.is_empty() {
                            value.push('?');
                            value.push_str(&u.query);
                        }
                        cx.infer(ep, format!("service URL → {value}"));
                        return EnvOut::Value(value);
                    }
                    return EnvOut::Value(v.to_string());
                }
            }
        }
        if u.password.is_some() {
            return EnvOut::Secret;
        }
    }
    // host:port pairs (`redis:6379`).
    if let Some((h, port)) = v.split_once(':') {
        if let (Some(svc), Ok(pn)) = (w.host(h).cloned(), port.parse::<u16>()) {
            if let Some(t) = w.store_of.get(&svc) {
                if t.port() == pn {
                    let dep = w.bn(&svc);
                    add_use(
                        out,
                        &svc,
                        cx,
                        Some(format!("{k} points at store {dep} → uses {dep}")),
                    );
                    let value = format!("${{{dep}.host}}:${{{dep}.port}}");
                    cx.infer(ep, format!("host:port → {value}"));
                    return EnvOut::Value(value);
                }
            }
        }
    }
    let up = k.to_uppercase();
    // Values repeating store credentials or coordinates.
    for (sname, t) in w.store_of {
        let dep = w.bn(sname);
        let st = &w.stores[&dep];
        let is_used = out.uses.contains(&dep);
        let field = if st.password.as_deref() == Some(v) && is_credential(k) {
            Some("password")
        } else if (up.ends_with("HOST") || up.ends_with("HOSTNAME")) && w.host(v) == Some(sname) {
            Some("host")
        } else if !is_used {
            None
        } else if up.ends_with("PORT")
            && v.parse::<u16>().ok() == Some(t.port())
            && w.store_of
                .iter()
                .filter(|(o, ot)| ot.port() == t.port() && out.uses.contains(&w.bn(o)))
                .count()
                == 1
        {
            Some("port")
        } else if (up.ends_with("USER") || up.ends_with("USERNAME"))
            && st.user.as_deref() == Some(v)
        {
            Some("user")
        } else if (up.ends_with("DB") || up.ends_with("DATABASE") || up.ends_with("DB_NAME"))
            && st.database.as_deref() == Some(v)
        {
            Some("db")
        } else {
            None
        };
        if let Some(f) = field {
            add_use(
                out,
                sname,
                cx,
                Some(format!("{k} repeats store {dep}'s {f} → uses {dep}")),
            );
            let value = format!("${{{dep}.{f}}}");
            cx.infer(ep, format!("repeats the store's {f} → {value}"));
            return EnvOut::Value(value);
        }
    }
    if is_credential(k) && !v.is_empty() && !matches!(v, "true" | "false") {
        return EnvOut::Secret;
    }
    EnvOut::Value(v.to_string())
}

fn import_health(
    p: &str,
    h: &Healthcheck,
    ports: &mut Vec<(String, u16)>,
    cx: &mut Ctx,
) -> Option<Health> {
    let hp = format!("{p}.healthcheck");
    if h.disable || h.test.first().map(String::as_str) == Some("NONE") {
        cx.warn(
            hp,
            "disabled healthcheck dropped: Berth probes need a check; add health later",
        );
        return None;
    }
    for k in h.extra.keys() {
        cx.warn(format!("{hp}.{k}"), "healthcheck option dropped");
    }
    let (first, rest) = h.test.split_first()?;
    let words: Vec<String> = match first.as_str() {
        "CMD" => rest.to_vec(),
        "CMD-SHELL" => {
            let s = rest.join(" ");
            let head = s
                .split("||")
                .next()
                .unwrap_or(&s)
                .split("&&")
                .next()
                .unwrap_or(&s);
            shell_split(head.trim()).unwrap_or_default()
        }
        _ => h.test.clone(),
    };
    let port_ref = |port: u16, ports: &mut Vec<(String, u16)>, cx: &mut Ctx| -> String {
        if let Some((n, _)) = ports.iter().find(|(_, p)| *p == port) {
            return n.clone();
        }
        let n = match port_name(port) {
            Some(n) if !ports.iter().any(|(x, _)| x == n) => n.to_string(),
            _ => format!("p{port}"),
        };
        ports.push((n.clone(), port));
        cx.infer(
            format!("{hp}.test"),
            format!("port {port} probed by the healthcheck → ports.{n}"),
        );
        n
    };
    let probe = (|| {
        let cmd = words.first()?.rsplit('/').next()?.to_string();
        if cmd == "curl" || cmd == "wget" {
            let url = words.iter().skip(1).find_map(|a| parse_url(a))?;
            let (host, port) = url.hosts.first()?;
            if !matches!(host.as_str(), "localhost" | "127.0.0.1" | "0.0.0.0")
                || url.scheme != "http"
            {
                return None;
            }
            let port = port.unwrap_or(80);
            let path = if url.path.is_empty() {
                "/".to_string()
            } else {
                url.path.clone()
            };
            return Some(Probe::Http {
                path,
                port: port_ref(port, ports, cx),
            });
        }
        if cmd == "nc" && words.iter().any(|a| a == "-z") {
            let port: u16 = words.last()?.parse().ok()?;
            return Some(Probe::Tcp(port_ref(port, ports, cx)));
        }
        None
    })();
    let probe = match probe {
        Some(pr) => {
            cx.infer(
                format!("{hp}.test"),
                format!("{} → {}", h.test.join(" "), describe_probe(&pr)),
            );
            pr
        }
        None => Probe::Exec(match first.as_str() {
            "CMD" => rest.to_vec(),
            "CMD-SHELL" => vec!["sh".into(), "-c".into(), rest.join(" ")],
            _ => h.test.clone(),
        }),
    };
    Some(Health {
        probe,
        interval: h.interval.clone(),
        timeout: h.timeout.clone(),
        retries: h.retries,
        start_period: h.start_period.clone(),
    })
}

fn describe_probe(p: &Probe) -> String {
    match p {
        Probe::Http { path, port } => format!("http probe {path} on port {port}"),
        Probe::Tcp(port) => format!("tcp probe on port {port}"),
        Probe::Exec(_) => "exec probe".into(),
    }
}

/// Cores → Kubernetes CPU quantity.
#[allow(clippy::manual_is_multiple_of)] // keeps the declared MSRV
pub fn cpu_quantity(cores: f64) -> String {
    let milli = (cores * 1000.0).round() as u64;
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// Bytes → Kubernetes memory quantity (Gi when exact, else Mi rounded up).
#[allow(clippy::manual_is_multiple_of)] // keeps the declared MSRV
pub fn mem_quantity(bytes: u64) -> String {
    const MI: u64 = 1 << 20;
    const GI: u64 = 1 << 30;
    if bytes >= GI && bytes % GI == 0 {
        format!("{}Gi", bytes / GI)
    } else {
        format!("{}Mi", bytes.div_ceil(MI))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_quantities() {
        assert_eq!(rfc1123("01-Session_Agent"), "session-agent");
        assert_eq!(cpu_quantity(0.25), "250m");
        assert_eq!(cpu_quantity(2.0), "2");
        assert_eq!(mem_quantity(512 << 20), "512Mi");
        assert_eq!(mem_quantity(2 << 30), "2Gi");
        assert_eq!(tag_version("16-alpine").as_deref(), Some("16"));
        assert_eq!(tag_version("3.13-management").as_deref(), Some("3.13"));
        assert_eq!(tag_version("latest"), None);
        assert_eq!(store_type("bitnami/redis:7.2"), Some(StoreType::Redis));
        assert_eq!(store_type("ghcr.io/acme/api:1"), None);
        assert!(is_credential("JWT_SECRET"));
        assert!(is_credential("STRIPE_API_KEY"));
        assert!(!is_credential("LOG_LEVEL"));
        assert!(!is_credential("CACHE_KEY_PREFIX"));
        assert!(!is_credential("JWT_EXPIRES_IN"));
        assert!(!is_credential("JWT_SIGNING_KEY_FILE"));
        assert!(is_credential("DB_PASSWORD"));
        assert!(is_credential("AWS_SECRET_ACCESS_KEY"));
    }
}
