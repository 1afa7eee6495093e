//! Stores. In the cluster: StatefulSet + headless Service + a Service for clients + a volume
//! claim template + PDB (and for a MongoDB replica set an `rs.initiate` Job). On the host of a
//! local cluster: an ExternalName Service named after the store, so workloads (and MongoDB
//! replica set members advertised as `NAME:PORT` by the compose environment) reach it by the
//! same name. Managed and external stores have no objects here: only egress rules
//! (netpol.rs) and the connection Secret (secrets.rs).
//!
//! In-cluster stores run one pod except MongoDB, whose `replicas` become replica set members:
//! Redis, PostgreSQL and RabbitMQ replication need configuration (or an operator) that Berth
//! does not write; use a managed store where one pod is not enough.

use super::object::{Kind, Meta, Obj};
use super::parts::{
    container_security, empty_dir, esc_text, labels, match_labels, mongo_rs, mount, pdb,
    pod_security, pod_skips, pull_policy, resources, secret_key_env, selector, service_account,
    skips, topology_spread, JOB_TTL_SECONDS,
};
use super::secrets::secret_ref;
use crate::tree::node;
use crate::tree::Node;
use berth_spec::emulator;
use berth_spec::model::{Realized, StoreModel};
use berth_spec::Model;
use berth_spec::StoreType;

const MONGO_KEYFILE: &str = "/tmp/mongo-keyfile";

pub fn objects<'a>(model: &'a Model, store: &'a StoreModel) -> Vec<Obj<'a>> {
    match &store.realization {
        Realized::InCluster if store.served_by.is_some() => vec![served_service(model, store)],
        Realized::InCluster => in_cluster(model, store),
        Realized::Host { address } => vec![host_service(model, store, address)],
        _ => Vec::new(),
    }
}

/// The port name of a store's main port.
pub fn port_name(kind: StoreType) -> &'static str {
    match kind {
        StoreType::Redis => "redis",
        StoreType::Postgres => "postgres",
        StoreType::Mongodb => "mongodb",
        StoreType::Rabbitmq => "amqp",
        StoreType::Mysql => "mysql",
        StoreType::S3 => "s3",
        StoreType::Sqs => "sqs",
        StoreType::Sns => "sns",
        StoreType::Opensearch => "http",
        StoreType::Smtp => "smtp",
    }
}

/// (name, port) of every port of a store.
pub fn ports<'a>(model: &Model, store: &'a StoreModel) -> Vec<(&'a str, u16)> {
    let mut v = vec![(port_name(store.kind), store.port)];
    v.extend(store.extra_ports.iter().map(|p| (p.name.as_str(), p.port)));
    if let Some(t) = crate::observe::targets(model)
        .into_iter()
        .find(|t| t.job == store.name)
    {
        v.push((super::observe::STORE_METRICS_PORT_NAME, t.port));
    }
    v
}

fn host_service<'a>(model: &'a Model, store: &'a StoreModel, address: &'a str) -> Obj<'a> {
    let port = store
        .wiring
        .port
        .as_plain()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(store.port);
    let note = format!(
        "store `{}` runs on the developer's host; this name resolves to {address}",
        store.name
    );
    let spec = node!({
        "type": "ExternalName",
        "externalName": address,
        "ports": [{ "name": port_name(store.kind), "port": port, "protocol": "TCP" }],
    });
    noted_service(model, store, note, spec)
}

/// A Service named after a store that Berth does not run in a pod of its own, with a note
/// saying where it is.
fn noted_service<'a>(
    model: &'a Model,
    store: &'a StoreModel,
    note: String,
    spec: Node<'a>,
) -> Obj<'a> {
    let name = store.name.as_str();
    Obj::new(
        name,
        Kind::Service,
        Meta::new(name, labels(model, name, "store")).with("berth.dev/note", note),
        [("spec", spec)],
    )
}

