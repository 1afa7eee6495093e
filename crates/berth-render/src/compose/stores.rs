//! `compose.stores.yaml`: the stores Berth runs as containers, plus the one-shot MongoDB
//! replica set initialiser. Runs on its own (`deploy: dbs`).

use super::common::{
    env_file_entry, esc, mount_entries, network, networks_section, resources, secs, volume_decl,
    ComposeOptions,
};
use berth_spec::emulator::Emulator;
use berth_spec::model::{Realized, StoreModel};
use berth_spec::{Model, StoreType};
use serde_json::{json, Map, Value};

/// Stores that compose runs (container realizations only; host, managed and external stores
/// are reached, not run).
pub(crate) fn runs_in_compose(store: &StoreModel) -> bool {
    store.realization == Realized::Container
}

/// The variables, in the store's env file, that carry its password (none: no env file).
pub(crate) fn password_vars(store: &StoreModel) -> &'static [&'static str] {
    match store.kind {
        StoreType::Redis => &["REDIS_PASSWORD"],
        StoreType::Postgres => &["POSTGRES_PASSWORD"],
        StoreType::Mongodb => &["MONGO_INITDB_ROOT_PASSWORD"],
        StoreType::Rabbitmq => &["RABBITMQ_DEFAULT_PASS"],
        _ => emulator(store).map(|e| e.password_vars).unwrap_or(&[]),
    }
}

/// The image row (`berth_spec::emulator`) a store of a newer type runs with.
pub(crate) fn emulator(store: &StoreModel) -> Option<&'static Emulator> {
    berth_spec::emulator::for_store(store.kind, store.image.as_ref())
}

/// Name of the one-shot service that initialises a MongoDB replica set.
pub(crate) fn init_service(store: &StoreModel) -> Option<String> {
    (store.kind == StoreType::Mongodb && store.replica_set.is_some())
        .then(|| format!("{}-init", store.name))
}

/// The further members of a MongoDB replica set compose runs (`replicas: 3` → `NAME-1`,
/// `NAME-2`; the store's own service is the first member).
pub(crate) fn members(store: &StoreModel) -> Vec<String> {
    if store.kind != StoreType::Mongodb || store.replica_set.is_none() {
        return Vec::new();
    }
    (1..store.replicas)
        .map(|i| format!("{}-{i}", store.name))
        .collect()
}

fn data_dir(store: &StoreModel) -> &'static str {
    match store.kind {
        StoreType::Redis => "/data",
        // From 18 on, the image keeps PGDATA in a versioned directory under /var/lib/postgresql
        // and declares its volume there.
        StoreType::Postgres if store.version.as_ref().is_some_and(|v| v.major() >= 18) => {
            "/var/lib/postgresql"
        }
        StoreType::Postgres => "/var/lib/postgresql/data",
        StoreType::Mongodb => "/data/db",
        StoreType::Rabbitmq => "/var/lib/rabbitmq",
        _ => emulator(store).map_or("/data", |e| e.data_dir),
    }
}

/// The compose volume holding a store's data (docker names it `<project>_<volume>`): the
/// store's `volume`, else `<store>-data`.
pub fn volume_name(store: &StoreModel) -> String {
    store
        .volume
        .clone()
        .unwrap_or_else(|| format!("{}-data", store.name))
}

/// Where mongod's key file is written inside the container.
const MONGO_KEYFILE: &str = "/tmp/mongo-keyfile";

/// Notes for the file header: where compose runs a store differently from the spec.
pub(crate) fn notes(model: &Model) -> Vec<String> {
    let mut notes = Vec::new();
    for store in model.stores.iter().filter(|s| runs_in_compose(s)) {
        if let Some(runner) = &store.served_by {
            notes.push(served_note(store, runner));
        }
        if store.replicas > 1 && members(store).is_empty() {
            notes.push(format!(
                "{}: {} members requested, 1 runs here{}",
                store.name,
                store.replicas,
                match &store.replica_set {
                    Some(rs) => format!(" (single-member replica set {rs})"),
                    None => String::new(),
                }
            ));
        }
        if store.shards > 1 {
            notes.push(shards_note(store));
        }
        if let (Some(rs), Some(port)) = (&store.replica_set, store.publish) {
            notes.push(format!(
                "{}: replica set {rs} advertises {}:{}; from the host use \
                 mongodb://127.0.0.1:{port}/?directConnection=true",
                store.name, store.name, store.port
            ));
        }
    }
    notes
}

