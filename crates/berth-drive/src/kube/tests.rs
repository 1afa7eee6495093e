//! The Kubernetes driver against a scripted runner: kubectl, kind/minikube/k3d, docker and git
//! answer from their documented output formats; a fake clock makes Job polling instant.

use super::*;
use crate::process::{Cmd, Output, Runner};
use crate::secrets::HostSources;
use std::sync::Mutex;
use std::time::Instant;

const SPEC: &str = r#"
name: shop
services:
  migrate: { kind: job, image: x/m:1, uses: [db], before: [api] }
  api: { build: { context: ./api }, uses: [db], ports: { http: 3000 } }
stores:
  db: { type: postgres, version: "16" }
environments:
  local: { platform: compose }
  dev: { platform: kubernetes, cluster: kind }
  mk: { platform: kubernetes, cluster: minikube }
  k3: { platform: kubernetes, cluster: k3d }
  prod: { platform: kubernetes, cluster: eks, cloud: aws, region: us-east-1 }
"#;

fn model(env: &str) -> Model {
    let spec = berth_spec::validate_strict(&berth_spec::Source::new("berth.yaml", SPEC))
        .unwrap_or_else(|e| panic!("{e}"));
    berth_spec::resolve(&spec, env).unwrap()
}

/// A cluster as kubectl and the other CLIs report it.
struct Fake {
    calls: Mutex<Vec<(Vec<String>, Option<String>)>>,
    contexts: &'static str,
    server: &'static str,
    reachable: bool,
    missing: Vec<&'static str>,
    build_fails: bool,
    job_failed: bool,
    rollout_fails: bool,
    dirty: bool,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            calls: Mutex::new(Vec::new()),
            contexts:
                "minikube\nkind-shop\nk3d-shop\narn:aws:eks:us-east-1:123456789012:cluster/shop\n",
            server: "https://127.0.0.1:41234",
            reachable: true,
            missing: Vec::new(),
            build_fails: false,
            job_failed: false,
            rollout_fails: false,
            dirty: false,
        }
    }
}

fn ok(stdout: &str) -> Output {
    Output {
        code: Some(0),
        stdout: stdout.into(),
        stderr: String::new(),
    }
}

fn fail(code: i32, stderr: &str) -> Output {
    Output {
        code: Some(code),
        stdout: String::new(),
        stderr: stderr.into(),
    }
}

impl Fake {
    /// Every call but the tool checks and git, as command lines.
    fn lines(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(a, _)| a.get(1).map(String::as_str) != Some("version") && a[0] != "git")
            .map(|(a, _)| a.join(" "))
            .collect()
    }

    fn kubectl(&self, a: &[String]) -> Output {
        let words: Vec<&str> = a.iter().map(String::as_str).collect();
        let has = |w: &str| words.contains(&w);
        if has("get-contexts") {
            return ok(self.contexts);
        }
        if has("view") {
            return ok(&format!(
                r#"{{"kind":"Config","clusters":[{{"name":"c","cluster":{{"server":"{}"}}}}]}}"#,
                self.server
            ));
        }
        if has("/readyz") {
            return if self.reachable {
                ok("ok")
            } else {
                fail(1, "Unable to connect to the server: dial tcp 127.0.0.1:41234: connect: connection refused")
            };
        }
        if has("rollout") && has("status") && self.rollout_fails && has("deployment/api") {
            return fail(1, "error: timed out waiting for the condition");
        }
        if has("get") && has("job") {
            let cond = if self.job_failed {
                r#"{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit"}"#
            } else {
                r#"{"type":"Complete","status":"True"}"#
            };
            return ok(&format!(
                r#"{{"apiVersion":"batch/v1","kind":"Job","status":{{"conditions":[{cond}]}}}}"#
            ));
        }
        if has("logs") {
            return ok("applying migration 0003\nERROR: relation \"users\" already exists\n");
        }
        if has("pods") {
            return ok(PODS);
        }
        ok("")
    }
}