/// The Service of a store another store's pod serves (`served_by`): named after the store,
/// selecting that pod, so workloads reach it by its own name.
fn served_service<'a>(model: &'a Model, store: &'a StoreModel) -> Obj<'a> {
    let note = format!(
        "store `{}` is served by the pod of store `{}`",
        store.name,
        store.runner()
    );
    let spec = node!({
        "type": "ClusterIP",
        "selector": selector(model, store.runner()),
        "ports": [{
            "name": port_name(store.kind),
            "port": store.port,
            "targetPort": store.port,
            "protocol": "TCP",
        }],
    });
    noted_service(model, store, note, spec)
}

fn headless(store: &StoreModel) -> String {
    format!("{}-headless", store.name)
}

fn in_cluster<'a>(model: &'a Model, store: &'a StoreModel) -> Vec<Obj<'a>> {
    let name = store.name.as_str();
    let lab = labels(model, name, "store");
    let svc_ports: Node = ports(model, store)
        .into_iter()
        .map(|(n, p)| node!({ "name": n, "port": p, "targetPort": n, "protocol": "TCP" }))
        .collect();
    let client = node!({
        "type": "ClusterIP",
        "selector": selector(model, name),
        "ports": svc_ports.clone(),
    });
    let peers = node!({
        "clusterIP": "None",
        // Replica set members must resolve each other before they are ready.
        "publishNotReadyAddresses": true,
        "selector": selector(model, name),
        "ports": svc_ports,
    });
    let mut objs = vec![
        service_account(model, name, "store"),
        Obj::new(
            name,
            Kind::Service,
            Meta::new(name, lab.clone()),
            [("spec", client)],
        ),
        Obj::new(
            name,
            Kind::Service,
            Meta::new(headless(store), lab.clone()),
            [("spec", peers)],
        ),
        statefulset(model, store, lab.clone()),
        pdb(model, name, "store"),
    ];
    objs.extend(super::files::config_map(name, &store.files, &[], lab));
    if mongo_rs(store) {
        objs.push(mongo_init(model, store));
    }
    objs
}

/// Pods of the store (MongoDB keeps its `replicas` as set members; others run one pod).
pub fn pod_count(store: &StoreModel) -> u32 {
    if mongo_rs(store) {
        store.replicas.max(1)
    } else {
        1
    }
}

fn password_env<'a>(model: &'a Model, store: &'a StoreModel, var: &'static str) -> Node<'a> {
    let (s, k) = secret_ref(model, &store.password_secret, "value");
    secret_key_env(var, s, k)
}

/// What the container of a store type needs besides what every store container has.
struct Runtime<'a> {
    /// Variables; plain values are written before secret ones.
    env: Vec<Node<'a>>,
    /// Where the data volume is mounted.
    data_dir: &'static str,
    /// Other directories the store writes: (volume name, path), each an emptyDir.
    writable: Vec<(&'static str, &'static str)>,
    /// The command, when the image's own is not enough.
    command: Option<Node<'a>>,
    /// The readiness check's command.
    ready: Node<'a>,
}

fn runtime<'a>(model: &'a Model, store: &'a StoreModel) -> Runtime<'a> {
    let mut rt = match store.kind {
        StoreType::Redis => redis(model, store),
        StoreType::Postgres => postgres(model, store),
        StoreType::Mongodb => mongodb(model, store),
        StoreType::Rabbitmq => rabbitmq(model, store),
        _ => from_table(model, store),
    };
    rt.env.sort_by_key(|e| e.field("valueFrom").is_some());
    rt
}

fn lit<'a>(name: &'static str, value: &'a str) -> Node<'a> {
    node!({ "name": name, "value": esc_text(value) })
}

fn redis<'a>(model: &'a Model, store: &'a StoreModel) -> Runtime<'a> {
    let serve = format!(
        "exec docker-entrypoint.sh redis-server --requirepass \"$REDIS_PASSWORD\" --appendonly yes{}",
        crate::store_args::shell(&store.args)
    );
    let ping = "redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning ping | grep -q PONG";
    Runtime {
        env: vec![password_env(model, store, "REDIS_PASSWORD")],
        data_dir: "/data",
        writable: vec![],
        command: Some(node!(["sh", "-c", esc_text(&serve).into_owned()])),
        ready: node!(["sh", "-c", esc_text(ping)]),
    }
}