/// Where Berth runs a sharded redis itself, one node runs without cluster mode.
fn shards_note(store: &StoreModel) -> String {
    format!(
        "{}: {} shards requested, 1 node runs here without cluster mode ({}_CLUSTER=false)",
        store.name,
        store.shards,
        berth_spec::model::screaming_snake(&store.name)
    )
}

/// The note of a store another store's container serves, naming what of its own is unused.
fn served_note(store: &StoreModel, runner: &str) -> String {
    let mut unused = Vec::new();
    if store.volume.is_some() || !store.volumes.is_empty() {
        unused.push("volumes");
    }
    if !store.args.is_empty() {
        unused.push("args");
    }
    if !store.files.is_empty() {
        unused.push("files");
    }
    let unused = match unused.is_empty() {
        true => String::new(),
        false => format!("; its own {} are not used", unused.join(", ")),
    };
    format!(
        "{}: served by the container of {runner} (one emulator per environment){unused}",
        store.name
    )
}

pub(crate) fn document(model: &Model, opts: &ComposeOptions) -> Value {
    let mut services = Map::new();
    let mut volumes = Map::new();
    for store in model
        .stores
        .iter()
        .filter(|s| runs_in_compose(s) && s.served_by.is_none())
    {
        services.insert(store.name.clone(), service(model, store, opts));
        for v in &store.volumes {
            volumes.insert(v.volume.clone(), volume_decl(v));
        }
        for m in members(store) {
            volumes.insert(format!("{m}-data"), json!({}));
            services.insert(m.clone(), member(model, store, &m, opts));
        }
        if let Some(init) = init_service(store) {
            services.insert(init, mongo_init(model, store));
        }
        let decl = match &store.volume {
            Some(name) => json!({ "name": name }),
            None => json!({}),
        };
        volumes.insert(volume_name(store), decl);
    }
    let mut doc = Map::new();
    doc.insert("name".into(), json!(model.stack));
    doc.insert("services".into(), Value::Object(services));
    doc.insert("networks".into(), networks_section(model));
    if !volumes.is_empty() {
        doc.insert("volumes".into(), Value::Object(volumes));
    }
    Value::Object(doc)
}

fn service(model: &Model, store: &StoreModel, opts: &ComposeOptions) -> Value {
    let mut s = Map::new();
    let group = model.served_by(store);
    s.insert("image".into(), json!(store.image));
    if let Some(command) = command(store, &group) {
        s.insert("command".into(), command);
    }
    if store.kind == StoreType::Rabbitmq {
        // RabbitMQ keeps its data under a node name derived from the host name.
        s.insert("hostname".into(), json!(store.name));
    }
    s.insert("restart".into(), json!("unless-stopped"));
    let env = environment(store);
    if !env.is_empty() {
        s.insert("environment".into(), Value::Object(env));
    }
    if !password_vars(store).is_empty() {
        s.insert("env_file".into(), env_file_entry(&store.name));
    }
    let mut ports = Vec::new();
    // The stores it also serves are published on their own host ports too.
    for host in group.iter().filter_map(|g| g.publish) {
        let entry = json!(format!("127.0.0.1:{host}:{}", store.port));
        if !ports.contains(&entry) {
            ports.push(entry);
        }
    }
    for extra in &store.extra_ports {
        if let Some(host) = extra.publish {
            ports.push(json!(format!("127.0.0.1:{host}:{}", extra.port)));
        }
    }
    if !ports.is_empty() {
        s.insert("ports".into(), Value::Array(ports));
    }
    // The ports it serves on the stack's network, published or not.
    let served = std::iter::once(store.port).chain(store.extra_ports.iter().map(|p| p.port));
    s.insert(
        "expose".into(),
        served.map(|p| json!(p.to_string())).collect(),
    );
    let mut mounts = vec![format!("{}:{}", volume_name(store), data_dir(store))];
    mounts.extend(mount_entries(&store.volumes, &store.files, &[], opts));
    s.insert("volumes".into(), json!(mounts));
    s.insert("healthcheck".into(), healthcheck(store, &group));
    s.insert("security_opt".into(), json!(["no-new-privileges:true"]));
    // Workloads reach the stores it also serves by their own names.
    let aliases: Vec<&str> = group[1..].iter().map(|g| g.name.as_str()).collect();
    let networks = match aliases.is_empty() {
        true => json!([network(model)]),
        false => Value::Object(Map::from_iter([(
            network(model),
            json!({ "aliases": aliases }),
        )])),
    };
    s.insert("networks".into(), networks);
    s.insert(
        "deploy".into(),
        json!({ "resources": resources(&store.resources) }),
    );
    Value::Object(s)
}

