//! Stores in compose: which images are stores Berth realizes itself, which store containers are
//! helpers instead, and the `berth_spec::Store` each store service becomes (version from the tag,
//! storage from its volumes, database from its variables or from the connection strings that
//! point at it).

use super::drops::common_drops;
use super::names::{rfc1123, Names};
use super::url::parse_url;
use crate::model::{Mount, NormalizedCompose, Service};
use crate::notes::Notes;
use berth_spec::{Spanned, Store, StoreType};
use std::collections::{BTreeMap, BTreeSet};

/// Recognizes a well-known store image.
pub fn store_type(image: &str) -> Option<StoreType> {
    let (repo, _) = split_image(image);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    match last {
        "redis" | "valkey" | "redis-stack-server" => Some(StoreType::Redis),
        "postgres" | "postgresql" | "postgis" => Some(StoreType::Postgres),
        "mongo" | "mongodb" | "mongodb-community-server" => Some(StoreType::Mongodb),
        "rabbitmq" => Some(StoreType::Rabbitmq),
        "mysql" | "mariadb" | "percona-server" => Some(StoreType::Mysql),
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

/// The store's standard port, from the spec's store facts.
pub fn port(t: StoreType) -> u16 {
    berth_spec::store::facts(t).port
}

/// URL schemes that address a store of this type.
pub fn schemes(t: StoreType) -> &'static [&'static str] {
    match t {
        StoreType::Redis => &["redis", "rediss"],
        StoreType::Postgres => &["postgres", "postgresql"],
        StoreType::Mongodb => &["mongodb"],
        StoreType::Rabbitmq => &["amqp", "amqps"],
        // Import recognizes these and mysql (store_type above).
        other => berth_spec::store::facts(other).schemes,
    }
}

/// The variables a store image reads its user, password and database (or vhost) from.
fn config_vars(t: StoreType) -> [&'static [&'static str]; 3] {
    match t {
        StoreType::Postgres => [&["POSTGRES_USER"], &["POSTGRES_PASSWORD"], &["POSTGRES_DB"]],
        StoreType::Mongodb => [
            &["MONGO_INITDB_ROOT_USERNAME"],
            &["MONGO_INITDB_ROOT_PASSWORD"],
            &["MONGO_INITDB_DATABASE"],
        ],
        StoreType::Rabbitmq => [
            &["RABBITMQ_DEFAULT_USER"],
            &["RABBITMQ_DEFAULT_PASS"],
            &["RABBITMQ_DEFAULT_VHOST"],
        ],
        StoreType::Redis => [&["REDIS_USERNAME"], &["REDIS_PASSWORD"], &[]],
        // The user's password first: it is the one services log in with.
        StoreType::Mysql => [
            &["MYSQL_USER", "MARIADB_USER"],
            &[
                "MYSQL_PASSWORD",
                "MARIADB_PASSWORD",
                "MYSQL_ROOT_PASSWORD",
                "MARIADB_ROOT_PASSWORD",
            ],
            &["MYSQL_DATABASE", "MARIADB_DATABASE"],
        ],
        _ => [&[], &[], &[]],
    }
}

/// A store of the stack, with the credentials compose gave it: those are not carried over, only
/// used to recognize app variables that repeat them.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedStore {
    pub store: Store,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl ImportedStore {
    pub fn kind(&self) -> StoreType {
        self.store.r#type.value
    }
}

/// Which compose services are stores, and which store images are helpers instead.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Compose service → store type, for the services that become stores.
    pub store_of: BTreeMap<String, StoreType>,
    /// Compose services deliberately not carried over, with the reason.
    pub dropped: BTreeMap<String, String>,
    /// Store images that depend on a store of their type or run once: they become jobs.
    pub helper_jobs: BTreeSet<String>,
}