const PODS: &str = r#"{"apiVersion":"v1","kind":"List","items":[
 {"metadata":{"name":"api-7d4b9c-abcde","labels":{"app.kubernetes.io/name":"api","app.kubernetes.io/part-of":"shop"}},
  "spec":{"containers":[{"name":"api","image":"shop/api:abc"}]},
  "status":{"phase":"Running","containerStatuses":[{"name":"api","ready":true,"restartCount":2}]}},
 {"metadata":{"name":"api-7d4b9c-fghij","labels":{"app.kubernetes.io/name":"api","app.kubernetes.io/part-of":"shop"}},
  "spec":{"containers":[{"name":"api","image":"shop/api:abc"}]},
  "status":{"phase":"Running","containerStatuses":[{"name":"api","ready":false,"restartCount":1}]}},
 {"metadata":{"name":"db-0","labels":{"app.kubernetes.io/name":"db","app.kubernetes.io/part-of":"shop"}},
  "spec":{"containers":[{"name":"postgres","image":"postgres:16"}]},
  "status":{"phase":"Running","containerStatuses":[{"name":"postgres","ready":true,"restartCount":0}]}}]}"#;

impl Runner for Fake {
    fn output(&self, cmd: &Cmd) -> std::io::Result<Output> {
        let mut argv = vec![cmd.program.clone()];
        argv.extend(cmd.args.iter().cloned());
        self.calls
            .lock()
            .unwrap()
            .push((argv.clone(), cmd.stdin.clone()));
        if self.missing.contains(&cmd.program.as_str()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file",
            ));
        }
        Ok(match cmd.program.as_str() {
            "git" => match argv[1].as_str() {
                "rev-parse" => ok("0123456789ab\n"),
                "status" if self.dirty => ok(" M api/main.go\n"),
                "diff" => ok("+changed\n"),
                _ => ok(""),
            },
            "docker" if argv[1] == "build" && self.build_fails => fail(
                1,
                "#8 ERROR: process \"/bin/sh -c go build\" did not complete successfully: exit code: 1\nERROR: failed to solve: exit code: 1",
            ),
            "kubectl" => self.kubectl(&argv),
            _ => ok(""),
        })
    }

    fn interactive(&self, cmd: &Cmd) -> std::io::Result<Option<i32>> {
        self.output(cmd).map(|o| o.code)
    }
}

struct FakeClock {
    base: Instant,
    offset: Mutex<Duration>,
}

impl Clock for FakeClock {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::UNIX_EPOCH
    }
    fn instant(&self) -> Instant {
        self.base + *self.offset.lock().unwrap()
    }
    fn sleep(&self, d: Duration) {
        *self.offset.lock().unwrap() += d;
    }
}

struct Events(Mutex<Vec<String>>);
impl Observer for Events {
    fn step(&self, msg: &str) {
        self.0.lock().unwrap().push(msg.to_string());
    }
    fn update(&self, name: &str, phase: &Phase, _: Duration) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{name}={}", phase.label()));
    }
}

/// `up` of `env` against `fake`: the result, the observer's events, the workspace.
fn up(
    fake: &Fake,
    env: &str,
    ctx: Option<&str>,
) -> (
    Result<KubeUpReport, DriveError>,
    Vec<String>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock {
        base: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    };
    let m = model(env);
    let opts = KubeOptions {
        context: ctx.map(String::from),
    };
    let d = KubeDriver::new(
        &m,
        Workspace::new(dir.path()),
        fake,
        &clock,
        &HostSources,
        opts,
    )
    .unwrap();
    let events = Events(Mutex::new(Vec::new()));
    let result = d.lock().and_then(|lock| {
        let steps = d.steps(Duration::from_secs(60))?;
        d.up(&lock, &steps, &events)
    });
    (result, events.0.into_inner().unwrap(), dir)
}

