//! Workloads: Deployment (services) or Job (jobs) with their ServiceAccount, ConfigMap, Service,
//! volume claims, HPA, PDB, Ingress, and the init containers and RBAC that hold a workload until
//! the Jobs it waits for have completed.

use super::objects::*;
use super::secrets::secret_ref;
use berth_spec::model::screaming_snake;
use berth_spec::model::{Check, EnvValue, EnvVar, HealthModel, Workload};
use berth_spec::spec::Restart;
use berth_spec::Model;
use serde_json::{json, Map, Value};

/// The image of the init containers that wait for Jobs: kubectl with a POSIX shell.
pub const WAITER_IMAGE: &str = "docker.io/alpine/k8s:1.32.4";

/// Seconds a finished Job is kept (then Kubernetes deletes it).
pub const JOB_TTL_SECONDS: u32 = 3600;

/// The ClusterIssuer cert-manager signs Ingress certificates with.
pub fn cluster_issuer(model: &Model) -> &'static str {
    if model.is_local_cluster() {
        "selfsigned"
    } else {
        "letsencrypt"
    }
}

pub fn objects(model: &Model, w: &Workload) -> Vec<Obj> {
    let component = if w.is_job() { "job" } else { "service" };
    let lab = labels(model, &w.name, component);
    let mut objs = vec![Obj::new(
        &w.name,
        service_account(model, &w.name, component),
    )];
    let (config, env) = env_section(model, &w.env);
    if !config.is_empty() {
        objs.push(Obj::new(
            &w.name,
            object(
                "v1",
                "ConfigMap",
                meta(&config_name(w), &lab, Map::new()),
                [("data", Value::Object(config.clone()))],
            ),
        ));
    }
    let waits = waits(model, w);
    if !waits.is_empty() {
        objs.extend(wait_rbac(model, w, &waits, &lab));
    }
    if !w.is_job() && !w.ports.is_empty() {
        let ports: Vec<Value> = w
            .ports
            .iter()
            .map(|p| json!({ "name": p.name, "port": p.port, "targetPort": p.name, "protocol": "TCP" }))
            .collect();
        objs.push(Obj::new(
            &w.name,
            object(
                "v1",
                "Service",
                meta(&w.name, &lab, Map::new()),
                [(
                    "spec",
                    map([
                        ("type", json!("ClusterIP")),
                        ("selector", selector(model, &w.name)),
                        ("ports", Value::Array(ports)),
                    ]),
                )],
            ),
        ));
    }
    for v in &w.volumes {
        objs.push(Obj::new(
            &w.name,
            object(
                "v1",
                "PersistentVolumeClaim",
                meta(&format!("{}-{}", w.name, v.name), &lab, Map::new()),
                [(
                    "spec",
                    json!({
                        "accessModes": ["ReadWriteOnce"],
                        "resources": { "requests": { "storage": v.size } },
                    }),
                )],
            ),
        ));
    }
    let pod = pod_template(model, w, &config, env, &waits, &lab);
    if w.is_job() {
        objs.push(Obj::new(&w.name, job(model, w, pod, &lab)));
    } else {
        objs.push(Obj::new(&w.name, deployment(model, w, pod, &lab)));
        if let Some(a) = &w.autoscale {
            let mut metrics = Vec::new();
            for (name, target) in [("cpu", a.cpu), ("memory", a.memory)] {
                if let Some(t) = target {
                    metrics.push(json!({
                        "type": "Resource",
                        "resource": { "name": name, "target": { "type": "Utilization", "averageUtilization": t } },
                    }));
                }
            }
            objs.push(Obj::new(
                &w.name,
                object(
                    "autoscaling/v2",
                    "HorizontalPodAutoscaler",
                    meta(&w.name, &lab, Map::new()),
                    [(
                        "spec",
                        map([
                            (
                                "scaleTargetRef",
                                json!({ "apiVersion": "apps/v1", "kind": "Deployment", "name": w.name }),
                            ),
                            ("minReplicas", json!(a.min)),
                            ("maxReplicas", json!(a.max)),
                            ("metrics", Value::Array(metrics)),
                        ]),
                    )],
                ),
            ));
        }
        if replicated(w) {
            objs.push(Obj::new(&w.name, pdb(model, &w.name, component)));
        }
        if let Some(e) = &w.expose {
            objs.push(Obj::new(&w.name, ingress(model, w, e, &lab)));
        }
    }
    objs
}

/// More than one pod at some point (replicas, or an autoscaler that may add them).
pub fn replicated(w: &Workload) -> bool {
    !w.is_job() && (w.replicas > 1 || w.autoscale.as_ref().is_some_and(|a| a.max > 1))
}