/// Finds the stores: a well-known store image that is not built. A store image that depends on
/// another store of its type, or runs once, is a helper job — except MongoDB replica-set
/// initialisers, which Berth's mongodb store replaces.
pub fn find(c: &NormalizedCompose, notes: &mut Notes) -> Found {
    let mut found = Found::default();
    for (n, s) in &c.services {
        if let (Some(img), None) = (&s.image, &s.build) {
            match store_type(img).map(|t| (t, misfit(s, t))) {
                Some((t, None)) => {
                    found.store_of.insert(n.clone(), t);
                }
                Some((t, Some(why))) => notes.infer(
                    format!("services.{n}"),
                    format!("a {t} image kept as a service: {why}"),
                ),
                None => {}
            }
        }
    }
    for (n, s) in &c.services {
        let Some(t) = found.store_of.get(n).copied() else {
            continue;
        };
        let depends_on_same = s
            .depends_on
            .keys()
            .any(|d| found.store_of.get(d) == Some(&t));
        if !depends_on_same && s.restart.as_deref() != Some("no") {
            continue;
        }
        if t == StoreType::Mongodb && initiates_replica_set(s) {
            found.dropped.insert(
                n.clone(),
                "MongoDB replica-set initialisation is done by Berth's mongodb store".to_string(),
            );
        } else {
            found.helper_jobs.insert(n.clone());
        }
    }
    for n in found.dropped.keys().chain(found.helper_jobs.iter()) {
        found.store_of.remove(n);
    }
    for (n, why) in &found.dropped {
        notes.warn(format!("services.{n}"), format!("dropped: {why}"));
    }
    found
}

/// Why a Berth store of type `t` could not keep what compose configured for `s` (so it stays a
/// service with everything intact): a port the store does not serve, or a user or database the
/// image reads from a secret file (services read the same file; Berth names the store's user and
/// database itself).
fn misfit(s: &Service, t: StoreType) -> Option<String> {
    let facts = berth_spec::store::facts(t);
    let image = s.image.as_deref().map(berth_spec::ImageRef::parse);
    let extra = berth_spec::emulator::for_store(t, image.as_ref())
        .map_or(facts.extra_ports, |e| e.extra_ports);
    let serves = |p: u16| p == facts.port || extra.iter().any(|(_, x)| *x == p);
    let exposed = s.expose.iter().flat_map(|e| super::expose_ports(e));
    let targets = s.ports.iter().map(|p| p.target).chain(exposed);
    if let Some(p) = targets.into_iter().find(|p| !serves(*p)) {
        return Some(format!("port {p} is not one a {t} store serves"));
    }
    let [user_k, _, db_k] = config_vars(t);
    let from_file = user_k.iter().chain(db_k).map(|k| format!("{k}_FILE"));
    from_file
        .into_iter()
        .find(|k| s.environment.contains_key(k))
        .map(|k| format!("{k} reads the store's configuration from a secret file"))
}

fn initiates_replica_set(s: &Service) -> bool {
    let cmd = s
        .command
        .iter()
        .chain(s.entrypoint.iter())
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    cmd.contains("rs.initiate") || cmd.contains("replSetInitiate")
}

/// Imports every store, keyed by Berth name.
pub fn import_all(
    c: &NormalizedCompose,
    store_of: &BTreeMap<String, StoreType>,
    names: &Names,
    notes: &mut Notes,
) -> BTreeMap<String, ImportedStore> {
    store_of
        .iter()
        .map(|(n, t)| (names.of(n), import_store(c, n, *t, notes)))
        .collect()
}

/// One compose store service → a Berth store, noting everything that is not carried over.
pub fn import_store(
    c: &NormalizedCompose,
    n: &str,
    t: StoreType,
    notes: &mut Notes,
) -> ImportedStore {
    let s = &c.services[n];
    let p = format!("services.{n}");
    let mut st = ImportedStore {
        store: Store {
            r#type: Spanned::synthetic(t),
            // The exact image (variant, mirror, compatible engine) says the version.
            image: image(n, s, t, notes),
            ..Store::default()
        },
        user: None,
        password: None,
    };
    configuration(n, s, &mut st, notes);
    defaults(&mut st);
    command_line(&p, s, &mut st, notes);
    if s.entrypoint.is_some() {
        notes.warn(
            format!("{p}.entrypoint"),
            "store entrypoint dropped: Berth runs the store itself",
        );
    }
    if s.healthcheck.is_some() {
        notes.infer(
            format!("{p}.healthcheck"),
            "Berth gives every store a pinned healthcheck; the compose one is replaced",
        );
    }
    publish(&p, s, &mut st.store, notes);
    mounts(c, &p, s, &mut st.store, notes);
    for (target, file) in super::volumes::config_files(c, &p, s, notes) {
        (st.store.files).insert(Spanned::synthetic(target), Spanned::synthetic(file));
    }
    if let Some(r) = &s.restart {
        notes.infer(
            format!("{p}.restart"),
            format!("restart {r:?}: Berth always restarts stores"),
        );
    }
    common_drops(&p, s, notes);
    st
}