fn position(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` in {lines:#?}"))
}

#[test]
fn up_builds_loads_creates_the_secret_applies_in_phases_waits_and_prunes() {
    let fake = Fake::default();
    let (r, events, dir) = up(&fake, "dev", None);
    let r = r.unwrap();
    assert_eq!(r.context, "kind-shop");
    assert_eq!(r.tag, "0123456789ab");
    assert_eq!(r.images, ["shop/api:0123456789ab"]);
    let lines = fake.lines();
    let order = [
        "docker build -t shop/api:0123456789ab ./api",
        "kind load docker-image shop/api:0123456789ab --name shop",
        "apply --server-side --field-manager berth -f kube/dev/01-namespace.yaml",
        "apply --server-side --field-manager berth -f -",
        "-f kube/dev/03-stores.yaml",
        "rollout status statefulset/db",
        "-f kube/dev/04-jobs.yaml",
        "get job migrate -o json",
        "-f kube/dev/05-services.yaml",
        "rollout status deployment/api",
        "--prune --applyset=shop-berth -n shop -f kube/dev/all.yaml",
    ];
    let at: Vec<usize> = order.iter().map(|n| position(&lines, n)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{lines:#?}");
    // Every kubectl call names the context; every apply is server-side with manager berth.
    for l in lines
        .iter()
        .filter(|l| l.starts_with("kubectl") && !l.contains("get-contexts"))
    {
        assert!(l.starts_with("kubectl --context kind-shop "), "{l}");
    }
    // The Secret went on stdin, with values, and no value is on any command line or file.
    let calls = fake.calls.lock().unwrap();
    let stdin = calls
        .iter()
        .find_map(|(_, s)| s.clone())
        .expect("the secret on stdin");
    let secret: serde_json::Value = serde_json::from_str(&stdin).unwrap();
    assert_eq!(secret["metadata"]["name"], "shop-secrets");
    let pw = secret["stringData"]["db-password"].as_str().unwrap();
    assert_eq!(pw.len(), 32);
    assert!(!lines.iter().any(|l| l.contains(pw)));
    for f in walk(&dir.path().join(".berth/kube")) {
        assert!(!std::fs::read_to_string(&f).unwrap().contains(pw), "{f:?}");
    }
    assert!(
        events.contains(&"job/migrate=completed".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&"deployment/api=running".to_string()),
        "{events:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn each_local_cluster_loads_with_its_own_cli_and_eks_pushes() {
    for (env, ctx, load) in [
        ("mk", None, "minikube image load shop/api:0123456789ab"),
        ("k3", None, "k3d image import shop/api:0123456789ab -c shop"),
        (
            "prod",
            Some("arn:aws:eks:us-east-1:123456789012:cluster/shop"),
            "docker push shop/api:0123456789ab",
        ),
    ] {
        let fake = Fake {
            server: if env == "prod" {
                "https://ABC.gr7.us-east-1.eks.amazonaws.com"
            } else {
                "https://192.168.49.2:8443"
            },
            ..Fake::default()
        };
        let (r, _, _) = up(&fake, env, ctx);
        // prod reads its secrets from AWS; the scripted cluster answers everything else.
        if let Err(e) = &r {
            panic!("{env}: {e}");
        }
        position(&fake.lines(), load);
    }
}

#[test]
fn dirty_tree_tags_with_a_content_hash() {
    let fake = Fake {
        dirty: true,
        ..Fake::default()
    };
    let (r, _, _) = up(&fake, "dev", None);
    let tag = r.unwrap().tag;
    assert!(tag.starts_with("0123456789ab-dirty-"), "{tag}");
    assert_eq!(tag.len(), "0123456789ab-dirty-".len() + 12);
}

fn err_of(fake: &Fake, env: &str, ctx: Option<&str>) -> String {
    let (r, _, _) = up(fake, env, ctx);
    r.unwrap_err().to_string()
}

/// Nothing is built or applied before the checks pass.
fn nothing_acted(fake: &Fake) {
    let lines = fake.lines();
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("apply") || l.contains("build") || l.contains("load")),
        "{lines:#?}"
    );
}

#[test]
fn wrong_context_is_refused_before_anything_runs() {
    let fake = Fake::default();
    let e = err_of(
        &fake,
        "dev",
        Some("arn:aws:eks:us-east-1:123456789012:cluster/shop"),
    );
    assert!(e.contains("refusing to act") && e.contains("EKS"), "{e}");
    nothing_acted(&fake);
    let fake = Fake {
        server: "https://ABC.gr7.us-east-1.eks.amazonaws.com",
        ..Fake::default()
    };
    let e = err_of(&fake, "dev", None);
    assert!(e.contains("not a local cluster"), "{e}");
    nothing_acted(&fake);
    let fake = Fake {
        contexts: "minikube\n",
        ..Fake::default()
    };
    let e = err_of(&fake, "dev", None);
    assert!(
        e.contains("`kind-shop` does not exist") && e.contains("berth cluster create dev"),
        "{e}"
    );
    nothing_acted(&fake);
}

#[test]
fn missing_cli_and_unreachable_cluster_are_one_clear_message() {
    let fake = Fake {
        missing: vec!["kind"],
        ..Fake::default()
    };
    let e = err_of(&fake, "dev", None);
    assert!(e.contains("`kind` is not installed"), "{e}");
    nothing_acted(&fake);
    let fake = Fake {
        reachable: false,
        ..Fake::default()
    };
    let e = err_of(&fake, "dev", None);
    assert!(
        e.contains("not reachable") && e.contains("connection refused"),
        "{e}"
    );
    nothing_acted(&fake);
}

#[test]
fn image_build_failure_stops_before_any_apply() {
    let fake = Fake {
        build_fails: true,
        ..Fake::default()
    };
    let e = err_of(&fake, "dev", None);
    assert!(
        e.contains("docker build") && e.contains("failed to solve"),
        "{e}"
    );
    assert!(!fake.lines().iter().any(|l| l.contains("apply")));
}

#[test]
fn failing_job_shows_its_logs_and_stops_before_services() {
    let fake = Fake {
        job_failed: true,
        ..Fake::default()
    };
    let e = err_of(&fake, "dev", None);
    assert!(e.contains("job migrate failed"), "{e}");
    assert!(e.contains("backoff limit"), "{e}");
    assert!(e.contains("relation \"users\" already exists"), "{e}");
    assert!(!fake.lines().iter().any(|l| l.contains("05-services")));
}

#[test]
fn rollout_timeout_names_the_deployment_with_its_logs() {
    let fake = Fake {
        rollout_fails: true,
        ..Fake::default()
    };
    let e = err_of(&fake, "dev", None);
    assert!(e.contains("rollout of deployment/api failed"), "{e}");
    assert!(e.contains("timed out waiting for the condition"), "{e}");
    assert!(position(&fake.lines(), "logs deployment/api") > 0);
    assert!(!fake.lines().iter().any(|l| l.contains("--prune")));
}

#[test]
fn dry_run_steps_call_nothing_but_git() {
    let fake = Fake::default();
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock {
        base: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    };
    let m = model("dev");
    let d = KubeDriver::new(
        &m,
        Workspace::new(dir.path()),
        &fake,
        &clock,
        &HostSources,
        KubeOptions::default(),
    )
    .unwrap();
    let steps = d.steps(Duration::from_secs(30)).unwrap();
    assert!(fake.lines().is_empty(), "{:?}", fake.lines());
    assert!(matches!(steps[0], Step::Build { .. }));
    assert!(matches!(steps.last(), Some(Step::Prune { .. })));
    assert!(!dir.path().join(".berth").exists());
}

#[test]
fn down_deletes_in_reverse_and_keeps_the_namespace_without_volumes() {
    let fake = Fake::default();
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock {
        base: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    };
    let m = model("dev");
    let d = KubeDriver::new(
        &m,
        Workspace::new(dir.path()),
        &fake,
        &clock,
        &HostSources,
        KubeOptions::default(),
    )
    .unwrap();
    let deleted = d.down(false).unwrap();
    assert!(!deleted.iter().any(|o| o.starts_with("namespace/")));
    let api = deleted.iter().position(|o| o == "deployment/api").unwrap();
    let db = deleted.iter().position(|o| o == "statefulset/db").unwrap();
    assert!(api < db, "{deleted:?}");
    assert!(deleted.contains(&"secret/shop-secrets".to_string()));
    let deleted = d.down(true).unwrap();
    assert_eq!(deleted.last().unwrap(), "namespace/shop");
}

#[test]
fn status_counts_ready_pods_restarts_and_images() {
    let fake = Fake::default();
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock {
        base: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    };
    let m = model("dev");
    let d = KubeDriver::new(
        &m,
        Workspace::new(dir.path()),
        &fake,
        &clock,
        &HostSources,
        KubeOptions::default(),
    )
    .unwrap();
    let s = d.status().unwrap();
    let api = s.iter().find(|w| w.name == "api").unwrap();
    assert_eq!((api.ready, api.total, api.restarts), (1, 2, 3));
    assert_eq!(api.images, ["shop/api:abc"]);
    let migrate = s.iter().find(|w| w.name == "migrate").unwrap();
    assert_eq!(migrate.total, 0);
    assert!(!dir.path().join(".berth").exists(), "status wrote state");
}