fn postgres<'a>(model: &'a Model, store: &'a StoreModel) -> Runtime<'a> {
    let db = store.database.as_deref().unwrap_or("postgres");
    Runtime {
        env: vec![
            lit("POSTGRES_USER", &store.user),
            lit("POSTGRES_DB", db),
            // A subdirectory: the volume root may hold lost+found.
            lit("PGDATA", "/var/lib/postgresql/data/pgdata"),
            password_env(model, store, "POSTGRES_PASSWORD"),
        ],
        data_dir: "/var/lib/postgresql/data",
        writable: vec![("run", "/var/run/postgresql")],
        command: None,
        ready: node!(["pg_isready", "-h", "127.0.0.1", "-U", &store.user, "-d", db]),
    }
}

fn mongodb<'a>(model: &'a Model, store: &'a StoreModel) -> Runtime<'a> {
    let mut env = vec![lit("MONGO_INITDB_ROOT_USERNAME", &store.user)];
    if let Some(db) = &store.database {
        env.push(lit("MONGO_INITDB_DATABASE", db));
    }
    env.push(password_env(model, store, "MONGO_INITDB_ROOT_PASSWORD"));
    // Replica set members authenticate each other with a key file derived from the root
    // password at start (as in compose), kept in the pod's /tmp.
    let command = store.replica_set.as_ref().filter(|_| mongo_rs(store)).map(|rs| {
        let script = format!(
            "set -eu; umask 077; \
             printf '%s' \"$MONGO_INITDB_ROOT_PASSWORD\" | sha256sum | cut -d' ' -f1 > {MONGO_KEYFILE}; \
             chmod 0400 {MONGO_KEYFILE}; \
             exec docker-entrypoint.sh mongod --replSet {rs} --bind_ip_all --keyFile {MONGO_KEYFILE}{}",
            crate::store_args::shell(&store.args)
        );
        node!(["bash", "-c", esc_text(&script).into_owned()])
    });
    Runtime {
        env,
        data_dir: "/data/db",
        writable: vec![("configdb", "/data/configdb")],
        command,
        ready: node!(["mongosh", "--quiet", "--eval", "db.adminCommand('ping')"]),
    }
}

fn rabbitmq<'a>(model: &'a Model, store: &'a StoreModel) -> Runtime<'a> {
    Runtime {
        env: vec![
            lit("RABBITMQ_DEFAULT_USER", &store.user),
            password_env(model, store, "RABBITMQ_DEFAULT_PASS"),
        ],
        data_dir: "/var/lib/rabbitmq",
        writable: vec![("log", "/var/log/rabbitmq")],
        command: None,
        // `ping` answers before AMQP listeners accept clients (docs/oracles.md).
        ready: node!(["rabbitmq-diagnostics", "-q", "check_port_connectivity"]),
    }
}

/// A store of a newer type, from its row in `berth_spec::emulator`.
fn from_table<'a>(model: &'a Model, store: &'a StoreModel) -> Runtime<'a> {
    let Some(e) = emulator::for_store(store.kind, store.image.as_ref()) else {
        return Runtime {
            env: vec![],
            data_dir: "/data",
            writable: vec![],
            command: None,
            ready: node!(["true"]),
        };
    };
    let group = model.served_by(store);
    let mut env: Vec<Node> = e.env.iter().map(|&(k, v)| lit(k, v)).collect();
    if let Some(var) = e.user_var {
        env.push(lit(var, &store.user));
    }
    if let (Some(var), Some(db)) = (e.db_var, &store.database) {
        env.push(lit(var, db));
    }
    env.extend(
        e.password_vars
            .iter()
            .map(|&v| password_env(model, store, v)),
    );
    Runtime {
        env,
        data_dir: e.data_dir,
        writable: e.writable.to_vec(),
        command: e
            .script
            .map(|script| node!(["sh", "-c", esc_text(&script(&group)).into_owned()])),
        ready: node!(["sh", "-c", esc_text(&e.ready_all(&group)).into_owned()]),
    }
}

