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

use super::objects::*;
use super::secrets::secret_ref;
use berth_spec::model::{Realized, StoreModel};
use berth_spec::Model;
use berth_spec::StoreType;
use serde_json::{json, Map, Value};

const MONGO_KEYFILE: &str = "/tmp/mongo-keyfile";

pub fn objects(model: &Model, store: &StoreModel) -> Vec<Obj> {
    match &store.realization {
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
    }
}

/// (name, port) of every port of a store.
pub fn ports(store: &StoreModel) -> Vec<(String, u16)> {
    let mut v = vec![(port_name(store.kind).to_string(), store.port)];
    v.extend(store.extra_ports.iter().map(|p| (p.name.clone(), p.port)));
    v
}

fn host_service(model: &Model, store: &StoreModel, address: &str) -> Obj {
    let port = store
        .wiring
        .port
        .as_plain()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(store.port);
    let mut ann = Map::new();
    ann.insert(
        "berth.dev/note".into(),
        json!(format!(
            "store `{}` runs on the developer's host; this name resolves to {address}",
            store.name
        )),
    );
    Obj::new(
        &store.name,
        object(
            "v1",
            "Service",
            meta(&store.name, &labels(model, &store.name, "store"), ann),
            [(
                "spec",
                json!({
                    "type": "ExternalName",
                    "externalName": address,
                    "ports": [{ "name": port_name(store.kind), "port": port, "protocol": "TCP" }],
                }),
            )],
        ),
    )
}

fn headless(store: &StoreModel) -> String {
    format!("{}-headless", store.name)
}

