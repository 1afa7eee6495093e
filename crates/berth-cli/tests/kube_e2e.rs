//! `berth up`, `status`, `down` and `rollback` of a Kubernetes environment end to end, for minikube, kind
//! and k3d, with stub `kubectl`, `docker`, `git` and cluster CLIs on PATH (berth-testkit's
//! `stubs`) that record argv and stdin and answer from the tools' documented output formats.
//! PATH holds only the stubs, so a tool without a stub is "not installed". Also the failure
//! paths a new user meets: context missing, cluster CLI missing, cluster not running, a failing
//! Job, a rollout that never becomes ready.

mod common;

use berth_testkit::stubs::{PathStubs, Reply};
use common::{Berth, Run};
use std::path::Path;

const SPEC: &str = r#"
name: shop
services:
  migrate: { kind: job, image: x/m:1, uses: [db], before: [api] }
  api: { build: { context: ./api }, uses: [db], ports: { http: 3000 } }
stores:
  db: { type: postgres, version: "16" }
environments:
  local: { platform: compose }
  mk: { platform: kubernetes, cluster: minikube }
  kd: { platform: kubernetes, cluster: kind }
  k3: { platform: kubernetes, cluster: k3d }
"#;

const COMMIT: &str = "0123456789ab";
const CONTEXTS: &str = "minikube\nkind-shop\nk3d-shop\n";
const CONFIG: &str = r#"{"kind":"Config","apiVersion":"v1","clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:41234"}}],"contexts":[{"name":"c","context":{"cluster":"c","user":"c"}}],"current-context":"c"}"#;
const JOB_COMPLETE: &str = r#"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate"},"status":{"conditions":[{"type":"Complete","status":"True"}],"succeeded":1}}"#;
const JOB_FAILED: &str = r#"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"migrate"},"status":{"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit"}],"failed":7}}"#;
const PODS: &str = r#"{"apiVersion":"v1","kind":"List","items":[
 {"metadata":{"name":"api-7d4b9c-abcde","labels":{"app.kubernetes.io/name":"api","app.kubernetes.io/part-of":"shop"}},
  "spec":{"containers":[{"name":"api","image":"shop/api:0123456789ab"}]},
  "status":{"phase":"Running","containerStatuses":[{"name":"api","ready":true,"restartCount":2}]}},
 {"metadata":{"name":"db-0","labels":{"app.kubernetes.io/name":"db","app.kubernetes.io/part-of":"shop"}},
  "spec":{"containers":[{"name":"postgres","image":"postgres:16"}]},
  "status":{"phase":"Running","containerStatuses":[{"name":"postgres","ready":true,"restartCount":0}]}}]}"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("berth.yaml"), SPEC).unwrap();
    std::fs::create_dir(dir.path().join("api")).unwrap();
    std::fs::write(dir.path().join("api/Dockerfile"), "FROM scratch\n").unwrap();
    dir
}

fn berth(dir: &Path, stubs: &PathStubs, args: &[&str]) -> Run {
    Berth::new()
        .dir(dir)
        .env("PATH", &stubs.path())
        .args(args)
        .run()
}

/// A healthy cluster: every tool installed and answering, the context `ctx`.
fn healthy(stubs: &PathStubs, ctx: &str) {
    stubs
        .program("git")
        .on(&["rev-parse"], Reply::stdout(format!("{COMMIT}\n")))
        .on(&["status"], Reply::ok());
    stubs.program("docker");
    stubs.program("minikube");
    stubs.program("kind");
    stubs.program("k3d");
    kubectl(
        stubs,
        ctx,
        JOB_COMPLETE,
        Reply::stdout("deployment \"api\" successfully rolled out\n"),
    );
}

/// kubectl answering per the documented formats; `job` is what `get job -o json` prints and
/// `api_rollout` what `rollout status deployment/api` does.
fn kubectl(stubs: &PathStubs, ctx: &str, job: &str, api_rollout: Reply) {
    let c = |rest: &[&'static str]| -> Vec<&str> {
        let mut v = vec!["--context", ctx, "-n", "shop"];
        v.extend_from_slice(rest);
        v
    };
    stubs
        .program("kubectl")
        .on(&["version"], Reply::stdout("Client Version: v1.31.0\n"))
        .on(&["config", "get-contexts"], Reply::stdout(CONTEXTS))
        .on(&["--context", ctx, "config", "view"], Reply::stdout(CONFIG))
        .on(
            &["--context", ctx, "get", "--raw", "/readyz"],
            Reply::stdout("ok"),
        )
        .on(&c(&["get", "job"]), Reply::stdout(job))
        .on(&c(&["rollout", "status", "deployment/api"]), api_rollout)
        .on(
            &c(&["logs"]),
            Reply::stdout("applying migration 0003\nERROR: relation \"users\" already exists\n"),
        )
        .on(&c(&["get", "pods"]), Reply::stdout(PODS))
        .on(&["--context"], Reply::ok());
}