/// The store's image, exactly as compose runs it.
fn image(
    n: &str,
    s: &Service,
    t: StoreType,
    notes: &mut Notes,
) -> Option<Spanned<berth_spec::ImageRef>> {
    let img = s.image.clone().unwrap_or_default();
    notes.infer(
        format!("services.{n}.image"),
        format!(
            "{img} is a well-known store → stores.{} ({}, image kept)",
            rfc1123(n),
            t.as_str()
        ),
    );
    Some(Spanned::synthetic(berth_spec::ImageRef::parse(&img)))
}

/// The host ports compose published: the store's port (`publish`, or none: `publish: 0`) and
/// its further named ports (rabbitmq's `management`: `publish_ports`, where compose did not
/// publish them with the main port at their own numbers); other published ports are noted.
fn publish(p: &str, s: &Service, store: &mut Store, notes: &mut Notes) {
    let t = store.r#type.value;
    let image = store.image.as_ref().map(|i| &i.value);
    let extra = berth_spec::emulator::for_store(t, image)
        .map_or(berth_spec::store::facts(t).extra_ports, |e| e.extra_ports);
    let mut main = None;
    let mut further = BTreeMap::new();
    for (i, port) in s.ports.iter().enumerate() {
        let Some(pb) = &port.published else { continue };
        let host = pb.parse::<u16>().ok();
        let named = extra
            .iter()
            .find(|(_, n)| *n == port.target)
            .map(|(k, _)| *k);
        match (host, named) {
            (Some(h), _) if port.target == self::port(t) && main.is_none() => main = Some(h),
            (Some(h), Some(k)) if !further.contains_key(k) => {
                further.insert(k, h);
            }
            _ => notes.warn(
                format!("{p}.ports[{i}]"),
                format!(
                    "host port {pb}→{} dropped: the store has no such port",
                    port.target
                ),
            ),
        }
    }
    store.publish = Some(Spanned::synthetic(main.unwrap_or(0)));
    for (k, n) in extra {
        // By default the further ports follow the main one, at their own numbers.
        let default = main.map(|_| *n);
        let host = further.get(k).copied();
        if host != default {
            store.publish_ports.insert(
                Spanned::synthetic(k.to_string()),
                Spanned::synthetic(host.unwrap_or(0)),
            );
        }
    }
}

/// The store's variables: user, password and database are taken (the password also from the
/// secret file a `*_FILE` variable names: `password:`), the rest is dropped.
fn configuration(n: &str, s: &Service, st: &mut ImportedStore, notes: &mut Notes) {
    let t = st.kind();
    let [user_k, pass_k, db_k] = config_vars(t);
    let b = rfc1123(n);
    // The first password variable in `pass_k` order wins.
    let mut rank = usize::MAX;
    for (k, v) in &s.environment {
        let path = format!("services.{n}.environment.{k}");
        let base = k.strip_suffix("_FILE").unwrap_or(k);
        let pass = pass_k.iter().position(|p| *p == base);
        if user_k.contains(&k.as_str()) {
            st.user = v.clone();
            notes.infer(
                path,
                format!("store user is managed by Berth (available as ${{{b}.user}})"),
            );
        } else if let (Some(i), true) = (pass, base != k) {
            match secret_file(s, v.as_deref()) {
                Some(secret) if i < rank => {
                    rank = i;
                    st.store.password = Some(Spanned::synthetic(rfc1123(&secret)));
                    notes.infer(
                        path,
                        format!(
                            "the store's password is secret {} (the file services read too)",
                            rfc1123(&secret)
                        ),
                    );
                }
                _ => notes.warn(
                    path,
                    "second password file dropped: the store has one password",
                ),
            }
        } else if let Some(i) = pass {
            if i < rank {
                rank = i;
                st.password = v.clone();
            }
            notes.infer(path, format!("store password is generated and managed by Berth (available as ${{{b}.password}}); the compose value is not copied"));
        } else if db_k.contains(&k.as_str()) && t != StoreType::Rabbitmq {
            st.store.database = v.clone().map(Spanned::synthetic);
            notes.infer(path, format!("→ stores.{b}.database"));
        } else {
            notes.warn(
                path,
                "store configuration variable dropped: Berth configures the store itself",
            );
        }
    }
}