/// A further replica set member: the store's service with its own volume, nothing published,
/// and without the image's first-start initialisation (a member that joins must be empty:
/// users and data arrive by initial sync from the primary). It mounts the store's project files
/// but not its further volumes, which belong to the first member.
fn member(model: &Model, store: &StoreModel, name: &str, opts: &ComposeOptions) -> Value {
    let mut s = service(model, store, opts);
    let rs = store.replica_set.as_deref().unwrap_or("rs0");
    s["command"] = json!([
        "bash",
        "-c",
        format!(
            "set -eu; umask 077; \
             printf '%s' \"$$MONGO_INITDB_ROOT_PASSWORD\" | sha256sum | cut -d' ' -f1 > {k}; \
             chown mongodb:mongodb {k}; chmod 0400 {k}; \
             unset MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD MONGO_INITDB_DATABASE; \
             exec docker-entrypoint.sh mongod --replSet {rs} --bind_ip_all --keyFile {k}{extra}",
            k = MONGO_KEYFILE,
            rs = esc(rs),
            extra = esc(&crate::store_args::shell(&store.args)),
        )
    ]);
    if let Some(map) = s.as_object_mut() {
        map.remove("ports");
        let mut mounts = vec![format!("{name}-data:{}", data_dir(store))];
        mounts.extend(mount_entries(&[], &store.files, &[], opts));
        map.insert("volumes".into(), json!(mounts));
    }
    s
}

/// Non-secret image variables; the password arrives through the env file.
fn environment(store: &StoreModel) -> Map<String, Value> {
    let mut env = Map::new();
    let mut put = |k: &str, v: &str| {
        env.insert(k.to_string(), json!(esc(v)));
    };
    match store.kind {
        StoreType::Redis => {}
        StoreType::Postgres => {
            put("POSTGRES_USER", &store.user);
            if let Some(db) = &store.database {
                put("POSTGRES_DB", db);
            }
        }
        StoreType::Mongodb => {
            put("MONGO_INITDB_ROOT_USERNAME", &store.user);
            if let Some(db) = &store.database {
                put("MONGO_INITDB_DATABASE", db);
            }
        }
        StoreType::Rabbitmq => put("RABBITMQ_DEFAULT_USER", &store.user),
        _ => {
            if let Some(e) = emulator(store) {
                for &(k, v) in e.env {
                    put(k, v);
                }
                if let Some(var) = e.user_var {
                    put(var, &store.user);
                }
                if let (Some(var), Some(db)) = (e.db_var, &store.database) {
                    put(var, db);
                }
            }
        }
    }
    env
}

