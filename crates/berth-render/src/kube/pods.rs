//! The pod template of a workload: its container (image, arguments, ports, environment,
//! resources, probes, hardened security context, volumes) and the init containers that hold
//! it until the Jobs it waits for have completed.
//!
//! Environment: plain values go to the workload's ConfigMap (`envFrom`, its content hash a pod
//! annotation so a change rolls the pods); a value that is one secret key is a
//! `secretKeyRef`; a value mixing text and secrets reads each secret into a `BERTH_SECRET_*`
//! variable first and refers to it as `$(VAR)` (Kubernetes dependent variables).

use super::parts::{
    container_security, empty_dir, esc, esc_text, fnv64, mount, pod_security, pull_policy,
    replicated, resources, secret_key_env, small_resources, topology_spread,
};
use super::secrets::secret_ref;
use crate::tree::node;
use crate::tree::{Node, Text};
use berth_spec::model::screaming_snake;
use berth_spec::model::{Check, EnvValue, EnvVar, Part, Workload};
use berth_spec::spec::Restart;
use berth_spec::Model;

/// The image of the init containers that wait for Jobs: kubectl with a POSIX shell.
pub const WAITER_IMAGE: &str = "docker.io/alpine/k8s:1.32.4";

const API_TOKEN_VOLUME: &str = "kube-api-access";

/// The ConfigMap of a workload's plain values.
pub fn config_name(w: &Workload) -> String {
    format!("{}-config", w.name)
}

/// A workload's environment: the ConfigMap data (a map, empty when every value refers to a
/// secret) and the `env` list of the container.
pub struct Env<'a> {
    pub config: Node<'a>,
    pub vars: Vec<Node<'a>>,
}

/// Splits the variables into ConfigMap values and `env` entries: the `BERTH_SECRET_*` helpers
/// first, then direct secret references, then values that use the helpers.
pub fn env<'a>(model: &'a Model, vars: &'a [EnvVar]) -> Env<'a> {
    let mut config = Node::map();
    config.reserve(vars.len());
    let mut helpers: Vec<Node> = Vec::new();
    let mut helper_names: Vec<String> = Vec::new();
    let mut direct = Vec::new();
    let mut mixed = Vec::new();
    let secret_env = |name: Text<'a>, s: &'a str, k: &'a str| {
        let (sname, skey) = secret_ref(model, s, k);
        secret_key_env(name, sname, skey)
    };
    for v in vars {
        if let Some(plain) = plain(&v.value) {
            config.insert(v.name.as_str(), plain);
            continue;
        }
        if let [Part::Secret { secret, key }] = v.value.0.as_slice() {
            direct.push(secret_env(Text::Borrowed(&v.name), secret, key));
            continue;
        }
        for (s, k) in v.value.secret_refs() {
            let h = helper_var(s, k);
            if !helper_names.contains(&h) {
                helpers.push(secret_env(Text::Owned(h.clone()), s, k));
                helper_names.push(h);
            }
        }
        mixed.push(node!({ "name": &v.name, "value": dependent(&v.value) }));
    }
    helpers.extend(direct);
    helpers.extend(mixed);
    Env {
        config,
        vars: helpers,
    }
}

/// The value when it has no secret part (borrowed when it is one literal).
fn plain(v: &EnvValue) -> Option<Text<'_>> {
    match v.0.as_slice() {
        [Part::Lit(l)] => Some(Text::Borrowed(l)),
        _ => v.as_plain().map(Text::Owned),
    }
}

fn helper_var(secret: &str, key: &str) -> String {
    format!(
        "BERTH_SECRET_{}_{}",
        screaming_snake(secret),
        screaming_snake(key)
    )
}

/// A mixed value spelled with `$(BERTH_SECRET_…)` references, literal `$` escaped.
fn dependent(v: &EnvValue) -> String {
    v.0.iter()
        .map(|p| match p {
            Part::Lit(l) => esc(l),
            Part::Secret { secret, key } => format!("$({})", helper_var(secret, key)),
        })
        .collect()
}