fn config_name(w: &Workload) -> String {
    format!("{}-config", w.name)
}

/// Jobs `w` waits for: its `after_jobs` and the init Jobs of the stores it uses.
pub fn waits(model: &Model, w: &Workload) -> Vec<String> {
    let mut out = w.after_jobs.clone();
    for d in &w.uses {
        if let Some(job) = model.store(&d.name).and_then(store_init_job) {
            if !out.contains(&job) {
                out.push(job);
            }
        }
    }
    out
}

/// ArgoCD sync wave: stores 0, a Job one after what it waits for, a workload that waits one
/// after its Jobs.
pub fn wave(model: &Model, w: &Workload) -> u32 {
    fn go(model: &Model, w: &Workload, depth: u32) -> u32 {
        let waited = waits(model, w)
            .iter()
            .map(|j| match model.workload(j) {
                Some(job) if depth < 64 => go(model, job, depth + 1),
                _ => 1,
            })
            .max();
        match (waited, w.is_job()) {
            (Some(m), _) => m + 1,
            (None, true) => 1,
            (None, false) => 0,
        }
    }
    go(model, w, 0)
}

/// Plain values go to the ConfigMap; a value that is one secret key is a `secretKeyRef`; a value
/// mixing text and secrets reads each secret into a `BERTH_SECRET_*` variable first and refers
/// to it as `$(VAR)` (Kubernetes dependent variables).
fn env_section(model: &Model, vars: &[EnvVar]) -> (Map<String, Value>, Vec<Value>) {
    let mut config = Map::new();
    let mut helpers: Vec<Value> = Vec::new();
    let mut helper_names: Vec<String> = Vec::new();
    let mut direct = Vec::new();
    let mut mixed = Vec::new();
    let secret_env = |name: &str, s: &str, k: &str| {
        let (sname, skey) = secret_ref(model, s, k);
        json!({ "name": name, "valueFrom": { "secretKeyRef": { "name": sname, "key": skey } } })
    };
    for v in vars {
        if let Some(plain) = v.value.as_plain() {
            config.insert(v.name.clone(), json!(plain));
            continue;
        }
        if let [berth_spec::model::Part::Secret { secret, key }] = v.value.0.as_slice() {
            direct.push(secret_env(&v.name, secret, key));
            continue;
        }
        for (s, k) in v.value.secret_refs() {
            let h = helper_var(s, k);
            if !helper_names.contains(&h) {
                helpers.push(secret_env(&h, s, k));
                helper_names.push(h);
            }
        }
        mixed.push(json!({ "name": v.name, "value": dependent(&v.value) }));
    }
    helpers.extend(direct);
    helpers.extend(mixed);
    (config, helpers)
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
            berth_spec::model::Part::Lit(l) => esc(l),
            berth_spec::model::Part::Secret { secret, key } => {
                format!("$({})", helper_var(secret, key))
            }
        })
        .collect()
}

fn probe_action(check: &Check) -> Value {
    match check {
        Check::Http {
            path, port_name, ..
        } => json!({ "httpGet": { "path": path, "port": port_name } }),
        Check::Tcp { port_name, .. } => json!({ "tcpSocket": { "port": port_name } }),
        Check::Exec { command } => json!({ "exec": { "command": command } }),
    }
}

fn with(mut action: Value, extra: Value) -> Value {
    if let (Some(a), Value::Object(e)) = (action.as_object_mut(), extra) {
        a.extend(e);
    }
    action
}

/// Readiness, liveness and (for a start period) startup probes from `health`; without one, a
/// TCP check of the primary port.
fn probes(w: &Workload, c: &mut Map<String, Value>) {
    let (action, h) = match (&w.health, w.primary_port()) {
        (Some(h), _) => (probe_action(&h.check), h.clone()),
        (None, Some(p)) => (
            json!({ "tcpSocket": { "port": p.name } }),
            HealthModel {
                check: Check::Tcp {
                    port: p.port,
                    port_name: p.name.clone(),
                },
                interval_s: 10,
                timeout_s: 5,
                retries: 3,
                start_period_s: 5,
            },
        ),
        (None, None) => return,
    };
    let timing = json!({
        "periodSeconds": h.interval_s.max(1),
        "timeoutSeconds": h.timeout_s.max(1),
        "failureThreshold": h.retries.max(1),
    });
    c.insert(
        "readinessProbe".into(),
        with(action.clone(), timing.clone()),
    );
    c.insert("livenessProbe".into(), with(action.clone(), timing));
    let interval = h.interval_s.max(1);
    c.insert(
        "startupProbe".into(),
        with(
            action,
            json!({
                "periodSeconds": interval,
                "timeoutSeconds": h.timeout_s.max(1),
                "failureThreshold": h.start_period_s.div_ceil(interval) + h.retries.max(1),
            }),
        ),
    );
}

