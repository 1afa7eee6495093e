//! Platform stores (issue 14) over tests/fixtures/platform.yaml — mysql, s3, sqs, sns,
//! opensearch and smtp beside postgres and redis in a compose, a kind and an AWS environment:
//! the wiring every environment gives, and the oracles `docker compose config`, `kubectl
//! kustomize`, `kubernetes-validate --strict`, `terraform validate` and checkov (Kubernetes and
//! Terraform) with no failed check.

use berth_render::{kube, terraform, ArtifactSet};
use berth_spec::{Model, Source, Spec};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn spec() -> Spec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/platform.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let src = Source::new(path.display().to_string(), text);
    berth_spec::validate_strict(&src).unwrap_or_else(|e| panic!("{e}"))
}

fn model(env: &str) -> Model {
    berth_spec::resolve(&spec(), env).unwrap()
}

/// The variables of a workload as `berth resolve` prints them.
fn env_of(m: &Model, workload: &str) -> serde_json::Map<String, Value> {
    m.workload(workload)
        .unwrap()
        .env
        .iter()
        .map(|v| (v.name.clone(), serde_json::to_value(&v.value).unwrap()))
        .collect()
}

const EVERYWHERE: &[&str] = &[
    "LEGACY_DB_URL",
    "LEGACY_DB_HOST",
    "LEGACY_DB_PORT",
    "LEGACY_DB_USER",
    "LEGACY_DB_PASSWORD",
    "LEGACY_DB_DB",
    "UPLOADS_URL",
    "UPLOADS_BUCKET",
    "UPLOADS_ENDPOINT",
    "UPLOADS_REGION",
    "JOBS_QUEUE_URL",
    "JOBS_DLQ_URL",
    "JOBS_ENDPOINT",
    "JOBS_REGION",
    "EVENTS_TOPIC_ARN",
    "EVENTS_ENDPOINT",
    "SEARCH_URL",
    "SEARCH_HOST",
    "SEARCH_PORT",
    "MAIL_HOST",
    "MAIL_PORT",
    "MAIL_USER",
    "MAIL_PASSWORD",
    "POSTGRES_URL",
    "POSTGRES_READ_URL",
    "REDIS_URL",
    "LEGACY_DSN",
    "UPLOADS",
    "QUEUE",
];

#[test]
fn every_environment_wires_every_store() {
    for env in ["local", "kind", "aws"] {
        let m = model(env);
        let vars = env_of(&m, "api");
        for name in EVERYWHERE {
            assert!(vars.contains_key(*name), "{env}: no {name} in {vars:?}");
        }
        let keys = vars.contains_key("UPLOADS_ACCESS_KEY_ID");
        assert_eq!(
            keys,
            env != "aws",
            "{env}: keys only where no IAM role exists"
        );
        assert_eq!(vars["QUEUE"], vars["JOBS_QUEUE_URL"], "{env}");
    }
}

#[test]
fn local_values_point_at_the_emulators() {
    let vars = env_of(&model("local"), "api");
    let s = |k: &str| vars[k].as_str().unwrap().to_string();
    assert_eq!(s("UPLOADS_BUCKET"), "uploads");
    assert_eq!(s("UPLOADS_ENDPOINT"), "http://uploads:9000");
    assert_eq!(s("UPLOADS"), "s3://uploads");
    assert_eq!(s("JOBS_QUEUE_URL"), "http://jobs:4566/000000000000/jobs");
    assert_eq!(s("JOBS_DLQ_URL"), "http://jobs:4566/000000000000/jobs-dlq");
    assert_eq!(
        s("EVENTS_TOPIC_ARN"),
        "arn:aws:sns:us-east-1:000000000000:events"
    );
    assert_eq!(s("SEARCH_URL"), "http://search:9200");
    assert_eq!(
        s("LEGACY_DB_URL"),
        "mysql://app:${secret:legacy-db-password}@legacy-db:3306/legacy"
    );
    assert_eq!(s("MAIL_HOST"), "mail");
    assert_eq!(s("MAIL_PORT"), "1025");
    assert_eq!(s("POSTGRES_READ_URL"), s("POSTGRES_URL"));
}