fn probe_action(check: &Check) -> Node<'_> {
    match check {
        Check::Http {
            path, port_name, ..
        } => node!({ "httpGet": { "path": path, "port": port_name } }),
        Check::Tcp { port_name, .. } => node!({ "tcpSocket": { "port": port_name } }),
        Check::Exec { command } => {
            node!({ "exec": { "command": command.iter().map(String::as_str).collect::<Node>() } })
        }
    }
}

/// `action` (a one-entry map) followed by the timing entries.
fn probe<'a>(action: &Node<'a>, timing: [(&'static str, u32); 3]) -> Node<'a> {
    let mut p = action.clone();
    for (k, v) in timing {
        p.insert(k, v);
    }
    p
}

/// Readiness, liveness and (for a start period) startup probes from `health`; without one, a
/// TCP check of the primary port (every 10 s, 5 s timeout, 3 retries, 5 s start period).
fn probes<'a>(w: &'a Workload, c: &mut Node<'a>) {
    let (action, interval, timeout, retries, start) = match (&w.health, w.primary_port()) {
        (Some(h), _) => (
            probe_action(&h.check),
            h.interval_s,
            h.timeout_s,
            h.retries,
            h.start_period_s,
        ),
        (None, Some(p)) => (node!({ "tcpSocket": { "port": &p.name } }), 10, 5, 3, 5),
        (None, None) => return,
    };
    let (interval, timeout, retries) = (interval.max(1), timeout.max(1), retries.max(1));
    let timing = [
        ("periodSeconds", interval),
        ("timeoutSeconds", timeout),
        ("failureThreshold", retries),
    ];
    c.insert("readinessProbe", probe(&action, timing));
    c.insert("livenessProbe", probe(&action, timing));
    let startup = [
        ("periodSeconds", interval),
        ("timeoutSeconds", timeout),
        ("failureThreshold", start.div_ceil(interval) + retries),
    ];
    c.insert("startupProbe", probe(&action, startup));
}

/// The workload's container; `volumes` gets the volumes it mounts.
fn container<'a>(
    model: &'a Model,
    w: &'a Workload,
    env: Env<'a>,
    volumes: &mut Vec<Node<'a>>,
) -> Node<'a> {
    let mut c = node!({
        "name": &w.name,
        "image": w.image.to_string(),
        "imagePullPolicy": pull_policy(model),
    });
    // args, ports, envFrom, env, resources, three probes, securityContext, volumeMounts.
    c.reserve(10);
    if !w.entrypoint.is_empty() {
        // Like compose `entrypoint`: replaces the image's entrypoint.
        c.insert(
            "command",
            w.entrypoint.iter().map(|a| esc_text(a)).collect::<Node>(),
        );
    }
    if !w.command.is_empty() {
        // Like compose `command`: arguments to the image's entrypoint.
        c.insert(
            "args",
            w.command.iter().map(|a| esc_text(a)).collect::<Node>(),
        );
    }
    if !w.ports.is_empty() {
        let ports: Node = w
            .ports
            .iter()
            .map(|p| node!({ "name": &p.name, "containerPort": p.port, "protocol": p.protocol.kube() }))
            .collect();
        c.insert("ports", ports);
    }
    if !env.config.is_empty_map() {
        c.insert(
            "envFrom",
            node!([{ "configMapRef": { "name": config_name(w) } }]),
        );
    }
    if !env.vars.is_empty() {
        c.insert("env", env.vars);
    }
    c.insert("resources", resources(&w.resources));
    if !w.is_job() {
        probes(w, &mut c);
    }
    c.insert("securityContext", container_security());
    let mut mounts = vec![mount("tmp", "/tmp")];
    volumes.push(empty_dir("tmp", "256Mi"));
    // Declared writable paths stay writable under the read-only root: one emptyDir each.
    for (i, path) in w.writable.iter().filter(|p| *p != "/tmp").enumerate() {
        let name = format!("writable-{i}");
        mounts.push(mount(name.clone(), path.as_str()));
        volumes.push(empty_dir(name, "256Mi"));
    }
    super::mounts::add(model, w, &mut mounts, volumes);
    super::files::add(&w.name, &w.files, &w.writable, &mut mounts, volumes);
    c.insert("volumeMounts", mounts);
    c
}