fn pod_template(
    model: &Model,
    w: &Workload,
    config: &Map<String, Value>,
    env: Vec<Value>,
    waits: &[String],
    lab: &Value,
) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), json!(w.name));
    c.insert("image".into(), json!(w.image));
    c.insert("imagePullPolicy".into(), json!(pull_policy(model)));
    if !w.command.is_empty() {
        // Like compose `command`: arguments to the image's entrypoint.
        let args: Vec<String> = w.command.iter().map(|a| esc(a)).collect();
        c.insert("args".into(), json!(args));
    }
    if !w.ports.is_empty() {
        let ports: Vec<Value> = w
            .ports
            .iter()
            .map(|p| json!({ "name": p.name, "containerPort": p.port, "protocol": "TCP" }))
            .collect();
        c.insert("ports".into(), Value::Array(ports));
    }
    if !config.is_empty() {
        c.insert(
            "envFrom".into(),
            json!([{ "configMapRef": { "name": config_name(w) } }]),
        );
    }
    if !env.is_empty() {
        c.insert("env".into(), Value::Array(env));
    }
    c.insert("resources".into(), resources(&w.resources));
    if !w.is_job() {
        probes(w, &mut c);
    }
    c.insert("securityContext".into(), container_security());
    let mut mounts = vec![json!({ "name": "tmp", "mountPath": "/tmp" })];
    let mut volumes = vec![json!({ "name": "tmp", "emptyDir": { "sizeLimit": "256Mi" } })];
    for v in &w.volumes {
        mounts.push(json!({ "name": v.name, "mountPath": v.path }));
        volumes.push(json!({
            "name": v.name,
            "persistentVolumeClaim": { "claimName": format!("{}-{}", w.name, v.name) },
        }));
    }
    c.insert("volumeMounts".into(), Value::Array(mounts));

    let mut spec = Map::new();
    spec.insert("serviceAccountName".into(), json!(w.name));
    spec.insert("automountServiceAccountToken".into(), json!(false));
    spec.insert("securityContext".into(), pod_security());
    if replicated(w) {
        spec.insert(
            "topologySpreadConstraints".into(),
            topology_spread(model, &w.name),
        );
    }
    if !waits.is_empty() {
        let inits: Vec<Value> = waits.iter().map(|j| waiter(model, j)).collect();
        spec.insert("initContainers".into(), Value::Array(inits));
        volumes.push(api_token_volume());
    }
    if w.is_job() {
        let policy = match w.restart {
            Restart::Never => "Never",
            _ => "OnFailure",
        };
        spec.insert("restartPolicy".into(), json!(policy));
    }
    spec.insert("containers".into(), Value::Array(vec![Value::Object(c)]));
    spec.insert("volumes".into(), Value::Array(volumes));

    let mut tmeta = Map::new();
    tmeta.insert("labels".into(), lab.clone());
    if !config.is_empty() {
        let text = serde_json::to_string(config).unwrap_or_default();
        tmeta.insert(
            "annotations".into(),
            json!({ "berth.dev/config-hash": fnv64(text.as_bytes()) }),
        );
    }
    map([
        ("metadata", Value::Object(tmeta)),
        ("spec", Value::Object(spec)),
    ])
}

const API_TOKEN_VOLUME: &str = "kube-api-access";