fn in_cluster(model: &Model, store: &StoreModel) -> Vec<Obj> {
    let name = &store.name;
    let lab = labels(model, name, "store");
    let svc_ports: Vec<Value> = ports(store)
        .iter()
        .map(|(n, p)| json!({ "name": n, "port": p, "targetPort": n, "protocol": "TCP" }))
        .collect();
    let mut objs = vec![
        Obj::new(name, service_account(model, name, "store")),
        Obj::new(
            name,
            object(
                "v1",
                "Service",
                meta(name, &lab, Map::new()),
                [(
                    "spec",
                    map([
                        ("type", json!("ClusterIP")),
                        ("selector", selector(model, name)),
                        ("ports", Value::Array(svc_ports.clone())),
                    ]),
                )],
            ),
        ),
        Obj::new(
            name,
            object(
                "v1",
                "Service",
                meta(&headless(store), &lab, Map::new()),
                [(
                    "spec",
                    map([
                        ("clusterIP", json!("None")),
                        // Replica set members must resolve each other before they are ready.
                        ("publishNotReadyAddresses", json!(true)),
                        ("selector", selector(model, name)),
                        ("ports", Value::Array(svc_ports)),
                    ]),
                )],
            ),
        ),
        Obj::new(name, statefulset(model, store, &lab)),
        Obj::new(name, pdb(model, name, "store")),
    ];
    if mongo_rs(store) {
        objs.push(Obj::new(name, mongo_init(model, store)));
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

fn password_env(model: &Model, store: &StoreModel, var: &str) -> Value {
    let (s, k) = secret_ref(model, &store.password_secret, "value");
    json!({ "name": var, "valueFrom": { "secretKeyRef": { "name": s, "key": k } } })
}

/// (env, data directory, extra writable directories, command, readiness command).
type StoreContainer<'a> = (
    Vec<Value>,
    &'a str,
    Vec<(&'a str, &'a str)>,
    Option<Value>,
    Value,
);

fn statefulset(model: &Model, store: &StoreModel, lab: &Value) -> Value {
    let name = &store.name;
    let lit = |k: &str, v: &str| json!({ "name": k, "value": esc(v) });
    let (mut env, data_dir, mut extra_dirs, command, ready): StoreContainer = match store.kind {
        StoreType::Redis => (
            vec![password_env(model, store, "REDIS_PASSWORD")],
            "/data",
            vec![],
            Some(json!([
                "sh",
                "-c",
                esc("exec docker-entrypoint.sh redis-server --requirepass \"$REDIS_PASSWORD\" --appendonly yes")
            ])),
            json!(["sh", "-c", esc("redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning ping | grep -q PONG")]),
        ),
        StoreType::Postgres => {
            let db = store.database.clone().unwrap_or_else(|| "postgres".into());
            (
                vec![
                    lit("POSTGRES_USER", &store.user),
                    lit("POSTGRES_DB", &db),
                    // A subdirectory: the volume root may hold lost+found.
                    lit("PGDATA", "/var/lib/postgresql/data/pgdata"),
                    password_env(model, store, "POSTGRES_PASSWORD"),
                ],
                "/var/lib/postgresql/data",
                vec![("run", "/var/run/postgresql")],
                None,
                json!(["pg_isready", "-h", "127.0.0.1", "-U", store.user, "-d", db]),
            )
        }
        StoreType::Mongodb => {
            let mut env = vec![lit("MONGO_INITDB_ROOT_USERNAME", &store.user)];
            if let Some(db) = &store.database {
                env.push(lit("MONGO_INITDB_DATABASE", db));
            }
            env.push(password_env(model, store, "MONGO_INITDB_ROOT_PASSWORD"));
            // Replica set members authenticate each other with a key file derived from the
            // root password at start (as in compose), kept in the pod's /tmp.
            let command = store.replica_set.as_ref().filter(|_| mongo_rs(store)).map(|rs| {
                json!([
                    "bash",
                    "-c",
                    esc(&format!(
                        "set -eu; umask 077; \
                         printf '%s' \"$MONGO_INITDB_ROOT_PASSWORD\" | sha256sum | cut -d' ' -f1 > {MONGO_KEYFILE}; \
                         chmod 0400 {MONGO_KEYFILE}; \
                         exec docker-entrypoint.sh mongod --replSet {rs} --bind_ip_all --keyFile {MONGO_KEYFILE}"
                    ))
                ])
            });
            (
                env,
                "/data/db",
                vec![("configdb", "/data/configdb")],
                command,
                json!(["mongosh", "--quiet", "--eval", "db.adminCommand('ping')"]),
            )
        }
        StoreType::Rabbitmq => (
            vec![
                lit("RABBITMQ_DEFAULT_USER", &store.user),
                password_env(model, store, "RABBITMQ_DEFAULT_PASS"),
            ],
            "/var/lib/rabbitmq",
            vec![("log", "/var/log/rabbitmq")],
            None,
            // `ping` answers before AMQP listeners accept clients (docs/oracles.md).
            json!(["rabbitmq-diagnostics", "-q", "check_port_connectivity"]),
        ),
    };
    env.sort_by_key(|e| e.get("valueFrom").is_some());
    let main = port_name(store.kind);
    let mut c = Map::new();
    c.insert("name".into(), json!(store.kind_name()));
    c.insert("image".into(), json!(store.image));
    c.insert("imagePullPolicy".into(), json!(pull_policy(model)));
    if let Some(cmd) = command {
        c.insert("command".into(), cmd);
    }
    let cports: Vec<Value> = ports(store)
        .iter()
        .map(|(n, p)| json!({ "name": n, "containerPort": p, "protocol": "TCP" }))
        .collect();
    c.insert("ports".into(), Value::Array(cports));
    c.insert("env".into(), Value::Array(env));
    c.insert("resources".into(), resources(&store.resources));
    c.insert(
        "readinessProbe".into(),
        json!({ "exec": { "command": ready }, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3 }),
    );
    c.insert(
        "livenessProbe".into(),
        json!({ "tcpSocket": { "port": main }, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6 }),
    );
    c.insert(
        "startupProbe".into(),
        json!({ "tcpSocket": { "port": main }, "periodSeconds": 5, "timeoutSeconds": 5, "failureThreshold": 60 }),
    );
    c.insert("securityContext".into(), container_security());
    extra_dirs.push(("tmp", "/tmp"));
    let mut mounts = vec![json!({ "name": "data", "mountPath": data_dir })];
    let mut volumes = Vec::new();
    for (v, path) in &extra_dirs {
        mounts.push(json!({ "name": v, "mountPath": path }));
        volumes.push(json!({ "name": v, "emptyDir": { "sizeLimit": "256Mi" } }));
    }
    c.insert("volumeMounts".into(), Value::Array(mounts));
    let replicas = pod_count(store);
    let mut pod = Map::new();
    pod.insert("serviceAccountName".into(), json!(name));
    pod.insert("automountServiceAccountToken".into(), json!(false));
    pod.insert("securityContext".into(), pod_security());
    if replicas > 1 {
        pod.insert(
            "topologySpreadConstraints".into(),
            topology_spread(model, name),
        );
    }
    pod.insert("containers".into(), Value::Array(vec![Value::Object(c)]));
    pod.insert("volumes".into(), Value::Array(volumes));
    let mut ann = Map::new();
    skips(&mut ann, &pod_skips(model));
    if store.replicas > replicas {
        ann.insert(
            "berth.dev/note".into(),
            json!(format!(
                "{} replicas requested; an in-cluster {} runs one pod (use a managed store for more)",
                store.replicas,
                store.kind_name()
            )),
        );
    }
    object(
        "apps/v1",
        "StatefulSet",
        meta(name, lab, ann),
        [(
            "spec",
            map([
                ("serviceName", json!(headless(store))),
                ("replicas", json!(replicas)),
                ("podManagementPolicy", json!("Parallel")),
                ("revisionHistoryLimit", json!(5)),
                ("selector", map([("matchLabels", selector(model, name))])),
                (
                    "template",
                    map([
                        ("metadata", map([("labels", lab.clone())])),
                        ("spec", Value::Object(pod)),
                    ]),
                ),
                (
                    "volumeClaimTemplates",
                    json!([{
                        "metadata": { "name": "data", "labels": lab },
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": { "requests": { "storage": store.storage } },
                        },
                    }]),
                ),
            ]),
        )],
    )
}