/// The secret values Berth generated for the project.
fn secret_values(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(".berth/secrets.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    collect(&v, &mut out);
    assert!(!out.is_empty(), "{text}");
    out
}

fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.len() >= 12 => out.push(s.clone()),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect(x, out)),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        _ => {}
    }
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn up_status_down(env: &str, ctx: &str, tool: &str, load: &str) {
    let dir = project();
    let stubs = PathStubs::new();
    healthy(&stubs, ctx);
    let up = berth(dir.path(), &stubs, &["up", env]).ok();
    assert!(
        up.stderr.contains(&format!("is up on {ctx}")),
        "{}",
        up.stderr
    );
    let status = berth(dir.path(), &stubs, &["status", env]).ok();
    assert!(
        status
            .stdout
            .contains("api      1/1           2  shop/api:0123456789ab"),
        "{}",
        status.stdout
    );
    let down = berth(dir.path(), &stubs, &["down", env]).ok();
    assert!(down.stderr.contains("is down"), "{}", down.stderr);
    let k = format!("kubectl --context {ctx}");
    let apply = format!("{k} apply --server-side --field-manager berth -f");
    let check = [
        "git rev-parse --short=12 HEAD".to_string(),
        "git status --porcelain".into(),
        "kubectl config get-contexts -o name".into(),
        format!("{k} config view --minify -o json"),
        format!("{k} get --raw /readyz"),
    ];
    let mut expected: Vec<String> = check[..2].to_vec();
    expected.extend([
        "kubectl version --client".to_string(),
        "docker version".into(),
        tool.into(),
    ]);
    expected.extend_from_slice(&check[2..]);
    expected.extend([
        "docker build -t shop/api:0123456789ab ./api".to_string(),
        load.into(),
        format!("{apply} kube/{env}/01-namespace.yaml"),
        format!("{apply} -"),
        format!("{apply} kube/{env}/02-config.yaml"),
        format!("{apply} kube/{env}/03-stores.yaml"),
        format!("{k} -n shop rollout status statefulset/db --timeout=299s"),
        format!("{apply} kube/{env}/04-jobs.yaml"),
        format!("{k} -n shop get job migrate -o json"),
        format!("{apply} kube/{env}/05-services.yaml"),
        format!("{k} -n shop rollout status deployment/api --timeout=299s"),
        format!("{k} apply --server-side --field-manager berth --prune --applyset=shop-berth -n shop -f kube/{env}/all.yaml"),
        // The revision: older ones listed (to keep the last 10), this one applied from stdin.
        format!("{k} -n shop get configmap -l app.kubernetes.io/managed-by=berth,berth.dev/revision-of=shop -o json"),
        format!("{k} -n shop apply --server-side --field-manager berth -f -"),
    ]);
    expected.extend_from_slice(&check);
    expected.push(format!(
        "{k} -n shop get pods -l app.kubernetes.io/part-of=shop -o json"
    ));
    expected.extend_from_slice(&check);
    expected.push(format!("{k} -n shop delete --ignore-not-found --wait=true deployment/api service/api job/migrate poddisruptionbudget/db statefulset/db service/db-headless service/db configmap/api-config configmap/migrate-config networkpolicy/api networkpolicy/migrate networkpolicy/db networkpolicy/default-deny rolebinding/api-wait-jobs role/api-wait-jobs serviceaccount/api serviceaccount/migrate serviceaccount/db secret/shop-secrets secret/shop-berth"));
    assert_eq!(stubs.lines(), expected);
    // The Secret reached kubectl on stdin, and only there.
    let calls = stubs.calls();
    let secret = calls
        .iter()
        .find(|c| c.args.last().map(String::as_str) == Some("-"))
        .unwrap();
    assert!(secret.stdin.contains("shop-secrets"), "{}", secret.stdin);
    let values = secret_values(dir.path());
    let mut all = Vec::new();
    files(dir.path(), &mut all);
    for v in &values {
        assert!(secret.stdin.contains(v.as_str()));
        for c in &calls {
            assert!(
                !c.args.iter().any(|a| a.contains(v.as_str())),
                "{}",
                c.line()
            );
            // Only the Secret carries values: not the revision ConfigMap, nothing else.
            let is_secret = c.stdin.contains("kind: Secret") || c.stdin.contains("\"Secret\"");
            assert!(is_secret || !c.stdin.contains(v.as_str()), "{}", c.line());
        }
        for f in all.iter().filter(|f| !f.ends_with(".berth/secrets.json")) {
            let text = std::fs::read(f).unwrap();
            assert!(
                !String::from_utf8_lossy(&text).contains(v.as_str()),
                "{}",
                f.display()
            );
        }
        assert!(!up.stderr.contains(v.as_str()) && !status.stdout.contains(v.as_str()));
    }
}