/// The store's container (with its volume mounts) and the pod's emptyDir volumes.
fn container<'a>(model: &'a Model, store: &'a StoreModel) -> (Node<'a>, Node<'a>) {
    let mut rt = runtime(model, store);
    let main = port_name(store.kind);
    let mut c = node!({
        "name": store.kind.as_str(),
        "image": store.image.as_ref().map(ToString::to_string),
        "imagePullPolicy": pull_policy(model),
    });
    // command, ports, env, resources, three probes, securityContext, volumeMounts.
    c.reserve(9);
    match (rt.command, crate::store_args::server(store.kind)) {
        (Some(cmd), _) => c.insert("command", cmd),
        (None, Some(server)) if !store.args.is_empty() => {
            // The image's entrypoint runs the server with the extra arguments.
            let args = std::iter::once(crate::tree::Text::Borrowed(server))
                .chain(store.args.iter().map(|a| esc_text(a)))
                .collect::<Node>();
            c.insert("args", args);
        }
        _ => {}
    }
    // An exporter sidecar serves the metrics port, not the store.
    let sidecar = crate::observe::exporter(store.kind).is_some();
    let cports: Node = ports(model, store)
        .into_iter()
        .filter(|(n, _)| !(sidecar && *n == super::observe::STORE_METRICS_PORT_NAME))
        .map(|(n, p)| node!({ "name": n, "containerPort": p, "protocol": "TCP" }))
        .collect();
    c.insert("ports", cports);
    c.insert("env", rt.env);
    c.insert("resources", resources(&store.resources));
    c.insert(
        "readinessProbe",
        node!({ "exec": { "command": rt.ready }, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3 }),
    );
    c.insert(
        "livenessProbe",
        node!({ "tcpSocket": { "port": main }, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6 }),
    );
    c.insert(
        "startupProbe",
        node!({ "tcpSocket": { "port": main }, "periodSeconds": 5, "timeoutSeconds": 5, "failureThreshold": 60 }),
    );
    c.insert("securityContext", container_security());
    rt.writable.push(("tmp", "/tmp"));
    let mut mounts = vec![mount("data", rt.data_dir)];
    for v in &store.volumes {
        mounts.push(mount(claim_template(&v.name), v.path.as_str()));
    }
    let mut volumes = Vec::new();
    for (v, path) in rt.writable {
        mounts.push(mount(v, path));
        volumes.push(empty_dir(v, "256Mi"));
    }
    super::files::add(&store.name, &store.files, &[], &mut mounts, &mut volumes);
    c.insert("volumeMounts", mounts);
    (c, Node::List(volumes))
}