/// The compose secret behind `/run/secrets/NAME` (or its own target) of service `s`.
fn secret_file(s: &Service, path: Option<&str>) -> Option<String> {
    let path = path?;
    s.secrets
        .iter()
        .find(|r| {
            let target = r.target.as_deref().unwrap_or(&r.source);
            target == path || format!("/run/secrets/{target}") == path
        })
        .map(|r| r.source.clone())
}

/// What the store images assume when their variables are not set.
fn defaults(st: &mut ImportedStore) {
    match st.kind() {
        StoreType::Postgres => {
            let user = st.user.get_or_insert_with(|| "postgres".into());
            // postgres defaults the database to the user name.
            if st.store.database.is_none() {
                st.store.database = Some(Spanned::synthetic(user.clone()));
            }
        }
        StoreType::Rabbitmq if st.user.is_none() => {
            st.user = Some("guest".into());
            st.password = st.password.take().or(Some("guest".into()));
        }
        _ => {}
    }
}

/// A store's command line: the server's arguments are kept as `args` (after Berth's own);
/// redis's `--requirepass` tells its password (Berth manages it), a replica set is Berth's,
/// and a command that is not the server itself (a shell script) is dropped.
fn command_line(p: &str, s: &Service, st: &mut ImportedStore, notes: &mut Notes) {
    let Some(cmd) = &s.command else {
        return;
    };
    let mut args: Vec<&String> = cmd.iter().collect();
    if args
        .first()
        .is_some_and(|a| a.as_str() == "docker-entrypoint.sh")
    {
        args.remove(0);
    }
    let server = server(st.kind());
    if args.first().map(|a| a.as_str()) == server {
        args.remove(0);
    }
    if st.kind() == StoreType::Redis {
        if let Some(i) = args.iter().position(|a| a.as_str() == "--requirepass") {
            st.password = args.get(i + 1).map(|a| a.to_string());
            args.drain(i..(i + 2).min(args.len()));
        }
    }
    let why = if cmd.iter().any(|a| a.contains("replSet")) {
        "replica set is configured and initialised by Berth's mongodb store"
    } else if server.is_none() || args.first().is_some_and(|a| !a.starts_with('-')) {
        "store command line dropped: Berth runs the store with its own settings"
    } else {
        st.store.args = args
            .into_iter()
            .map(|a| Spanned::synthetic(a.clone()))
            .collect();
        notes.infer(
            format!("{p}.command"),
            "server arguments kept as `args`, after Berth's own",
        );
        return;
    };
    notes.warn(format!("{p}.command"), why);
}

/// The program a store image's command runs, whose arguments `args` keeps.
fn server(t: StoreType) -> Option<&'static str> {
    berth_spec::store::server_program(t)
}