/// A service account token for the waiter init containers only (the pod itself mounts none).
fn api_token_volume() -> Value {
    json!({
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
}

/// Init container that returns once Job `job` has succeeded. A Job that stays absent for a
/// minute is taken as finished and deleted by its TTL (a later restart of the pod must not
/// wait forever); a failed Job keeps the pod waiting, which `kubectl rollout status` reports.
fn waiter(model: &Model, job: &str) -> Value {
    let script = format!(
        "n=0; while :; do \
         if out=$(kubectl get job {job} -o jsonpath='{{.status.succeeded}}' 2>&1); then \
         if [ \"${{out:-0}}\" -ge 1 ] 2>/dev/null; then echo \"job {job} completed\"; exit 0; fi; \
         echo \"waiting for job {job}\"; n=0; \
         else case \"$out\" in *NotFound*|*\"not found\"*) n=$((n+1)); \
         if [ \"$n\" -ge 30 ]; then echo \"job {job} is gone: taking it as completed\"; exit 0; fi;; \
         *) echo \"$out\";; esac; fi; sleep 2; done"
    );
    map([
        ("name", json!(format!("wait-for-{job}"))),
        ("image", json!(WAITER_IMAGE)),
        ("imagePullPolicy", json!(pull_policy(model))),
        ("command", json!(["sh", "-c", esc(&script)])),
        ("env", json!([{ "name": "HOME", "value": "/tmp" }])),
        ("resources", small_resources()),
        ("securityContext", container_security()),
        (
            "volumeMounts",
            json!([
                { "name": "tmp", "mountPath": "/tmp" },
                { "name": API_TOKEN_VOLUME, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true },
            ]),
        ),
    ])
}

/// A Role that can read only the Jobs `w` waits for, bound to `w`'s service account.
fn wait_rbac(model: &Model, w: &Workload, waits: &[String], lab: &Value) -> Vec<Obj> {
    let name = format!("{}-wait-jobs", w.name);
    vec![
        Obj::new(
            &w.name,
            object(
                "rbac.authorization.k8s.io/v1",
                "Role",
                meta(&name, lab, Map::new()),
                [(
                    "rules",
                    json!([{ "apiGroups": ["batch"], "resources": ["jobs"], "resourceNames": waits, "verbs": ["get"] }]),
                )],
            ),
        ),
        Obj::new(
            &w.name,
            object(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                meta(&name, lab, Map::new()),
                [
                    (
                        "roleRef",
                        json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name }),
                    ),
                    (
                        "subjects",
                        json!([{ "kind": "ServiceAccount", "name": w.name, "namespace": model.namespace }]),
                    ),
                ],
            ),
        ),
    ]
}

fn annotations(model: &Model, w: &Workload) -> Map<String, Value> {
    let mut ann = Map::new();
    skips(&mut ann, &pod_skips(model));
    let wave = wave(model, w);
    if wave > 0 {
        ann.insert(
            "argocd.argoproj.io/sync-wave".into(),
            json!(wave.to_string()),
        );
    }
    ann
}

fn deployment(model: &Model, w: &Workload, pod: Value, lab: &Value) -> Value {
    let mut spec = Map::new();
    if w.autoscale.is_none() {
        spec.insert("replicas".into(), json!(w.replicas));
    }
    spec.insert("revisionHistoryLimit".into(), json!(5));
    spec.insert(
        "selector".into(),
        map([("matchLabels", selector(model, &w.name))]),
    );
    spec.insert("template".into(), pod);
    object(
        "apps/v1",
        "Deployment",
        meta(&w.name, lab, annotations(model, w)),
        [("spec", Value::Object(spec))],
    )
}

fn job(model: &Model, w: &Workload, pod: Value, lab: &Value) -> Value {
    let mut ann = annotations(model, w);
    // Under ArgoCD the Job runs as a Sync hook in its wave (re-run on every sync, replaced
    // rather than patched: a Job's pod template is immutable); dependents are in later waves.
    ann.insert("argocd.argoproj.io/hook".into(), json!("Sync"));
    ann.insert(
        "argocd.argoproj.io/hook-delete-policy".into(),
        json!("BeforeHookCreation"),
    );
    let backoff = if w.restart == Restart::Never { 0 } else { 4 };
    object(
        "batch/v1",
        "Job",
        meta(&w.name, lab, ann),
        [(
            "spec",
            map([
                ("backoffLimit", json!(backoff)),
                ("ttlSecondsAfterFinished", json!(JOB_TTL_SECONDS)),
                ("template", pod),
            ]),
        )],
    )
}

fn ingress(model: &Model, w: &Workload, e: &berth_spec::model::ExposeModel, lab: &Value) -> Value {
    let (class, _, _) = ingress_controller(model);
    let mut ann = Map::new();
    if e.tls {
        ann.insert(
            "cert-manager.io/cluster-issuer".into(),
            json!(cluster_issuer(model)),
        );
    }
    let mut rule = Map::new();
    if let Some(h) = &e.host {
        rule.insert("host".into(), json!(h));
    }
    rule.insert(
        "http".into(),
        json!({ "paths": [{
            "path": e.path,
            "pathType": "Prefix",
            "backend": { "service": { "name": w.name, "port": { "name": e.port_name } } },
        }] }),
    );
    let mut spec = Map::new();
    spec.insert("ingressClassName".into(), json!(class));
    if e.tls {
        let mut tls = Map::new();
        if let Some(h) = &e.host {
            tls.insert("hosts".into(), json!([h]));
        }
        tls.insert("secretName".into(), json!(format!("{}-tls", w.name)));
        spec.insert("tls".into(), Value::Array(vec![Value::Object(tls)]));
    }
    spec.insert("rules".into(), Value::Array(vec![Value::Object(rule)]));
    object(
        "networking.k8s.io/v1",
        "Ingress",
        meta(&w.name, lab, ann),
        [("spec", Value::Object(spec))],
    )
}