/// The pod template: `config` is the ConfigMap data (its hash is a pod annotation), `waits`
/// the Jobs the workload waits for, `lab` its labels.
pub fn template<'a>(
    model: &'a Model,
    w: &'a Workload,
    env: Env<'a>,
    waits: &[String],
    lab: Node<'a>,
) -> Node<'a> {
    let mut tmeta = node!({ "labels": lab });
    tmeta.reserve(1);
    let mut annotations = Node::map();
    if !env.config.is_empty_map() {
        let text = serde_json::to_string(&env.config).unwrap_or_default();
        annotations.insert("berth.dev/config-hash", fnv64(text.as_bytes()));
    }
    if let Some(hash) = super::files::content_hash(&w.files, &w.writable) {
        annotations.insert("berth.dev/files-hash", hash);
    }
    if !annotations.is_empty_map() {
        tmeta.insert("annotations", annotations);
    }
    let mut volumes = Vec::new();
    let c = container(model, w, env, &mut volumes);
    let mut spec = node!({
        "serviceAccountName": &w.name,
        "automountServiceAccountToken": false,
        "securityContext": pod_security(),
    });
    // topologySpreadConstraints, initContainers, restartPolicy, containers, volumes.
    spec.reserve(5);
    if replicated(w) {
        spec.insert("topologySpreadConstraints", topology_spread(model, &w.name));
    }
    if !waits.is_empty() {
        let inits: Node = waits.iter().map(|j| waiter(model, j)).collect();
        spec.insert("initContainers", inits);
        volumes.push(api_token_volume());
    }
    if w.is_job() {
        let policy = match w.restart {
            Restart::Never => "Never",
            _ => "OnFailure",
        };
        spec.insert("restartPolicy", policy);
    }
    spec.insert("containers", vec![c]);
    spec.insert("volumes", volumes);
    node!({ "metadata": tmeta, "spec": spec })
}

/// A service account token for the waiter init containers only (the pod itself mounts none).
fn api_token_volume<'a>() -> Node<'a> {
    static V: std::sync::LazyLock<Node<'static>> = std::sync::LazyLock::new(|| {
        node!({
            "name": API_TOKEN_VOLUME,
            "projected": {
                "defaultMode": 292,
                "sources": [
                    { "serviceAccountToken": { "path": "token", "expirationSeconds": 3607 } },
                    { "configMap": { "name": "kube-root-ca.crt", "items": [{ "key": "ca.crt", "path": "ca.crt" }] } },
                    { "downwardAPI": { "items": [{ "path": "namespace", "fieldRef": { "apiVersion": "v1", "fieldPath": "metadata.namespace" } }] } },
                ],
            },
        })
    });
    Node::Ref(&V)
}

/// Init container that returns once Job `job` has succeeded. A Job that stays absent for a
/// minute is taken as finished and deleted by its TTL (a later restart of the pod must not
/// wait forever); a failed Job keeps the pod waiting, which `kubectl rollout status` reports.
fn waiter<'a>(model: &Model, job: &str) -> Node<'a> {
    let script = format!(
        "n=0; while :; do \
         if out=$(kubectl get job {job} -o jsonpath='{{.status.succeeded}}' 2>&1); then \
         if [ \"${{out:-0}}\" -ge 1 ] 2>/dev/null; then echo \"job {job} completed\"; exit 0; fi; \
         echo \"waiting for job {job}\"; n=0; \
         else case \"$out\" in *NotFound*|*\"not found\"*) n=$((n+1)); \
         if [ \"$n\" -ge 30 ]; then echo \"job {job} is gone: taking it as completed\"; exit 0; fi;; \
         *) echo \"$out\";; esac; fi; sleep 2; done"
    );
    node!({
        "name": format!("wait-for-{job}"),
        "image": WAITER_IMAGE,
        "imagePullPolicy": pull_policy(model),
        "command": ["sh", "-c", esc(&script)],
        "env": [{ "name": "HOME", "value": "/tmp" }],
        "resources": small_resources(),
        "securityContext": container_security(),
        "volumeMounts": [
            mount("tmp", "/tmp"),
            { "name": API_TOKEN_VOLUME, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true },
        ],
    })
}