trait KindName {
    fn kind_name(&self) -> &'static str;
}

impl KindName for StoreModel {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            StoreType::Redis => "redis",
            StoreType::Postgres => "postgres",
            StoreType::Mongodb => "mongodb",
            StoreType::Rabbitmq => "rabbitmq",
        }
    }
}

/// `rs.initiate` with every member, idempotent, then waits for a primary. An ArgoCD Sync hook
/// in wave 1 (after the StatefulSet); dependents wait for it like for any Job.
fn mongo_init(model: &Model, store: &StoreModel) -> Value {
    let name = format!("{}-init", store.name);
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
    let script = format!(
        "exec mongosh --quiet --host {}-0.{}:{} -u {} -p \"$MONGO_INITDB_ROOT_PASSWORD\" \
         --authenticationDatabase admin --eval '{js}'",
        store.name,
        headless(store),
        store.port,
        store.user
    );
    let lab = labels(model, &name, "store-init");
    let mut ann = Map::new();
    skips(&mut ann, &pod_skips(model));
    ann.insert("argocd.argoproj.io/hook".into(), json!("Sync"));
    ann.insert(
        "argocd.argoproj.io/hook-delete-policy".into(),
        json!("BeforeHookCreation"),
    );
    ann.insert("argocd.argoproj.io/sync-wave".into(), json!("1"));
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(&name, &lab, ann),
        "spec": {
            "backoffLimit": 10,
            "ttlSecondsAfterFinished": super::workloads::JOB_TTL_SECONDS,
            "template": {
                "metadata": { "labels": lab },
                "spec": {
                    "serviceAccountName": store.name,
                    "automountServiceAccountToken": false,
                    "securityContext": pod_security(),
                    "restartPolicy": "OnFailure",
                    "containers": [{
                        "name": "rs-init",
                        "image": store.image,
                        "imagePullPolicy": pull_policy(model),
                        "command": ["bash", "-c", esc(&script)],
                        "env": [password_env(model, store, "MONGO_INITDB_ROOT_PASSWORD")],
                        "resources": {
                            "requests": { "cpu": "50m", "memory": "128Mi" },
                            "limits": { "cpu": "500m", "memory": "256Mi" },
                        },
                        "securityContext": container_security(),
                        "volumeMounts": [{ "name": "tmp", "mountPath": "/tmp" }],
                    }],
                    "volumes": [{ "name": "tmp", "emptyDir": { "sizeLimit": "64Mi" } }],
                },
            },
        },
    })
}
