//! Kubernetes renderer: structure, secrets, snapshots, and the oracles `kubectl kustomize`,
//! `kubernetes-validate --strict` and `checkov`. A missing oracle is a failure, not a skip.

use berth_render::kube::{self, secret_object};
use berth_render::ArtifactSet;
use berth_spec::{Model, Source, Spec};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLES: [&str; 5] = [
    "srvthreds",
    "automation-center",
    "comind-ops",
    "mindflow",
    "quickstart",
];

fn load(path: &Path) -> Spec {
    let text = std::fs::read_to_string(path).unwrap();
    let src = Source::new(path.display().to_string(), text);
    berth_spec::validate_strict(&src).unwrap_or_else(|e| panic!("{e}"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> Spec {
    load(&root().join(format!("examples/{name}/berth.yaml")))
}

fn fixture() -> Spec {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube.yaml"))
}

/// Every stack the oracles run over: the examples and the fixture.
fn stacks() -> Vec<(String, Spec)> {
    let mut v: Vec<(String, Spec)> = EXAMPLES
        .iter()
        .map(|n| (n.to_string(), example(n)))
        .collect();
    v.push(("fixture".into(), fixture()));
    let imported = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube-imported.yaml");
    v.push(("imported".into(), load(&imported)));
    v
}

fn kube_models(spec: &Spec) -> Vec<Model> {
    spec.environments
        .keys()
        .map(|k| berth_spec::resolve(spec, &k.value).unwrap())
        .filter(|m| m.platform == berth_spec::Platform::Kubernetes)
        .collect()
}

/// The project files stack `name` mounts, read from next to its berth.yaml as `berth render`
/// reads them.
fn files_of(name: &str, spec: &Spec) -> berth_render::ProjectFiles {
    let dir = match name {
        "fixture" | "imported" => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        n => root().join("examples").join(n),
    };
    berth_drive::project_files::read(&dir, spec).unwrap()
}

/// `kube_models` with the content of the project files (ConfigMaps).
fn kube_models_with_files(name: &str, spec: &Spec) -> Vec<Model> {
    let files = files_of(name, spec);
    let mut models = kube_models(spec);
    for m in &mut models {
        berth_render::attach_files(m, &files);
    }
    models
}

fn model(spec: &Spec, env: &str) -> Model {
    berth_spec::resolve(spec, env).unwrap()
}

fn docs(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

fn objects(m: &Model) -> Vec<Value> {
    docs(&kube::hydrated(m))
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name}"))
}

fn has(objs: &[Value], kind: &str, name: &str) -> bool {
    objs.iter()
        .any(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

/// Planted secret values: recognisable, with characters env files and shells care about.
/// No line break: a kustomize env file cannot hold one (tested separately).
fn canary(secret: &str, key: &str) -> Option<String> {
    Some(format!("CANARY-{secret}-{key}-$x'\"#\\ ${{y}} ü"))
}

fn pod_specs(o: &Value) -> Vec<&Value> {
    match o["kind"].as_str() {
        Some("Deployment" | "StatefulSet" | "Job") => vec![&o["spec"]["template"]["spec"]],
        _ => vec![],
    }
}

// ---------------------------------------------------------------------------------------------
// Structure

#[test]
fn paths_of_base_overlays_and_hydrated() {
    let set = berth_render::render(&fixture(), &[]).unwrap();
    let k8s: Vec<&str> = set.paths().filter(|p| p.starts_with("k8s/")).collect();
    for p in [
        "k8s/base/kustomization.yaml",
        "k8s/base/api/deployment.yaml",
        "k8s/base/api/service.yaml",
        "k8s/base/api/ingress.yaml",
        "k8s/base/migrate/job.yaml",
        "k8s/base/mongo/statefulset.yaml",
        "k8s/overlays/kind/resources/postgres/statefulset.yaml",
        "k8s/overlays/kind/kustomization.yaml",
        "k8s/overlays/kind/resources/namespace.yaml",
        "k8s/overlays/prod/kustomization.yaml",
        "k8s/rendered/kind.yaml",
        "k8s/rendered/staging.yaml",
        "k8s/rendered/prod.yaml",
    ] {
        assert!(k8s.contains(&p), "{p} missing from {k8s:#?}");
    }
    assert!(!k8s.iter().any(|p| p.contains("/local")), "{k8s:?}");
    // Files hold one kind each.
    for (path, bytes) in set.iter().filter(|(p, _)| p.starts_with("k8s/base/")) {
        if path.ends_with("kustomization.yaml") {
            continue;
        }
        let kinds: Vec<Value> = docs(std::str::from_utf8(bytes).unwrap())
            .into_iter()
            .map(|d| d["kind"].clone())
            .collect();
        assert!(kinds.windows(2).all(|w| w[0] == w[1]), "{path}: {kinds:?}");
        let kind = kinds[0].as_str().unwrap().to_lowercase();
        assert!(path.ends_with(&format!("/{kind}.yaml")), "{path}");
    }
    // No git-ignored file: the overlay builds from a clean checkout.
    assert!(!k8s
        .iter()
        .any(|p| p.contains("secrets.env") || p.ends_with(".gitignore")));
}

#[test]
fn workloads_are_hardened() {
    for (name, spec) in stacks() {
        for m in kube_models(&spec) {
            let objs = objects(&m);
            for o in &objs {
                let kind = o["kind"].as_str().unwrap();
                if !matches!(kind, "Namespace" | "ClusterSecretStore") {
                    assert_eq!(o["metadata"]["namespace"], m.namespace.as_str());
                    assert_ne!(o["metadata"]["namespace"], "default");
                }
                for pod in pod_specs(o) {
                    let sa = pod["serviceAccountName"].as_str().unwrap();
                    assert!(has(&objs, "ServiceAccount", sa), "{name}: {sa}");
                    assert_eq!(
                        find(&objs, "ServiceAccount", sa)["automountServiceAccountToken"],
                        false
                    );
                    assert_eq!(pod["automountServiceAccountToken"], false);
                    assert_eq!(pod["securityContext"]["runAsUser"], 65532);
                    assert_eq!(pod["securityContext"]["runAsGroup"], 65532);
                    assert_eq!(
                        pod["securityContext"]["seccompProfile"]["type"],
                        "RuntimeDefault"
                    );
                    let containers = pod["containers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .chain(pod["initContainers"].as_array().into_iter().flatten());
                    for c in containers {
                        let sc = &c["securityContext"];
                        assert_eq!(sc["readOnlyRootFilesystem"], true);
                        assert_eq!(sc["allowPrivilegeEscalation"], false);
                        assert_eq!(sc["runAsNonRoot"], true);
                        assert_eq!(sc["capabilities"]["drop"][0], "ALL");
                        assert!(c["resources"]["requests"]["cpu"].is_string());
                        assert!(c["resources"]["limits"]["memory"].is_string());
                        let image = c["image"].as_str().unwrap();
                        let tag = image.rsplit('/').next().unwrap();
                        assert!(
                            tag.contains(':') && !tag.ends_with(":latest"),
                            "{name}: unpinned {image}"
                        );
                        assert!(c["volumeMounts"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|v| v["mountPath"] == "/tmp"));
                    }
                }
            }
        }
    }
}

#[test]
fn services_deployments_probes_and_config() {
    let spec = fixture();
    let m = model(&spec, "kind");
    let objs = objects(&m);
    let api = find(&objs, "Deployment", "api");
    // Autoscaled: the HPA owns the replica count.
    assert!(api["spec"].get("replicas").is_none());
    let hpa = find(&objs, "HorizontalPodAutoscaler", "api");
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    assert_eq!(hpa["spec"]["minReplicas"], 2);
    assert_eq!(hpa["spec"]["maxReplicas"], 8);
    assert_eq!(
        hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        60
    );
    let pdb = find(&objs, "PodDisruptionBudget", "api");
    assert_eq!(pdb["spec"]["unhealthyPodEvictionPolicy"], "AlwaysAllow");
    let pod = &api["spec"]["template"]["spec"];
    assert_eq!(
        pod["topologySpreadConstraints"][0]["topologyKey"],
        "topology.kubernetes.io/zone"
    );
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "ghcr.io/acme/shop/api:1.0.0");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "http");
    assert_eq!(c["readinessProbe"]["periodSeconds"], 15);
    assert_eq!(c["startupProbe"]["failureThreshold"], 2 + 3);
    assert_eq!(c["resources"]["limits"]["cpu"], "1");
    // A Service with every named port.
    let svc = find(&objs, "Service", "api");
    let ports: Vec<&Value> = svc["spec"]["ports"].as_array().unwrap().iter().collect();
    assert_eq!(ports.len(), 2);
    assert_eq!(ports[1]["name"], "admin");
    assert_eq!(ports[1]["targetPort"], "admin");
    // Plain values in a ConfigMap, `$` kept literally (envFrom is not expanded).
    let cm = find(&objs, "ConfigMap", "api-config");
    assert_eq!(cm["data"]["LOG_LEVEL"], "info");
    assert_eq!(cm["data"]["PRICE"], "costs $5");
    assert_eq!(cm["data"]["POSTGRES_HOST"], "postgres");
    assert_eq!(c["envFrom"][0]["configMapRef"]["name"], "api-config");
    let env: BTreeMap<&str, &Value> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e))
        .collect();
    // A whole secret: secretKeyRef to the generated Secret.
    assert_eq!(
        env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"],
        serde_json::json!({ "name": "shop-secrets", "key": "postgres-password" })
    );
    // Mixed: dependent variables, defined before their use.
    assert_eq!(
        env["DATABASE_URL"]["value"],
        "postgres://app:$(BERTH_SECRET_POSTGRES_PASSWORD_VALUE)@postgres:5432/shop"
    );
    let names: Vec<&str> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(pos("BERTH_SECRET_POSTGRES_PASSWORD_VALUE") < pos("DATABASE_URL"));
    assert_eq!(
        env["API_TOKEN"]["valueFrom"]["secretKeyRef"]["key"],
        "api-token"
    );
    // Host store: reached through a Service named after it.
    assert_eq!(cm["data"]["CACHE"], "redis:6379");
    let redis = find(&objs, "Service", "redis");
    assert_eq!(redis["spec"]["type"], "ExternalName");
    assert_eq!(redis["spec"]["externalName"], "host.docker.internal");
    assert!(!has(&objs, "StatefulSet", "redis"));
    // Worker: replicas from the overlay, its volume claimed.
    let worker = find(&objs, "Deployment", "worker");
    assert_eq!(worker["spec"]["replicas"], 1);
    assert!(!has(&objs, "PodDisruptionBudget", "worker"));
    assert_eq!(
        worker["spec"]["template"]["spec"]["containers"][0]["args"],
        serde_json::json!(["node", "worker.js"])
    );
    let pvc = find(&objs, "PersistentVolumeClaim", "worker-scratch");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "2Gi");
    // No health: TCP check of the primary port.
    assert_eq!(
        worker["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["tcpSocket"]["port"],
        "metrics"
    );
    let staging = objects(&model(&spec, "staging"));
    let worker = find(&staging, "Deployment", "worker");
    assert_eq!(worker["spec"]["replicas"], 3);
    assert!(has(&staging, "PodDisruptionBudget", "worker"));
}

#[test]
fn ingress_with_tls() {
    let spec = fixture();
    let objs = objects(&model(&spec, "staging"));
    let ing = find(&objs, "Ingress", "api");
    assert_eq!(
        ing["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt"
    );
    assert_eq!(ing["spec"]["ingressClassName"], "nginx");
    assert_eq!(
        ing["spec"]["tls"][0]["hosts"][0],
        "api.staging.shop.example.com"
    );
    assert_eq!(ing["spec"]["tls"][0]["secretName"], "api-tls");
    let path = &ing["spec"]["rules"][0]["http"]["paths"][0];
    assert_eq!(path["backend"]["service"]["name"], "api");
    assert_eq!(path["backend"]["service"]["port"]["name"], "http");
    let k3d = objects(&model(&example("comind-ops"), "dev"));
    let ing = k3d.iter().find(|o| o["kind"] == "Ingress").unwrap();
    assert_eq!(ing["spec"]["ingressClassName"], "traefik");
}

#[test]
fn jobs_hold_their_dependents() {
    let spec = fixture();
    let objs = objects(&model(&spec, "kind"));
    let job = find(&objs, "Job", "migrate");
    assert_eq!(job["spec"]["ttlSecondsAfterFinished"], 3600);
    assert_eq!(job["spec"]["backoffLimit"], 4);
    assert_eq!(
        job["spec"]["template"]["spec"]["restartPolicy"],
        "OnFailure"
    );
    let ann = &job["metadata"]["annotations"];
    assert_eq!(ann["argocd.argoproj.io/hook"], "Sync");
    assert_eq!(ann["argocd.argoproj.io/sync-wave"], "1");
    // `$` in arguments is escaped from Kubernetes' $(VAR) expansion.
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["args"][2],
        "--price=$$5"
    );
    let api = find(&objs, "Deployment", "api");
    // api waits for migrate (before) and for the MongoDB replica set init.
    assert_eq!(
        api["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"],
        "2"
    );
    let inits = api["spec"]["template"]["spec"]["initContainers"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = inits.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["wait-for-migrate", "wait-for-mongo-init"]);
    let script = inits[0]["command"][2].as_str().unwrap();
    assert!(script.contains("kubectl get job migrate"), "{script}");
    // Only the init container gets an API token.
    assert!(inits[0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount"));
    assert!(
        !api["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "kube-api-access")
    );
    let role = find(&objs, "Role", "api-wait-jobs");
    assert_eq!(
        role["rules"][0],
        serde_json::json!({ "apiGroups": ["batch"], "resources": ["jobs"], "resourceNames": ["migrate", "mongo-init"], "verbs": ["get"] })
    );
    let rb = find(&objs, "RoleBinding", "api-wait-jobs");
    assert_eq!(rb["subjects"][0]["name"], "api");
    // worker waits only for the replica set init (wave 1), so it is in wave 2 too; the
    // StatefulSets are in the stores' wave, -1 (before every Job and service).
    let worker = find(&objs, "Deployment", "worker");
    assert_eq!(
        worker["spec"]["template"]["spec"]["initContainers"][0]["name"],
        "wait-for-mongo-init"
    );
    assert_eq!(
        find(&objs, "StatefulSet", "mongo")["metadata"]["annotations"]
            ["argocd.argoproj.io/sync-wave"],
        "-1"
    );
    let policy = find(&objs, "NetworkPolicy", "api");
    let egress = policy["spec"]["egress"].as_array().unwrap();
    assert!(egress
        .iter()
        .any(|e| e.get("to").is_none() && e["ports"][0]["port"] == 443));
}

#[test]
fn in_cluster_stores_and_mongo_replica_set() {
    let spec = fixture();
    let objs = objects(&model(&spec, "kind"));
    let pg = find(&objs, "StatefulSet", "postgres");
    assert_eq!(pg["spec"]["serviceName"], "postgres-headless");
    assert_eq!(pg["spec"]["replicas"], 1);
    assert_eq!(
        pg["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "5Gi"
    );
    let env = &pg["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(env
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "POSTGRES_PASSWORD"
            && e["valueFrom"]["secretKeyRef"]["key"] == "postgres-password"));
    assert_eq!(
        find(&objs, "Service", "postgres-headless")["spec"]["clusterIP"],
        "None"
    );
    assert_eq!(
        find(&objs, "PodDisruptionBudget", "postgres")["spec"]["unhealthyPodEvictionPolicy"],
        "AlwaysAllow"
    );
    let mongo = find(&objs, "StatefulSet", "mongo");
    assert_eq!(mongo["spec"]["replicas"], 3);
    let cmd = mongo["spec"]["template"]["spec"]["containers"][0]["command"][2]
        .as_str()
        .unwrap();
    assert!(
        cmd.contains("mongod --replSet rs0 --bind_ip_all --keyFile"),
        "{cmd}"
    );
    let init = find(&objs, "Job", "mongo-init");
    let script = init["spec"]["template"]["spec"]["containers"][0]["command"][2]
        .as_str()
        .unwrap();
    for i in 0..3 {
        assert!(
            script.contains(&format!("mongo-{i}.mongo-headless:27017")),
            "{script}"
        );
    }
    assert_eq!(
        init["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"],
        "1"
    );
    // Users of the replica set connect with every member listed.
    let cm = find(&objs, "ConfigMap", "worker-config");
    assert_eq!(
        cm["data"]["MONGO_HOST"], "mongo",
        "the wiring host is the store's Service"
    );
    let np = find(&objs, "NetworkPolicy", "mongo");
    let from = serde_json::to_string(&np["spec"]["ingress"]).unwrap();
    for who in ["api", "worker", "mongo-init", "\"mongo\""] {
        assert!(from.contains(who), "{who}: {from}");
    }
    // Other stores run one pod in the cluster (no replication config is written).
    assert_eq!(
        find(&objs, "StatefulSet", "rabbitmq")["spec"]["replicas"],
        1
    );
}

/// An in-cluster redis with `shards` runs one pod without cluster mode: the StatefulSet's note
/// says so beside the replicas note, and workloads get `<NAME>_CLUSTER=false`.
#[test]
fn a_sharded_redis_in_the_cluster_runs_one_node_and_says_so() {
    let text =
        "name: t\nservices:\n  api: { image: \"a/b:1\", ports: { http: 80 }, uses: [cache] }\n\
                stores:\n  cache: { type: redis, version: \"7.2\", shards: 3, replicas: 2 }\n\
                environments:\n  kind: { platform: kubernetes, cluster: kind }\n";
    let src = Source::new("berth.yaml", text.to_string());
    let spec = berth_spec::validate(&src).spec.unwrap();
    let objs = objects(&model(&spec, "kind"));
    let sts = find(&objs, "StatefulSet", "cache");
    assert_eq!(sts["spec"]["replicas"], 1);
    assert_eq!(
        sts["metadata"]["annotations"]["berth.dev/note"],
        "2 replicas requested; an in-cluster redis runs one pod (use a managed store for more); \
         3 shards requested; an in-cluster redis runs one node without cluster mode (CACHE_CLUSTER=false)"
    );
    let config = find(&objs, "ConfigMap", "api-config");
    assert_eq!(config["data"]["CACHE_CLUSTER"], "false", "{config:?}");
}

#[test]
fn network_policies() {
    let spec = fixture();
    let kind = objects(&model(&spec, "kind"));
    let deny = find(&kind, "NetworkPolicy", "default-deny");
    assert_eq!(deny["spec"]["podSelector"], serde_json::json!({}));
    assert_eq!(
        deny["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    let api = find(&kind, "NetworkPolicy", "api");
    let ingress = api["spec"]["ingress"].as_array().unwrap();
    // From its dependent (worker) on its ports, and from the ingress controller.
    assert_eq!(
        ingress[0]["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "worker"
    );
    assert_eq!(ingress[0]["ports"][1]["port"], 9090);
    assert_eq!(
        ingress[1]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "ingress-nginx"
    );
    let egress = api["spec"]["egress"].as_array().unwrap();
    assert_eq!(
        egress[0]["ports"][0],
        serde_json::json!({ "protocol": "UDP", "port": 53 })
    );
    assert!(egress
        .iter()
        .any(
            |e| e["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "postgres"
                && e["ports"][0]["port"] == 5432
        ));
    // Host store: its port, any address.
    assert!(egress
        .iter()
        .any(|e| e.get("to").is_none() && e["ports"][0]["port"] == 6379));
    // Managed stores: the database subnets of the VPC, on the store's port.
    let staging = model(&spec, "staging");
    let subnets = staging
        .infra
        .as_ref()
        .unwrap()
        .subnets(berth_spec::model::SubnetTier::Database);
    assert_eq!(subnets.len(), 3);
    let objs = objects(&staging);
    let api = find(&objs, "NetworkPolicy", "api");
    let pg = api["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["ports"][0]["port"] == 5432)
        .unwrap();
    let cidrs: Vec<&str> = pg["to"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ipBlock"]["cidr"].as_str().unwrap())
        .collect();
    assert_eq!(
        cidrs,
        subnets.iter().map(|s| s.as_str()).collect::<Vec<_>>()
    );
    // External store (prod rabbitmq): its URL's port.
    let prod = objects(&model(&spec, "prod"));
    let worker = find(&prod, "NetworkPolicy", "worker");
    assert!(worker["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.get("to").is_none() && e["ports"][0]["port"] == 5671));
}

#[test]
fn cloud_secrets_are_external_secrets() {
    let spec = fixture();
    let m = model(&spec, "staging");
    let objs = objects(&m);
    let css = find(&objs, "ClusterSecretStore", "aws-secrets-manager");
    assert!(css["metadata"].get("namespace").is_none());
    let aws = &css["spec"]["provider"]["aws"];
    assert_eq!(aws["service"], "SecretsManager");
    assert_eq!(aws["region"], "eu-central-1");
    assert_eq!(
        aws["auth"]["jwt"]["serviceAccountRef"],
        serde_json::json!({ "name": "external-secrets", "namespace": "external-secrets" })
    );
    // A managed store: the Terraform contract's JSON keys.
    let es = find(&objs, "ExternalSecret", "postgres-connection");
    assert_eq!(es["apiVersion"], "external-secrets.io/v1");
    assert_eq!(es["spec"]["secretStoreRef"]["kind"], "ClusterSecretStore");
    assert_eq!(es["spec"]["target"]["name"], "postgres-connection");
    let data = es["spec"]["data"].as_array().unwrap();
    let keys: Vec<&str> = data
        .iter()
        .map(|d| d["secretKey"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["url", "host", "port", "user", "password"]);
    for d in data {
        assert_eq!(d["remoteRef"]["key"], "shop/staging/postgres");
        assert_eq!(d["remoteRef"]["property"], d["secretKey"]);
    }
    let api = find(&objs, "Deployment", "api");
    let env = api["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let url = env.iter().find(|e| e["name"] == "POSTGRES_URL").unwrap();
    assert_eq!(
        url["valueFrom"]["secretKeyRef"],
        serde_json::json!({ "name": "postgres-connection", "key": "url" })
    );
    // Generated secrets in the cloud: Terraform writes them to Secrets Manager.
    let es = find(&objs, "ExternalSecret", "session-key");
    assert_eq!(
        es["spec"]["data"][0]["remoteRef"],
        serde_json::json!({ "key": "shop/staging/session-key" })
    );
    // In-cluster store passwords too.
    let es = find(&objs, "ExternalSecret", "mongo-password");
    assert_eq!(
        es["spec"]["data"][0]["remoteRef"]["key"],
        "shop/staging/mongo-password"
    );
    // Sources a cluster cannot read (env, file) stay in the generated Secret.
    let token = env.iter().find(|e| e["name"] == "API_TOKEN").unwrap();
    assert_eq!(token["valueFrom"]["secretKeyRef"]["name"], "shop-secrets");
    // No Secret object is ever rendered.
    for (_, spec) in stacks() {
        for m in kube_models(&spec) {
            assert!(!objects(&m).iter().any(|o| o["kind"] == "Secret"));
        }
    }
}

#[test]
fn overlay_layout() {
    let set = berth_render::render(&fixture(), &[]).unwrap();
    let k: Value =
        serde_saphyr::from_str(set.get_str("k8s/overlays/kind/kustomization.yaml").unwrap())
            .unwrap();
    assert_eq!(k["namespace"], "shop");
    assert_eq!(k["resources"][0], "../../base");
    assert!(k.get("secretGenerator").is_none());
    // Cloud: namespaces by replacement, so the ClusterSecretStore stays cluster-scoped.
    let k: Value =
        serde_saphyr::from_str(set.get_str("k8s/overlays/prod/kustomization.yaml").unwrap())
            .unwrap();
    assert!(k.get("namespace").is_none());
    assert_eq!(
        k["replacements"][0]["targets"][0]["reject"][1]["kind"],
        "ClusterSecretStore"
    );
    // Tags by `images:`.
    let images = k["images"].as_array().unwrap();
    assert!(
        images
            .iter()
            .any(|i| i["name"] == "ghcr.io/acme/shop/api" && i["newTag"] == "1.1.0"),
        "{images:?}"
    );
    // The base holds what environments share: the majority tag (staging's and prod's differ,
    // kind has 1.0.0) and no namespace.
    let base = set.get_str("k8s/base/api/deployment.yaml").unwrap();
    assert!(!base.contains("namespace:"), "{base}");
    // The kustomization names the keys of the Secret the driver creates, never a value.
    let note = set.get_str("k8s/overlays/kind/kustomization.yaml").unwrap();
    assert!(note.contains("Secret `shop-secrets`"), "{note}");
    assert!(
        note.contains("#   api-token: host environment variable SHOP_API_TOKEN"),
        "{note}"
    );
}

#[test]
fn deterministic_and_independent_of_selection() {
    let spec = fixture();
    let all = berth_render::render(&spec, &[]).unwrap();
    assert_eq!(all, berth_render::render(&spec, &[]).unwrap());
    let one = berth_render::render(&spec, &["staging".to_string()]).unwrap();
    for (path, bytes) in one.iter() {
        if path.starts_with("k8s/") || path.starts_with("gitops/") {
            assert_eq!(
                all.get(path),
                Some(bytes),
                "{path} depends on the selection"
            );
        }
    }
    assert!(one.get("k8s/overlays/kind/kustomization.yaml").is_none());
}

#[test]
fn secret_object_carries_every_local_key_or_names_the_missing_one() {
    let m = model(&fixture(), "kind");
    let nl = |s: &str, _: &str| Some(format!("{s}\nline two"));
    let obj = secret_object(&m, &nl).unwrap().unwrap();
    assert_eq!(obj["kind"], "Secret");
    assert_eq!(obj["metadata"]["name"], "shop-secrets");
    assert_eq!(obj["metadata"]["namespace"], "shop");
    assert_eq!(obj["stringData"]["api-token"], "api-token\nline two");
    let none = |_: &str, _: &str| None;
    let err = secret_object(&m, &none).unwrap_err();
    assert_eq!(err.secret, "postgres-password");
}

// ---------------------------------------------------------------------------------------------
// Canary: planted secret values never reach a rendered file.

#[test]
fn canary_secret_values_never_reach_rendered_files() {
    let tmp = tempfile::tempdir().unwrap();
    // Where a driver would find values: host environment variables, files, `.berth/` state.
    for (_, spec) in stacks() {
        for m in kube_models(&spec) {
            for s in &m.secrets {
                match &s.source {
                    berth_spec::model::SecretSource::Env { var } => {
                        std::env::set_var(var, canary(&s.name, "value").unwrap())
                    }
                    berth_spec::model::SecretSource::File { path } => {
                        let p = tmp.path().join(path.trim_start_matches("./"));
                        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                        std::fs::write(p, canary(&s.name, "value").unwrap()).unwrap();
                    }
                    _ => {}
                }
            }
        }
    }
    std::fs::create_dir_all(tmp.path().join(".berth")).unwrap();
    std::fs::write(
        tmp.path().join(".berth/secrets.json"),
        r#"{"postgres-password":"CANARY-state"}"#,
    )
    .unwrap();
    let mut checked = 0;
    for (name, spec) in stacks() {
        let set = berth_render::render(&spec, &[]).unwrap();
        for (path, bytes) in set.iter() {
            assert!(
                !String::from_utf8_lossy(bytes).contains("CANARY"),
                "{name}: {path} leaks a secret"
            );
            checked += 1;
        }
        // Neither do the plan's files or the plan itself; the Secret the driver pipes to
        // kubectl does hold them (so this test can see a leak).
        for m in kube_models(&spec) {
            let r = berth_render::plan::kubernetes(&m);
            for (path, bytes) in r.files.iter() {
                assert!(
                    !String::from_utf8_lossy(bytes).contains("CANARY"),
                    "{name}: plan file {path} leaks a secret"
                );
            }
            let plan = serde_json::to_string(&r.plan).unwrap();
            assert!(!plan.contains("CANARY"), "{name}: the plan leaks a secret");
            if let Some(obj) = secret_object(&m, &canary).unwrap() {
                assert!(obj.to_string().contains("CANARY"));
            }
        }
    }
    assert!(checked > 100);
}

// ---------------------------------------------------------------------------------------------
// Snapshots

fn joined(set: &ArtifactSet, prefix: &str) -> String {
    let mut out = String::new();
    for (path, bytes) in set.iter().filter(|(p, _)| p.starts_with(prefix)) {
        out.push_str(&format!("=== {path}\n{}\n", String::from_utf8_lossy(bytes)));
    }
    out
}

#[test]
fn snapshots_of_examples() {
    for (name, spec) in stacks() {
        let files = files_of(&name, &spec);
        let set = berth_render::render_with_files(&spec, &[], &files).unwrap();
        insta::assert_snapshot!(format!("{name}__k8s_base"), joined(&set, "k8s/base/"));
        insta::assert_snapshot!(
            format!("{name}__k8s_overlays"),
            joined(&set, "k8s/overlays/")
        );
        insta::assert_snapshot!(
            format!("{name}__k8s_rendered"),
            joined(&set, "k8s/rendered/")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Oracles

fn tool(cmd: &str, args: &[&str]) -> std::process::Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`{cmd}` runs: {e}"))
}

fn key(o: &Value) -> (String, String, String) {
    (
        o["apiVersion"].as_str().unwrap_or_default().to_string(),
        o["kind"].as_str().unwrap_or_default().to_string(),
        o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Every overlay builds with the real kustomize from a clean render (no secret file written
/// next to it) and gives exactly the hydrated objects.
#[test]
fn oracle_kustomize_builds_every_overlay_as_hydrated() {
    berth_testkit::require!(berth_testkit::KUBECTL);
    let mut built = 0;
    for (name, spec) in stacks() {
        let tmp = tempfile::tempdir().unwrap();
        let files = files_of(&name, &spec);
        let set = berth_render::render_with_files(&spec, &[], &files).unwrap();
        berth_drive::artifacts::write(&set, tmp.path()).unwrap();
        for m in kube_models_with_files(&name, &spec) {
            let dir = tmp.path().join(format!("k8s/overlays/{}", m.environment));
            let out = tool("kubectl", &["kustomize", dir.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "{name}/{}: kubectl kustomize failed:\n{}",
                m.environment,
                String::from_utf8_lossy(&out.stderr)
            );
            let got: BTreeMap<_, Value> = docs(&String::from_utf8_lossy(&out.stdout))
                .into_iter()
                .map(|o| (key(&o), o))
                .collect();
            let want: BTreeMap<_, Value> = objects(&m).into_iter().map(|o| (key(&o), o)).collect();
            let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
            let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{name}/{}: missing {missing:?}, extra {extra:?}",
                m.environment
            );
            for (k, w) in &want {
                assert_eq!(&got[k], w, "{name}/{}: {k:?} differs", m.environment);
            }
            built += 1;
        }
    }
    assert!(built >= 16, "{built}");
}

/// All hydrated files of all stacks in one directory (one oracle call each).
fn rendered_dir() -> tempfile::TempDir {
    // Not `.tmpXXXX`: checkov skips hidden directories.
    let tmp = tempfile::Builder::new()
        .prefix("berth-rendered-")
        .tempdir()
        .unwrap();
    for (name, spec) in stacks() {
        for m in kube_models_with_files(&name, &spec) {
            std::fs::write(
                tmp.path().join(format!("{name}-{}.yaml", m.environment)),
                kube::hydrated(&m),
            )
            .unwrap();
        }
    }
    tmp
}

#[test]
fn oracle_kubernetes_validate_strict_oldest_and_newest() {
    berth_testkit::require!(berth_testkit::KUBERNETES_VALIDATE);
    let dir = rendered_dir();
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    let (oldest, newest) = kube::SUPPORTED_VERSIONS;
    for version in [oldest, newest] {
        let mut args = vec!["--strict", "-k", version];
        args.extend(files.iter().map(|s| s.as_str()));
        let out = tool("kubernetes-validate", &args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "kubernetes-validate {version}:\n{text}"
        );
        // Only the custom resources (External Secrets, Argo Rollouts, prometheus-operator) lack a built-in schema
        // (validated in tests/gitops.rs against their own).
        for line in text.lines().filter(|l| l.contains("Couldn't find schema")) {
            assert!(
                [
                    "ExternalSecret",
                    "ClusterSecretStore",
                    "Rollout",
                    "AnalysisTemplate",
                    "ServiceMonitor",
                    "PrometheusRule"
                ]
                .iter()
                .any(|k| line.contains(&format!("kind {k} "))),
                "{line}"
            );
        }
        assert!(text.matches("INFO").count() > 400, "{text}");
    }
}

#[test]
fn oracle_checkov_reports_no_failures() {
    berth_testkit::require!(berth_testkit::CHECKOV);
    let dir = rendered_dir();
    let out = tool(
        "checkov",
        &[
            "--framework",
            "kubernetes",
            "--skip-download",
            "--compact",
            "-o",
            "json",
            "-d",
            dir.path().to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let reports = match report {
        Value::Array(v) => v,
        v => vec![v],
    };
    assert_eq!(reports.len(), 1, "{text}");
    let mut passed = 0;
    for r in &reports {
        let failed = r["results"]["failed_checks"].as_array().unwrap();
        let list: Vec<String> = failed
            .iter()
            .map(|f| format!("{} {} {}", f["check_id"], f["resource"], f["file_path"]))
            .collect();
        assert!(failed.is_empty(), "checkov failures:\n{}", list.join("\n"));
        passed += r["summary"]["passed"].as_u64().unwrap();
        // Every skip carries its reason.
        for s in r["results"]["skipped_checks"].as_array().unwrap() {
            let reason = s["check_result"]["suppress_comment"].as_str().unwrap_or("");
            assert!(reason.len() > 10, "skip without a reason: {s}");
        }
    }
    assert!(out.status.success());
    assert!(passed > 1000, "{passed}");
}

#[test]
fn entrypoint_udp_ports_and_writable_paths() {
    let text = "name: kept\nservices:\n  dns:\n    image: coredns/coredns:1.11.1\n    entrypoint: [/coredns]\n    command: [-conf, /etc/Corefile]\n    ports: { dns: 53/udp }\n    health: { exec: [/coredns, -version] }\n    writable: [/var/cache/dns]\nenvironments:\n  dev: { platform: kubernetes, cluster: kind }\n";
    let spec = berth_spec::validate_strict(&Source::new("x.yaml", text)).unwrap();
    let objs = objects(&model(&spec, "dev"));
    let pod = &find(&objs, "Deployment", "dns")["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(c["command"], serde_json::json!(["/coredns"]));
    assert_eq!(c["args"], serde_json::json!(["-conf", "/etc/Corefile"]));
    assert_eq!(c["ports"][0]["protocol"], "UDP");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/var/cache/dns")
        .expect("the writable path is mounted");
    let name = &mount["name"];
    let vol = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| &v["name"] == name);
    assert!(vol.unwrap()["emptyDir"].is_object());
    let svc = find(&objs, "Service", "dns");
    assert_eq!(svc["spec"]["ports"][0]["protocol"], "UDP");
}

#[test]
fn shared_volumes_are_one_claim_and_secret_files_a_projected_volume() {
    let spec =
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube-imported.yaml"));
    let objs = objects(&model(&spec, "kind"));
    let claims: Vec<&Value> = objs
        .iter()
        .filter(|o| o["kind"] == "PersistentVolumeClaim")
        .collect();
    assert_eq!(claims.len(), 1, "one claim for the shared volume");
    assert_eq!(claims[0]["metadata"]["name"], "kept-shared-uploads");
    for name in ["web", "worker"] {
        let pod = &find(&objs, "Deployment", name)["spec"]["template"]["spec"];
        let uses = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["persistentVolumeClaim"]["claimName"] == "kept-shared-uploads");
        assert!(uses, "{name} mounts the shared claim");
    }
    let pod = &find(&objs, "Deployment", "worker")["spec"]["template"]["spec"];
    let mounts = pod["containers"][0]["volumeMounts"].as_array().unwrap();
    let at = |path: &str| {
        let m = mounts.iter().find(|m| m["mountPath"] == path).expect(path);
        assert_eq!(m["readOnly"], true, "{path}");
        let vol = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == m["name"])
            .unwrap();
        vol["projected"]["sources"][0]["secret"].clone()
    };
    let run = at("/run/secrets");
    assert_eq!(run["name"], "kept-secrets");
    assert_eq!(
        run["items"],
        serde_json::json!([{ "key": "api-token", "path": "api_token" }])
    );
    assert_eq!(at("/etc/worker")["items"][0]["path"], "tls.key");
    // The Secret of local values carries the keys the files read.
    let keys: Vec<String> = kube::local_secret_keys(&model(&spec, "kind"))
        .into_iter()
        .map(|(k, _, _)| k)
        .collect();
    assert!(keys.contains(&"api-token".to_string()) && keys.contains(&"tls-key".to_string()));
}

#[test]
fn in_cluster_stores_are_scraped_through_their_exporter_sidecar() {
    let spec = fixture();
    let m = model(&spec, "kind");
    let objs = objects(&m);
    let mut seen = 0;
    for store in m
        .stores
        .iter()
        .filter(|s| s.realization == berth_spec::model::Realized::InCluster)
    {
        let name = store.name.as_str();
        let pod = &find(&objs, "StatefulSet", name)["spec"]["template"]["spec"];
        let containers = pod["containers"].as_array().unwrap();
        let port_of = |c: &Value| {
            c["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == kube::STORE_METRICS_PORT_NAME)
                .map(|p| p["containerPort"].as_u64().unwrap())
        };
        let Some(e) = berth_render::observe::exporter(store.kind) else {
            continue;
        };
        seen += 1;
        assert_eq!(
            port_of(&containers[0]),
            None,
            "{name}: the store serves no metrics"
        );
        let sidecar = containers
            .iter()
            .find(|c| c["name"] == e.name)
            .unwrap_or_else(|| panic!("{name}: no {}", e.name));
        assert_eq!(port_of(sidecar), Some(u64::from(e.port)), "{name}");
        // The sidecar reads the store's password from the store's own Secret.
        let secret = sidecar["env"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|v| v["valueFrom"]["secretKeyRef"]["name"].as_str())
            .unwrap();
        let main_secret = containers[0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|v| v["valueFrom"]["secretKeyRef"]["name"].as_str())
            .unwrap();
        assert_eq!(secret, main_secret, "{name}");
        let monitor = find(&objs, "ServiceMonitor", name);
        assert_eq!(
            monitor["spec"]["endpoints"][0]["port"],
            kube::STORE_METRICS_PORT_NAME
        );
        let svc = find(&objs, "Service", name);
        assert!(svc["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["port"] == u64::from(e.port)));
        let exposed = berth_render::observe::exposed(&m);
        assert!(e.metrics.iter().all(|x| exposed.contains(x)), "{name}");
    }
    // kind: postgres and mongo in the cluster (redis on the host: no sidecar, no target).
    assert_eq!(seen, 2);
    assert!(!has(&objs, "ServiceMonitor", "redis"));
}

#[test]
fn project_files_are_a_config_map_mounted_read_only() {
    let spec =
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube-imported.yaml"));
    let m = &kube_models_with_files("imported", &spec)[0];
    let objs = objects(m);
    let cm = find(&objs, "ConfigMap", "web-files");
    let conf = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/files/default.conf"),
    )
    .unwrap();
    assert_eq!(cm["data"]["files_default.conf"], conf.as_str());
    assert_eq!(cm["data"]["files_html_index.html"], "<h1>kept</h1>\n");
    // Bytes that are not UTF-8 travel as binaryData.
    assert!(cm["binaryData"]["files_html_img_dot.png"].is_string());
    let pod = &find(&objs, "Deployment", "web")["spec"]["template"];
    assert!(pod["metadata"]["annotations"]["berth.dev/files-hash"].is_string());
    let mounts = pod["spec"]["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap();
    let volume = |m: &Value| {
        pod["spec"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == m["name"])
            .unwrap()
            .clone()
    };
    // A single file through subPath, a folder as a directory with its files at their paths.
    let file = mounts
        .iter()
        .find(|m| m["mountPath"] == "/etc/nginx/conf.d/default.conf")
        .unwrap();
    assert_eq!(file["readOnly"], true);
    assert_eq!(file["subPath"], "files_default.conf");
    assert_eq!(volume(file)["configMap"]["name"], "web-files");
    let dir = mounts
        .iter()
        .find(|m| m["mountPath"] == "/usr/share/nginx/html")
        .unwrap();
    assert!(dir.get("subPath").is_none());
    let items = &volume(dir)["configMap"]["items"];
    assert_eq!(items[0]["path"], "img/dot.png");
    assert_eq!(items[1]["path"], "index.html");
    // A store's init scripts and its further volume.
    let sts = find(&objs, "StatefulSet", "db");
    let c = &sts["spec"]["template"]["spec"]["containers"][0];
    let paths: Vec<&str> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["mountPath"].as_str())
        .collect();
    assert!(paths.contains(&"/docker-entrypoint-initdb.d"), "{paths:?}");
    assert!(paths.contains(&"/var/backups/dumps"), "{paths:?}");
    let claims = sts["spec"]["volumeClaimTemplates"].as_array().unwrap();
    assert_eq!(claims[1]["metadata"]["name"], "vol-dumps");
    assert_eq!(claims[1]["spec"]["resources"]["requests"]["storage"], "2Gi");
    assert_eq!(
        find(&objs, "ConfigMap", "db-files")["data"]["files_initdb_01-schema.sql"],
        "CREATE TABLE kept (id int);\n"
    );
}