/// A store's mounts: the named volume at its data directory (else its first one) keeps its real
/// name (`volume:`, so existing data is found) and gives its storage; further named volumes are
/// its `volumes`, project files and folders its `files` (read-only: init scripts, config files);
/// a host folder at its data directory is approximated by Berth-managed storage.
fn mounts(c: &NormalizedCompose, p: &str, s: &Service, store: &mut Store, notes: &mut Notes) {
    let data_dir = data_dir(store);
    let named = |m: &&Mount| m.kind == "volume" && m.source.is_some();
    let data = s
        .volumes
        .iter()
        .filter(named)
        .find(|m| m.target.trim_end_matches('/') == data_dir)
        .or_else(|| s.volumes.iter().find(named));
    for (i, m) in s.volumes.iter().enumerate() {
        let mp = format!("{p}.volumes[{i}]");
        let src = m.source.as_deref().unwrap_or("");
        match m.kind.as_str() {
            "volume" if std::ptr::eq(m, data.unwrap_or(m)) && m.source.is_some() => {
                let (name, _) = super::volumes::real_name(c, src);
                store.storage = Some(Spanned::synthetic(berth_spec::Memory::gibibytes(1)));
                notes.infer(
                    mp,
                    format!("volume {src} → volume: {name}, storage: 1Gi (compose volumes carry no size)"),
                );
                store.volume = Some(Spanned::synthetic(name));
            }
            "volume" if m.source.is_some() => {
                let (key, v) = super::volumes::named(c, m, src);
                store.volumes.entry(Spanned::synthetic(key)).or_insert(v);
            }
            "bind" if m.target.trim_end_matches('/') == data_dir => {
                store.storage = Some(Spanned::synthetic(berth_spec::Memory::gibibytes(1)));
                notes.warn(
                    mp,
                    format!("host bind mount {src} approximated by Berth-managed storage (1Gi)"),
                );
            }
            "bind" => {
                if super::volumes::in_project(m, src, &mp, notes) {
                    if !m.read_only {
                        notes.infer(
                            mp.clone(),
                            "mounted read-only: a store's files are its configuration",
                        );
                    }
                    store.files.insert(
                        Spanned::synthetic(m.target.clone()),
                        Spanned::synthetic(src.to_string()),
                    );
                }
            }
            _ => notes.warn(
                mp,
                "anonymous volume dropped: data was not meant to persist",
            ),
        }
    }
}

/// Where a store's image keeps its data (the mount that is its storage).
fn data_dir(store: &Store) -> &'static str {
    let image = store.image.as_ref().map(|i| &i.value);
    match store.r#type.value {
        StoreType::Redis => "/data",
        StoreType::Postgres => "/var/lib/postgresql/data",
        StoreType::Mongodb => "/data/db",
        StoreType::Rabbitmq => "/var/lib/rabbitmq",
        t => berth_spec::emulator::for_store(t, image).map_or("/data", |e| e.data_dir),
    }
}

/// A store without a declared database takes the one every connection string agrees on.
pub fn infer_databases(
    c: &NormalizedCompose,
    store_of: &BTreeMap<String, StoreType>,
    aliases: &BTreeMap<String, String>,
    stores: &mut BTreeMap<String, ImportedStore>,
    names: &Names,
    notes: &mut Notes,
) {
    for (n, t) in store_of {
        let Some(st) = stores.get_mut(&names.of(n)) else {
            continue;
        };
        if st.store.database.is_some() || !berth_spec::store::facts(*t).has_db {
            continue;
        }
        let dbs: BTreeSet<String> = c
            .services
            .values()
            .flat_map(|s| s.environment.values().flatten())
            .filter_map(|v| parse_url(v))
            .filter(|u| {
                u.single_host()
                    .is_some_and(|(h, _)| aliases.get(h) == Some(n))
                    && schemes(*t).contains(&u.scheme.as_str())
            })
            .map(|u| u.path.trim_start_matches('/').to_string())
            .filter(|db| !db.is_empty())
            .collect();
        if let Some(db) = dbs.first().filter(|_| dbs.len() == 1) {
            notes.infer(
                format!("services.{n}"),
                format!("database {db:?} taken from the connection strings that point at it"),
            );
            st.store.database = Some(Spanned::synthetic(db.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_images_and_versions() {
        assert_eq!(tag_version("16-alpine").as_deref(), Some("16"));
        assert_eq!(tag_version("3.13-management").as_deref(), Some("3.13"));
        assert_eq!(tag_version("latest"), None);
        assert_eq!(store_type("bitnami/redis:7.2"), Some(StoreType::Redis));
        assert_eq!(store_type("ghcr.io/acme/api:1"), None);
        assert_eq!(
            split_image("reg:5000/pg:16@sha256:x"),
            ("reg:5000/pg", Some("16"))
        );
        assert_eq!(split_image("reg:5000/pg"), ("reg:5000/pg", None));
        assert_eq!(port(StoreType::Mongodb), 27017);
    }
}