#[test]
fn aws_values_come_from_the_connection_secrets() {
    let m = model("aws");
    let vars = env_of(&m, "api");
    let s = |k: &str| vars[k].as_str().unwrap().to_string();
    assert_eq!(s("JOBS_QUEUE_URL"), "${secret:jobs-connection.queue_url}");
    assert_eq!(s("UPLOADS_BUCKET"), "${secret:uploads-connection.bucket}");
    assert_eq!(
        s("POSTGRES_READ_URL"),
        "${secret:postgres-connection.read_url}"
    );
    assert_eq!(s("MAIL_PASSWORD"), "${secret:mail-connection.password}");
    let jobs = m.secret("jobs-connection").unwrap();
    assert!(jobs.keys.iter().any(|k| k == "dlq_url"), "{:?}", jobs.keys);
    assert_eq!(m.store("uploads").unwrap().port, 443);
}

fn write(set: &ArtifactSet, dir: &Path) {
    for (path, bytes) in set.iter() {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn compose_runs_the_emulators_and_docker_compose_reads_it() {
    let m = model("local");
    let set = berth_render::compose::render(&m);
    let stores =
        String::from_utf8_lossy(set.get("compose/local/compose.stores.yaml").unwrap()).into_owned();
    for image in [
        "mysql:8.0",
        "minio/minio:RELEASE",
        "localstack/localstack:4.0.3",
        "opensearchproject/opensearch:2.17.1",
        "axllent/mailpit:v1.21.8",
    ] {
        assert!(stores.contains(image), "{image} missing:\n{stores}");
    }
    assert!(
        stores.contains("mc mb --ignore-existing local/uploads"),
        "{stores}"
    );
    assert!(
        stores.contains("create-queue --queue-name jobs-dlq"),
        "{stores}"
    );
    assert!(
        stores.contains("127.0.0.1:8025:8025"),
        "mailpit UI published:\n{stores}"
    );
    berth_testkit::require!(berth_testkit::DOCKER_COMPOSE);
    let tmp = tempfile::tempdir().unwrap();
    write(&set, &tmp.path().join("deploy"));
    // The build context (the project root) needs its Dockerfile.
    std::fs::write(tmp.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let dir = tmp.path().join("deploy/compose/local");
    let (ok, out) = run(Command::new("docker")
        .current_dir(&dir)
        .env_remove("COMPOSE_FILE")
        .args(["compose", "-p", "market-platform-test"])
        .args(["-f", "compose.stores.yaml", "-f", "compose.services.yaml"])
        .args(["config", "--quiet"]));
    assert!(ok, "docker compose config:\n{out}");
}

/// The hydrated objects of the kind environment in a directory checkov does not skip.
fn kube_dir() -> tempfile::TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("berth-platform-")
        .tempdir()
        .unwrap();
    std::fs::write(tmp.path().join("kind.yaml"), kube::hydrated(&model("kind"))).unwrap();
    std::fs::write(tmp.path().join("aws.yaml"), kube::hydrated(&model("aws"))).unwrap();
    tmp
}

#[test]
fn kubernetes_in_cluster_stores_build_validate_and_pass_checkov() {
    let hydrated = kube::hydrated(&model("kind"));
    for name in ["legacy-db", "uploads", "jobs", "search", "mail"] {
        assert!(
            hydrated.contains(&format!("kind: StatefulSet\nmetadata:\n  name: {name}\n")),
            "no StatefulSet {name}"
        );
    }
    // The topic is served by the queue's LocalStack pod: a Service of its own name selects it.
    assert!(!hydrated.contains("kind: StatefulSet\nmetadata:\n  name: events\n"));
    let events = hydrated
        .split("\n---\n")
        .find(|d| d.starts_with("apiVersion: v1\nkind: Service\nmetadata:\n  name: events\n"))
        .expect("a Service events");
    assert!(events.contains("app.kubernetes.io/name: jobs"), "{events}");
    // The api's egress to the queue and the topic is one rule to that pod.
    let api = hydrated
        .split("\n---\n")
        .find(|d| d.contains("kind: NetworkPolicy\nmetadata:\n  name: api\n"))
        .expect("the api's NetworkPolicy");
    assert_eq!(
        api.matches("app.kubernetes.io/name: jobs").count(),
        1,
        "{api}"
    );
    assert!(!api.contains("app.kubernetes.io/name: events"), "{api}");
    berth_testkit::require!(
        berth_testkit::KUBECTL,
        berth_testkit::KUBERNETES_VALIDATE,
        berth_testkit::CHECKOV
    );
    let tmp = tempfile::tempdir().unwrap();
    let set = berth_render::render(&spec(), &[]).unwrap();
    write(&set, tmp.path());
    for env in ["kind", "aws"] {
        let dir = tmp.path().join(format!("k8s/overlays/{env}"));
        let (ok, out) = run(Command::new("kubectl").args(["kustomize", dir.to_str().unwrap()]));
        assert!(ok, "{env}: kubectl kustomize:\n{out}");
    }
    let dir = kube_dir();
    let files: Vec<String> = ["kind.yaml", "aws.yaml"]
        .iter()
        .map(|f| dir.path().join(f).display().to_string())
        .collect();
    let (oldest, newest) = kube::SUPPORTED_VERSIONS;
    for version in [oldest, newest] {
        let (ok, out) = run(Command::new("kubernetes-validate")
            .args(["--strict", "-k", version])
            .args(&files));
        assert!(ok, "kubernetes-validate {version}:\n{out}");
    }
    let (_, out) = run(Command::new("checkov").args([
        "--framework",
        "kubernetes",
        "--skip-download",
        "--compact",
        "-o",
        "json",
        "-d",
        dir.path().to_str().unwrap(),
    ]));
    let report: Value = serde_json::from_str(&out[..out.rfind('}').map_or(0, |i| i + 1)])
        .unwrap_or_else(|e| panic!("checkov output is not JSON ({e}):\n{out}"));
    let failed = report["results"]["failed_checks"].as_array().unwrap();
    let list: Vec<String> = failed
        .iter()
        .map(|f| format!("{} {} {}", f["check_id"], f["resource"], f["file_path"]))
        .collect();
    assert!(failed.is_empty(), "checkov failures:\n{}", list.join("\n"));
}

#[test]
fn terraform_validates_passes_checkov_and_roles_name_only_their_stores() {
    let m = model("aws");
    let set = terraform::render(&m);
    let main = String::from_utf8_lossy(set.get("terraform/envs/aws/main.tf").unwrap()).into_owned();
    for module in [
        "store_legacy_db",
        "store_uploads",
        "store_jobs",
        "store_events",
        "store_search",
        "store_mail",
        "role_api",
        "role_worker",
    ] {
        assert!(
            main.contains(&format!("module \"{module}\"")),
            "{module}:\n{main}"
        );
    }
    // worker uses jobs and uploads: its role names those two modules and no other store.
    let worker = main.split("module \"role_worker\"").nth(1).unwrap();
    let worker = worker.split("\nmodule ").next().unwrap();
    assert!(
        worker.contains("module.store_jobs.arn") && worker.contains("module.store_uploads.arn")
    );
    for other in [
        "store_events",
        "store_search",
        "store_legacy_db",
        "store_mail",
    ] {
        assert!(
            !worker.contains(other),
            "role_worker names {other}:\n{worker}"
        );
    }
    assert!(
        main.contains("read_replicas"),
        "postgres replicas: 2 → a read replica"
    );
    // redis replicas: 3 → a replication group of three nodes (automatic failover in the module).
    let redis = main.split("module \"store_redis\"").nth(1).unwrap();
    let redis = redis.split("\nmodule ").next().unwrap();
    assert!(
        redis.contains("members ") && redis.contains("= 3"),
        "{redis}"
    );
    berth_testkit::require!(berth_testkit::TERRAFORM, berth_testkit::CHECKOV);
    let tmp = tempfile::tempdir().unwrap();
    write(&set, tmp.path());
    let (ok, out) = run(Command::new("terraform")
        .args(["fmt", "-check", "-recursive", "-diff"])
        .arg(tmp.path()));
    assert!(ok, "terraform fmt -check:\n{out}");
    let dir = tmp.path().join("terraform/envs/aws");
    let cache = std::env::var("TF_PLUGIN_CACHE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("berth-tf-plugin-cache"));
    std::fs::create_dir_all(&cache).unwrap();
    let (ok, out) = run(Command::new("terraform")
        .current_dir(&dir)
        .env("TF_PLUGIN_CACHE_DIR", &cache)
        .args(["init", "-backend=false", "-input=false", "-no-color"]));
    assert!(ok, "terraform init:\n{out}");
    let (ok, out) = run(Command::new("terraform")
        .current_dir(&dir)
        .args(["validate", "-no-color"]));
    assert!(ok && !out.contains("Warning"), "terraform validate:\n{out}");
    let (ok, out) = run(Command::new("checkov")
        .args([
            "--framework",
            "terraform",
            "--skip-download",
            "--compact",
            "--quiet",
            "-d",
        ])
        .arg(tmp.path()));
    assert!(
        ok && !out.contains("FAILED for resource"),
        "checkov:\n{out}"
    );
}

#[test]
fn subscribers_must_be_queues_of_an_sns_store() {
    let text = "name: s\nstores:\n  q: { type: redis, version: \"7\" }\n  t: { type: sns, subscribers: [q, nope] }\n  r: { type: sqs, subscribers: [q] }\nenvironments:\n  local: { platform: compose }\n";
    let loaded = berth_spec::validate(&Source::new("berth.yaml", text));
    let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "B2101").count(),
        2,
        "{codes:?}"
    );
    assert!(codes.contains(&"B2100"), "{codes:?}");
}

/// The hydrated object of `kind` named `name` (as JSON).
fn object(hydrated: &str, kind: &str, name: &str) -> Value {
    let docs: Vec<Value> = hydrated
        .split("\n---\n")
        .filter_map(|d| serde_saphyr::from_str::<Value>(d).ok())
        .collect();
    docs.into_iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The environment of a container as name → value (or `secret/key`).
fn container_env(c: &Value) -> std::collections::BTreeMap<String, String> {
    c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let v = match e["valueFrom"]["secretKeyRef"].as_object() {
                Some(r) => format!(
                    "{}/{}",
                    r["name"].as_str().unwrap(),
                    r["key"].as_str().unwrap()
                ),
                None => e["value"].as_str().unwrap().to_string(),
            };
            (e["name"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

#[test]
fn backups_go_to_the_stacks_bucket_in_the_cluster() {
    let hydrated = kube::hydrated(&model("kind"));
    let cron = object(&hydrated, "CronJob", "postgres-backup");
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    // The dump in PostgreSQL's image into an emptyDir, then MinIO's client uploads it.
    let dump = &pod["initContainers"][0];
    assert_eq!(dump["name"], "dump");
    assert!(dump["image"].as_str().unwrap().starts_with("postgres:"));
    let script = dump["command"][2].as_str().unwrap();
    assert!(script.contains("pg_dump") && !script.contains("find /backups"));
    let upload = &pod["containers"][0];
    assert_eq!(upload["name"], "upload");
    assert!(upload["image"].as_str().unwrap().contains("minio"));
    let script = upload["command"][2].as_str().unwrap();
    assert!(script.contains("mc alias set local"), "{script}");
    assert!(
        script.contains("local/\"$$S3_BUCKET\"/backups/postgres/$$(basename"),
        "{script}"
    );
    // Retention: objects whose ID (their UTC time) is older than 5 days are removed.
    assert!(
        script.contains("- 5 * 86400") && script.contains("mc rm"),
        "{script}"
    );
    let env = container_env(upload);
    assert_eq!(env["S3_BUCKET"], "uploads");
    assert_eq!(env["AWS_ENDPOINT_URL"], "http://uploads:9000");
    assert_eq!(
        env["AWS_SECRET_ACCESS_KEY"],
        "market-secrets/uploads-password"
    );
    assert_eq!(
        pod["volumes"][0]["emptyDir"]["sizeLimit"], "1Gi",
        "the volume between the two is an emptyDir"
    );
    assert!(!hydrated.contains("name: postgres-backups\n"), "no claim");
    for c in [dump, upload] {
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(c["securityContext"]["runAsNonRoot"], true);
    }
    // The backup pods reach the bucket, and the bucket admits them.
    let policy = object(&hydrated, "NetworkPolicy", "postgres-backup");
    let egress = policy["spec"]["egress"].to_string();
    assert!(
        egress.contains("\"uploads\"") && egress.contains("9000"),
        "{egress}"
    );
    let uploads = object(&hydrated, "NetworkPolicy", "uploads");
    let ingress = uploads["spec"]["ingress"].to_string();
    assert!(
        ingress.contains("postgres-backup") && ingress.contains("redis-backup"),
        "{ingress}"
    );
    // The restore Job downloads the newest backup first, then restores it.
    let m = model("kind");
    let job = kube::backups::restore_job(&m, m.store("postgres").unwrap(), None, "r1").unwrap();
    let job: Value = serde_saphyr::from_str(&job).unwrap();
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["initContainers"][0]["name"], "fetch");
    let fetch = pod["initContainers"][0]["command"][2].as_str().unwrap();
    assert!(
        fetch.contains("sort | tail -n 1") && fetch.contains("mc cp -q local/"),
        "{fetch}"
    );
    let restore = pod["containers"][0]["command"][2].as_str().unwrap();
    assert!(restore.contains("pg_restore"), "{restore}");
}

#[test]
fn a_managed_bucket_keeps_backups_by_lifecycle_and_a_role_per_backup() {
    let hydrated = kube::hydrated(&model("aws"));
    let cron = object(&hydrated, "CronJob", "postgres-backup");
    let upload = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(upload["image"], kube::backups::AWS_CLI_IMAGE);
    let script = upload["command"][2].as_str().unwrap();
    assert!(
        script.contains("aws s3 cp") && !script.contains("s3 rm"),
        "{script}"
    );
    let env = container_env(upload);
    assert!(
        !env.contains_key("AWS_ACCESS_KEY_ID"),
        "no keys on AWS: {env:?}"
    );
    assert_eq!(env["S3_BUCKET"], "uploads-connection/bucket", "{env:?}");
    assert_eq!(
        env["AWS_ENDPOINT_URL"], "uploads-connection/endpoint",
        "{env:?}"
    );
    // The bucket's connection secret reaches the cluster through External Secrets.
    let es = object(&hydrated, "ExternalSecret", "uploads-connection");
    assert!(
        es["spec"]["data"].to_string().contains("\"bucket\""),
        "{es}"
    );
    let main = terraform::render(&model("aws"));
    let main =
        String::from_utf8_lossy(main.get("terraform/envs/aws/main.tf").unwrap()).into_owned();
    let role = main
        .split("module \"role_postgres_backup\"")
        .nth(1)
        .unwrap();
    let role = role.split("\nmodule ").next().unwrap();
    assert!(
        role.contains("service_account = \"postgres-backup\""),
        "{role}"
    );
    assert!(
        role.contains("${module.store_uploads.arn}/backups/postgres/*"),
        "{role}"
    );
    let bucket = main.split("module \"store_uploads\"").nth(1).unwrap();
    let bucket = bucket.split("\nmodule ").next().unwrap();
    assert!(bucket.contains("\"backups/postgres/\" = 5"), "{bucket}");
}

/// An smtp store on the local stand-in `berth-local/mailpit:1`: the image's last component
/// selects Mailpit's row in the cluster too (its variables, data directory and readiness
/// check), the pod's user is the one the stand-in's Dockerfile runs as, and the objects
/// validate.
#[test]
fn the_mailpit_stand_in_runs_as_mailpit_in_the_cluster_and_validates() {
    let text = "name: mailbox\nservices:\n  api:\n    image: berth-local/base:bookworm\n    ports: { http: 8080 }\n    uses: [mail]\nstores:\n  mail: { type: smtp, image: \"berth-local/mailpit:1\" }\nenvironments:\n  kind: { platform: kubernetes, cluster: kind }\n";
    let spec = berth_spec::validate_strict(&Source::new("berth.yaml", text))
        .unwrap_or_else(|e| panic!("{e}"));
    let hydrated = kube::hydrated(&berth_spec::resolve(&spec, "kind").unwrap());
    let set = object(&hydrated, "StatefulSet", "mail");
    let pod = &set["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "berth-local/mailpit:1");
    let env = container_env(c);
    assert_eq!(env["MP_SMTP_AUTH_ACCEPT_ANY"], "1", "{env:?}");
    assert_eq!(env["MP_SMTP_AUTH_ALLOW_INSECURE"], "1", "{env:?}");
    assert_eq!(env["MP_DATABASE"], "/data/mailpit.db", "{env:?}");
    let ready = c["readinessProbe"]["exec"]["command"].to_string();
    assert!(ready.contains("/mailpit readyz"), "{ready}");
    assert!(c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["mountPath"] == "/data"));
    let ports: Vec<&Value> = c["ports"].as_array().unwrap().iter().collect();
    assert_eq!(ports[0]["containerPort"], 1025);
    assert_eq!(ports[1]["containerPort"], 8025);
    let dockerfile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../images/mailpit/Dockerfile");
    let dockerfile = std::fs::read_to_string(dockerfile).unwrap();
    let user = pod["securityContext"]["runAsUser"].as_u64().unwrap();
    assert!(
        dockerfile.contains(&format!("\nUSER {user}:{user}\n")),
        "the stand-in does not run as the pod's user {user}"
    );
    berth_testkit::require!(berth_testkit::KUBERNETES_VALIDATE);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("kind.yaml");
    std::fs::write(&file, &hydrated).unwrap();
    let (oldest, newest) = kube::SUPPORTED_VERSIONS;
    for version in [oldest, newest] {
        let (ok, out) = run(Command::new("kubernetes-validate")
            .args(["--strict", "-k", version])
            .arg(&file));
        assert!(ok, "kubernetes-validate {version}:\n{out}");
    }
}