#[test]
fn minikube_up_status_down_run_the_whole_command_sequence() {
    up_status_down(
        "mk",
        "minikube",
        "minikube version",
        "minikube image load shop/api:0123456789ab",
    );
}

#[test]
fn kind_up_status_down_run_the_whole_command_sequence() {
    up_status_down(
        "kd",
        "kind-shop",
        "kind version",
        "kind load docker-image shop/api:0123456789ab --name shop",
    );
}

#[test]
fn k3d_up_status_down_run_the_whole_command_sequence() {
    up_status_down(
        "k3",
        "k3d-shop",
        "k3d version",
        "k3d image import shop/api:0123456789ab -c shop",
    );
}

/// The applies that carried a phase file (or the Secret), as the phase file names.
fn applied(stubs: &PathStubs) -> Vec<String> {
    stubs
        .calls_of("kubectl")
        .iter()
        .filter(|c| c.args.contains(&"apply".to_string()))
        .map(|c| c.args.last().unwrap().clone())
        .collect()
}

#[test]
fn a_missing_context_names_the_known_ones_and_applies_nothing() {
    let dir = project();
    let stubs = PathStubs::new();
    healthy(&stubs, "kind-shop");
    stubs
        .program("kubectl")
        .on(&["version"], Reply::stdout("Client Version: v1.31.0\n"))
        .on(&["config", "get-contexts"], Reply::stdout("minikube\n"));
    let run = berth(dir.path(), &stubs, &["up", "kd"]).code(1);
    assert!(run.stderr.contains("kind-shop"), "{}", run.stderr);
    assert!(applied(&stubs).is_empty(), "{:?}", stubs.lines());
    assert!(stubs
        .calls_of("docker")
        .iter()
        .all(|c| c.args[0] != "build"));
}

#[test]
fn a_missing_cluster_cli_is_one_clear_message_and_nothing_runs_after_the_checks() {
    let dir = project();
    let stubs = PathStubs::new();
    healthy(&stubs, "k3d-shop");
    std::fs::remove_file(stubs.bin().join("k3d")).unwrap();
    let run = berth(dir.path(), &stubs, &["up", "k3"]).code(1);
    assert!(
        run.stderr.contains("`k3d` is not installed"),
        "{}",
        run.stderr
    );
    assert!(applied(&stubs).is_empty(), "{:?}", stubs.lines());
    assert!(stubs
        .calls_of("docker")
        .iter()
        .all(|c| c.args[0] != "build"));
}

#[test]
fn a_cluster_that_does_not_answer_is_reported_before_anything_is_built() {
    let dir = project();
    let stubs = PathStubs::new();
    healthy(&stubs, "minikube");
    stubs
        .program("kubectl")
        .on(&["version"], Reply::stdout("Client Version: v1.31.0\n"))
        .on(&["config", "get-contexts"], Reply::stdout(CONTEXTS))
        .on(&["--context", "minikube", "config", "view"], Reply::stdout(CONFIG))
        .on(
            &["--context", "minikube", "get", "--raw", "/readyz"],
            Reply::fail(1, "Unable to connect to the server: dial tcp 192.168.49.2:8443: connect: no route to host\n"),
        );
    let run = berth(dir.path(), &stubs, &["up", "mk"]).code(1);
    assert!(run.stderr.contains("no route to host"), "{}", run.stderr);
    assert!(run.stderr.contains("minikube"), "{}", run.stderr);
    assert!(applied(&stubs).is_empty(), "{:?}", stubs.lines());
    assert!(stubs
        .calls_of("docker")
        .iter()
        .all(|c| c.args[0] != "build"));
}