/// The exporter sidecar of a store that is scraped through one: it reads the store on
/// localhost with the store's credentials and serves the `prometheus` port. Hardened like the
/// store (read-only root, non-root, no capabilities), small limits, probes on its port.
fn exporter_container<'a>(model: &'a Model, store: &'a StoreModel) -> Option<Node<'a>> {
    let target = crate::observe::targets(model)
        .into_iter()
        .find(|t| t.job == store.name)?;
    let e = crate::observe::exporter(store.kind)?;
    let port = super::observe::STORE_METRICS_PORT_NAME;
    let local = format!("localhost:{}", store.port);
    let env = match store.kind {
        StoreType::Redis => vec![
            node!({ "name": "REDIS_ADDR", "value": format!("redis://{local}") }),
            password_env(model, store, "REDIS_PASSWORD"),
        ],
        StoreType::Postgres => {
            let db = store.database.as_deref().unwrap_or("postgres");
            vec![
                node!({ "name": "DATA_SOURCE_URI", "value": format!("{local}/{db}?sslmode=disable") }),
                lit("DATA_SOURCE_USER", &store.user),
                password_env(model, store, "DATA_SOURCE_PASS"),
            ]
        }
        _ => vec![
            node!({ "name": "MONGODB_URI", "value": format!("mongodb://{local}/?directConnection=true") }),
            lit("MONGODB_USER", &store.user),
            password_env(model, store, "MONGODB_PASSWORD"),
        ],
    };
    let probe = |period: u32, failures: u32| node!({ "tcpSocket": { "port": port }, "periodSeconds": period, "timeoutSeconds": 5, "failureThreshold": failures });
    Some(node!({
        "name": e.name,
        "image": e.image,
        "imagePullPolicy": pull_policy(model),
        "ports": [{ "name": port, "containerPort": target.port, "protocol": "TCP" }],
        "env": env,
        "resources": {
            "requests": { "cpu": "10m", "memory": "32Mi" },
            "limits": { "cpu": "200m", "memory": "128Mi" },
        },
        "readinessProbe": probe(10, 3),
        "livenessProbe": probe(10, 6),
        "securityContext": container_security(),
        "volumeMounts": [mount(EXPORTER_TMP, "/tmp")],
    }))
}

/// The exporter's own /tmp (the store's may hold a key file).
const EXPORTER_TMP: &str = "exporter-tmp";

/// The claim template of a store's further volume `name` (apart from `data` and scratch space).
fn claim_template(name: &str) -> String {
    format!("vol-{name}")
}

/// Where the in-cluster store runs fewer members than the spec asks for: more replicas, or
/// redis shards (one node without cluster mode).
fn one_pod_note(store: &StoreModel, pods: u32) -> Option<String> {
    let kind = store.kind.as_str();
    let mut notes = Vec::new();
    if store.replicas > pods {
        notes.push(format!(
            "{} replicas requested; an in-cluster {kind} runs one pod (use a managed store for more)",
            store.replicas,
        ));
    }
    if store.shards > 1 {
        notes.push(format!(
            "{} shards requested; an in-cluster {kind} runs one node without cluster mode ({}_CLUSTER=false)",
            store.shards,
            berth_spec::model::screaming_snake(&store.name)
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

fn statefulset<'a>(model: &'a Model, store: &'a StoreModel, lab: Node<'a>) -> Obj<'a> {
    let name = store.name.as_str();
    let (c, volumes) = container(model, store);
    let replicas = pod_count(store);
    let mut pod = node!({
        "serviceAccountName": name,
        "automountServiceAccountToken": false,
        "securityContext": pod_security(),
    });
    // topologySpreadConstraints, containers, volumes.
    pod.reserve(3);
    if replicas > 1 {
        pod.insert("topologySpreadConstraints", topology_spread(model, name));
    }
    let mut containers = vec![c];
    let mut volumes = volumes;
    if let Some(sidecar) = exporter_container(model, store) {
        containers.push(sidecar);
        if let Node::List(v) = &mut volumes {
            v.push(empty_dir(EXPORTER_TMP, "64Mi"));
        }
    }
    pod.insert("containers", containers);
    pod.insert("volumes", volumes);
    let mut meta = Meta::new(name, lab.clone());
    skips(&mut meta, &pod_skips(model));
    if let Some(note) = one_pod_note(store, replicas) {
        meta.annotate("berth.dev/note", note);
    }
    let claim = |name, size: &'a berth_spec::Memory| {
        node!({
            "metadata": { "name": name, "labels": lab.clone() },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": { "requests": { "storage": size.as_str() } },
            },
        })
    };
    // The data volume, then the store's further volumes.
    let claims: Node = std::iter::once(claim("data".to_string(), &store.storage))
        .chain(
            store
                .volumes
                .iter()
                .map(|v| claim(claim_template(&v.name), &v.size)),
        )
        .collect();
    let mut tmeta = node!({ "labels": lab });
    if let Some(hash) = super::files::content_hash(&store.files, &[]) {
        tmeta.insert("annotations", node!({ "berth.dev/files-hash": hash }));
    }
    let spec = node!({
        "serviceName": headless(store),
        "replicas": replicas,
        "podManagementPolicy": "Parallel",
        "revisionHistoryLimit": 5,
        "selector": match_labels(model, name),
        "template": { "metadata": tmeta, "spec": pod },
        "volumeClaimTemplates": claims,
    });
    Obj::new(name, Kind::StatefulSet, meta, [("spec", spec)])
}