fn command(store: &StoreModel, group: &[&StoreModel]) -> Option<Value> {
    let extra = esc(&crate::store_args::shell(&store.args));
    let server = crate::store_args::server(store.kind);
    let own = match store.kind {
        // The password is read from the environment inside the container (`$$` escapes compose
        // interpolation), so it never appears in the compose file; the image entrypoint still
        // drops to the redis user.
        StoreType::Redis => Some(json!([
            "sh",
            "-c",
            format!("exec docker-entrypoint.sh redis-server --requirepass \"$$REDIS_PASSWORD\" --appendonly yes{extra}")
        ])),
        // A replica set with auth needs a key file for internal authentication. It is derived
        // from the root password (sha256, hex: a valid key file alphabet) at start, owned by
        // mongodb with mode 0400, so no extra secret and nothing on disk outside the container.
        StoreType::Mongodb => store.replica_set.as_ref().map(|rs| {
            json!([
                "bash",
                "-c",
                format!(
                    "set -eu; umask 077; \
                     printf '%s' \"$$MONGO_INITDB_ROOT_PASSWORD\" | sha256sum | cut -d' ' -f1 > {k}; \
                     chown mongodb:mongodb {k}; chmod 0400 {k}; \
                     exec docker-entrypoint.sh mongod --replSet {rs} --bind_ip_all --keyFile {k}{extra}",
                    k = MONGO_KEYFILE,
                    rs = esc(rs),
                )
            ])
        }),
        StoreType::Postgres | StoreType::Rabbitmq => None,
        _ => emulator(store)
            .and_then(|e| e.script)
            .map(|script| json!(["sh", "-c", esc(&script(group))])),
    };
    own.or_else(|| {
        // The image's own command, with the extra arguments.
        let server = server.filter(|_| !store.args.is_empty())?;
        let mut cmd = vec![server.to_string()];
        cmd.extend(store.args.iter().map(|a| esc(a)));
        Some(json!(cmd))
    })
}

fn healthcheck(store: &StoreModel, group: &[&StoreModel]) -> Value {
    let (test, interval, timeout, retries, start) = match store.kind {
        StoreType::Redis => (
            "redis-cli -a \"$$REDIS_PASSWORD\" --no-auth-warning ping | grep -q PONG".to_string(),
            5,
            5,
            10,
            5,
        ),
        StoreType::Postgres => (
            format!(
                "pg_isready -U {} -d {}",
                esc(&store.user),
                esc(store.database.as_deref().unwrap_or("postgres"))
            ),
            5,
            5,
            10,
            10,
        ),
        StoreType::Mongodb => (
            "mongosh --quiet --eval \"db.adminCommand('ping')\"".to_string(),
            10,
            10,
            10,
            20,
        ),
        StoreType::Rabbitmq => ("rabbitmq-diagnostics -q ping".to_string(), 10, 10, 10, 30),
        _ => match emulator(store) {
            Some(e) => (esc(&e.ready_all(group)), 5, 10, 24, 20),
            None => ("true".to_string(), 5, 5, 1, 0),
        },
    };
    json!({
        "test": ["CMD-SHELL", test],
        "interval": secs(interval),
        "timeout": secs(timeout),
        "retries": retries,
        "start_period": secs(start),
    })
}

/// One-shot `rs.initiate`, idempotent: an initialised set is left alone. It waits
/// until the member is writable primary, so dependents that wait for its successful completion
/// find a usable replica set. Members are addressed by service name: the store's own, then
/// its further members (`replicas`).
fn mongo_init(model: &Model, store: &StoreModel) -> Value {
    let rs = store.replica_set.as_deref().unwrap_or("rs0");
    let host = format!("{}:{}", store.name, store.port);
    let all: Vec<String> = std::iter::once(store.name.clone())
        .chain(members(store))
        .enumerate()
        .map(|(i, m)| format!("{{ _id: {i}, host: \"{m}:{}\" }}", store.port))
        .collect();
    let js = format!(
        "try {{ rs.status(); }} catch (e) {{ if (e.codeName !== \"NotYetInitialized\") throw e; \
         rs.initiate({{ _id: \"{rs}\", members: [{}] }}); }} \
         let n = 0; while (!db.hello().isWritablePrimary) {{ if (++n > 60) quit(1); sleep(1000); }} \
         print(\"replica set {rs} ready\");",
        all.join(", ")
    );
    let script = format!(
        "mongosh --quiet --host {host} -u {user} -p \"$$MONGO_INITDB_ROOT_PASSWORD\" \
         --authenticationDatabase admin --eval '{js}'",
        user = esc(&store.user),
        js = esc(&js),
    );
    let mut deps = Map::new();
    for m in std::iter::once(store.name.clone()).chain(members(store)) {
        deps.insert(m, json!({ "condition": "service_healthy" }));
    }
    json!({
        "image": store.image,
        "command": ["bash", "-c", script],
        "restart": "no",
        "depends_on": deps,
        "env_file": env_file_entry(&store.name),
        "security_opt": ["no-new-privileges:true"],
        "networks": [network(model)],
    })
}