#[test]
fn a_failing_job_shows_its_logs_and_stops_before_the_services() {
    let dir = project();
    let stubs = PathStubs::new();
    healthy(&stubs, "kind-shop");
    kubectl(&stubs, "kind-shop", JOB_FAILED, Reply::ok());
    let run = berth(dir.path(), &stubs, &["up", "kd"]).code(1);
    assert!(run.stderr.contains("migrate"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("ERROR: relation \"users\" already exists"),
        "{}",
        run.stderr
    );
    assert_eq!(
        applied(&stubs),
        [
            "kube/kd/01-namespace.yaml",
            "-",
            "kube/kd/02-config.yaml",
            "kube/kd/03-stores.yaml",
            "kube/kd/04-jobs.yaml"
        ]
    );
    // What was applied, down removes.
    healthy(&stubs, "kind-shop");
    berth(dir.path(), &stubs, &["down", "kd"]).ok();
}

#[test]
fn a_rollout_that_never_becomes_ready_fails_after_the_services_and_skips_the_prune() {
    let dir = project();
    let stubs = PathStubs::new();
    healthy(&stubs, "k3d-shop");
    kubectl(
        &stubs,
        "k3d-shop",
        JOB_COMPLETE,
        Reply::fail(1, "error: timed out waiting for the condition\n"),
    );
    let run = berth(dir.path(), &stubs, &["up", "k3", "--timeout", "5"]).code(1);
    assert!(run.stderr.contains("deployment/api"), "{}", run.stderr);
    assert_eq!(
        applied(&stubs),
        [
            "kube/k3/01-namespace.yaml",
            "-",
            "kube/k3/02-config.yaml",
            "kube/k3/03-stores.yaml",
            "kube/k3/04-jobs.yaml",
            "kube/k3/05-services.yaml"
        ]
    );
}

/// `up` twice, then `rollback`: the second revision is rolled back to the first by re-applying
/// its phase files on stdin and waiting for its rollouts; nothing is built, no Job re-run.
fn up_up_rollback(env: &str, ctx: &str) {
    let dir = project();
    let stubs = PathStubs::new();
    healthy(&stubs, ctx);
    berth(dir.path(), &stubs, &["up", env]).ok();
    berth(dir.path(), &stubs, &["up", env]).ok();
    let before = stubs.calls().len();
    let rb = berth(dir.path(), &stubs, &["rollback", env]).ok();
    assert!(rb.stderr.contains("revision 1"), "{}", rb.stderr);
    let calls = stubs.calls();
    let rollback = &calls[before..];
    let k = format!("kubectl --context {ctx}");
    let lines: Vec<String> = rollback.iter().map(|c| c.line()).collect();
    for wait in [
        format!("{k} -n shop rollout status statefulset/db --timeout=299s"),
        format!("{k} -n shop rollout status deployment/api --timeout=299s"),
    ] {
        assert!(lines.contains(&wait), "{wait} in {lines:#?}");
    }
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("docker") || l.contains("get job")),
        "{lines:#?}"
    );
    let applied: Vec<_> = rollback
        .iter()
        .filter(|c| c.args.contains(&"apply".to_string()))
        .collect();
    assert!(applied
        .iter()
        .all(|c| c.args.last().map(String::as_str) == Some("-")));
    assert!(applied.iter().any(|c| c.stdin.contains("StatefulSet")));
    assert!(applied.iter().any(|c| c.stdin.contains("Deployment")));
    assert!(!applied.iter().any(|c| c.stdin.contains("kind: Job\n")));
    let history = berth(dir.path(), &stubs, &["history", env, "-o", "json"]).ok();
    let h: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    let revs = h["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 3, "{}", history.stdout);
    assert_eq!(revs[2]["rollback_of"], 1, "{}", history.stdout);
}

#[test]
fn rollback_reapplies_the_previous_revision_on_every_cluster_kind() {
    for (env, ctx) in [("mk", "minikube"), ("kd", "kind-shop"), ("k3", "k3d-shop")] {
        up_up_rollback(env, ctx);
    }
}