/// `rs.initiate` with every member, idempotent, then waits for a primary. An ArgoCD Sync hook
/// in wave 1 (after the StatefulSet); dependents wait for it like for any Job.
fn mongo_init<'a>(model: &'a Model, store: &'a StoreModel) -> Obj<'a> {
    let name = format!("{}-init", store.name);
    let lab = labels(model, name.clone(), "store-init");
    let mut meta = Meta::new(name, lab.clone());
    skips(&mut meta, &pod_skips(model));
    meta.annotate("argocd.argoproj.io/hook", "Sync");
    meta.annotate(
        "argocd.argoproj.io/hook-delete-policy",
        "BeforeHookCreation",
    );
    meta.annotate("argocd.argoproj.io/sync-wave", "1");
    let container = node!({
        "name": "rs-init",
        "image": store.image.as_ref().map(ToString::to_string),
        "imagePullPolicy": pull_policy(model),
        "command": ["bash", "-c", esc_text(&rs_initiate(store)).into_owned()],
        "env": [password_env(model, store, "MONGO_INITDB_ROOT_PASSWORD")],
        "resources": {
            "requests": { "cpu": "50m", "memory": "128Mi" },
            "limits": { "cpu": "500m", "memory": "256Mi" },
        },
        "securityContext": container_security(),
        "volumeMounts": [mount("tmp", "/tmp")],
    });
    let spec = node!({
        "backoffLimit": 10,
        "ttlSecondsAfterFinished": JOB_TTL_SECONDS,
        "template": {
            "metadata": { "labels": lab },
            "spec": {
                "serviceAccountName": &store.name,
                "automountServiceAccountToken": false,
                "securityContext": pod_security(),
                "restartPolicy": "OnFailure",
                "containers": [container],
                "volumes": [empty_dir("tmp", "64Mi")],
            },
        },
    });
    Obj::new(store.name.as_str(), Kind::Job, meta, [("spec", spec)])
}

/// The shell command of the replica set's init Job.
fn rs_initiate(store: &StoreModel) -> String {
    let rs = store.replica_set.as_deref().unwrap_or("rs0");
    let members: Vec<String> = (0..pod_count(store))
        .map(|i| {
            format!(
                "{{ _id: {i}, host: \"{}-{i}.{}:{}\" }}",
                store.name,
                headless(store),
                store.port
            )
        })
        .collect();
    let js = format!(
        "let ok = false; for (let i = 0; i < 150 && !ok; i++) {{ try {{ rs.status(); ok = true; }} \
         catch (e) {{ if (e.codeName === \"NotYetInitialized\") {{ try {{ rs.initiate({{ _id: \"{rs}\", \
         members: [{}] }}); ok = true; }} catch (e2) {{ print(e2); sleep(2000); }} }} else {{ print(e); sleep(2000); }} }} }} \
         if (!ok) quit(1); let n = 0; \
         while (!rs.status().members.some(m => m.stateStr === \"PRIMARY\")) {{ if (++n > 120) quit(1); sleep(1000); }} \
         print(\"replica set {rs} ready\");",
        members.join(", ")
    );
    format!(
        "exec mongosh --quiet --host {}-0.{}:{} -u {} -p \"$MONGO_INITDB_ROOT_PASSWORD\" \
         --authenticationDatabase admin --eval '{js}'",
        store.name,
        headless(store),
        store.port,
        store.user
    )
}
