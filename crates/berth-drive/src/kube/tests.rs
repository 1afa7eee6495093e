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
    /// How many more times `rollout status deployment/api` fails.
    rollout_failures: Mutex<u32>,
    /// What `kubectl get configmap` answers.
    configmaps: &'static str,
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
            rollout_failures: Mutex::new(0),
            configmaps: "",
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
        if has("rollout") && has("status") && has("deployment/api") {
            let mut left = self.rollout_failures.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                return fail(1, "error: timed out waiting for the condition");
            }
        }
        if has("get") && has("configmap") {
            return ok(self.configmaps);
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

// ---- revisions, rollback, --atomic ----

fn clock() -> FakeClock {
    FakeClock {
        base: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    }
}

/// A driver of `env` on `fake`, in the project directory `dir`.
fn driver<'a>(fake: &'a Fake, clock: &'a FakeClock, dir: &std::path::Path) -> KubeDriver<'a> {
    KubeDriver::new(
        &model("dev"),
        Workspace::new(dir),
        fake,
        clock,
        &HostSources,
        KubeOptions::default(),
    )
    .unwrap()
}

fn up_in(fake: &Fake, dir: &std::path::Path) -> Result<KubeUpReport, DriveError> {
    let c = clock();
    let d = driver(fake, &c, dir);
    let events = Events(Mutex::new(Vec::new()));
    let lock = d.lock()?;
    let steps = d.steps(Duration::from_secs(60))?;
    d.up(&lock, &steps, &events)
}

/// The stdin of every `kubectl ... -f -` call.
fn stdins(fake: &Fake) -> Vec<String> {
    fake.calls
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(_, s)| s.clone())
        .collect()
}

#[test]
fn a_successful_up_records_a_revision_in_berth_and_the_cluster_without_secret_values() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::default();
    let r = up_in(&fake, dir.path()).unwrap();
    assert_eq!(r.revision, 1);
    let c = clock();
    let revs = driver(&fake, &c, dir.path()).local_revisions().unwrap();
    assert_eq!(revs.len(), 1);
    let rev = &revs[0];
    assert_eq!((rev.number, rev.command.as_str()), (1, "up"));
    assert_eq!(rev.tag, "0123456789ab");
    assert!(rev.images.contains(&"shop/api:0123456789ab".to_string()));
    let services = rev.phases.iter().find(|p| p.phase == "services").unwrap();
    assert_eq!(services.rollouts, ["deployment/api"]);
    assert!(services.manifest.contains("shop/api:0123456789ab"));
    // The ConfigMap went on stdin, labelled, holding the same revision.
    let ins = stdins(&fake);
    let secret: serde_json::Value = serde_json::from_str(&ins[0]).unwrap();
    let pw = secret["stringData"]["db-password"]
        .as_str()
        .unwrap()
        .to_string();
    let cm: serde_json::Value = serde_json::from_str(ins.last().unwrap()).unwrap();
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "shop-berth-rev-1");
    assert_eq!(
        cm["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "berth"
    );
    let stored: revision::Revision =
        serde_json::from_str(cm["data"][revision::KEY].as_str().unwrap()).unwrap();
    assert_eq!(&stored, rev);
    // No secret value in the revision, in the cluster or in .berth/.
    assert!(!ins.last().unwrap().contains(&pw));
    let file = std::fs::read_to_string(dir.path().join(".berth/revisions/dev/1.json")).unwrap();
    assert!(!file.contains(&pw));
    assert!(!file.contains("shop-secrets\n  namespace") && !file.contains("stringData"));
    // A second up is revision 2.
    assert_eq!(up_in(&Fake::default(), dir.path()).unwrap().revision, 2);
}

#[test]
fn a_failed_up_records_no_revision() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake {
        rollout_fails: true,
        ..Fake::default()
    };
    up_in(&fake, dir.path()).unwrap_err();
    assert!(!dir.path().join(".berth/revisions/dev").exists());
    assert!(!stdins(&fake).iter().any(|s| s.contains("ConfigMap")));
}

#[test]
fn only_the_last_ten_revisions_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..11 {
        up_in(&Fake::default(), dir.path()).unwrap();
    }
    let fake = Fake::default();
    assert_eq!(up_in(&fake, dir.path()).unwrap().revision, 12);
    let c = clock();
    let numbers: Vec<u32> = driver(&fake, &c, dir.path())
        .local_revisions()
        .unwrap()
        .iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(numbers, (3..=12).collect::<Vec<_>>());
    position(
        &fake.lines(),
        "-n shop delete configmap shop-berth-rev-2 --ignore-not-found",
    );
}

#[test]
fn rollback_applies_the_revision_manifests_waits_and_records_a_rollback_revision() {
    let dir = tempfile::tempdir().unwrap();
    up_in(&Fake::default(), dir.path()).unwrap();
    up_in(&Fake::default(), dir.path()).unwrap();
    let fake = Fake::default();
    let c = clock();
    let d = driver(&fake, &c, dir.path());
    let revs = d.revisions().unwrap();
    let target = revision::pick(&revs, None).unwrap().clone();
    assert_eq!(target.number, 1);
    let steps = revision::rollback_steps(&target, "kind-shop", "shop", 60);
    let phases: Vec<String> = steps
        .iter()
        .filter_map(|s| match s {
            RollbackStep::Apply { phase, .. } => Some(phase.clone()),
            _ => None,
        })
        .collect();
    assert!(!phases.contains(&"jobs".to_string()), "{phases:?}");
    let lock = d.lock().unwrap();
    let events = Events(Mutex::new(Vec::new()));
    let new = d
        .rollback(&lock, &target, Duration::from_secs(60), &events)
        .unwrap();
    assert_eq!((new.number, new.rollback_of), (3, Some(1)));
    let ins = stdins(&fake);
    let services = target
        .phases
        .iter()
        .find(|p| p.phase == "services")
        .unwrap();
    assert!(ins.contains(&services.manifest));
    let lines = fake.lines();
    let apply = position(
        &lines,
        "kubectl --context kind-shop -n shop apply --server-side --field-manager berth -f -",
    );
    assert!(position(&lines, "rollout status deployment/api") > apply);
    assert!(!lines.iter().any(|l| l.contains("get job")), "{lines:#?}");
    assert_eq!(d.local_revisions().unwrap().len(), 3);
}

#[test]
fn picking_a_revision_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::default();
    let c = clock();
    let d = driver(&fake, &c, dir.path());
    let none = revision::pick(&[], None).unwrap_err().to_string();
    assert!(none.contains("no revision recorded"), "{none}");
    let one = d.current_revision(4, "up").unwrap();
    let only = revision::pick(std::slice::from_ref(&one), None)
        .unwrap_err()
        .to_string();
    assert!(only.contains("revision 4 is the only one"), "{only}");
    let unknown = revision::pick(std::slice::from_ref(&one), Some(7))
        .unwrap_err()
        .to_string();
    assert_eq!(unknown, "no revision 7 (known: 4)");
}

#[test]
fn history_reads_the_cluster_when_berth_has_no_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let seed = Fake::default();
    let c = clock();
    let rev = driver(&seed, &c, dir.path())
        .current_revision(5, "up")
        .unwrap();
    let list = serde_json::json!({
        "apiVersion": "v1", "kind": "List",
        "items": [{"metadata": {"name": "shop-berth-rev-5"},
                   "data": {revision::KEY: serde_json::to_string(&rev).unwrap()}}]
    })
    .to_string();
    let fake = Fake {
        configmaps: Box::leak(list.into_boxed_str()),
        ..Fake::default()
    };
    let revs = driver(&fake, &c, dir.path()).revisions().unwrap();
    assert_eq!(revs, [rev]);
    position(
        &fake.lines(),
        "kubectl --context kind-shop -n shop get configmap -l app.kubernetes.io/managed-by=berth,berth.dev/revision-of=shop -o json",
    );
    assert!(!dir.path().join(".berth").exists());
}

#[test]
fn atomic_up_rolls_back_to_the_last_revision_after_a_rollout_timeout() {
    let dir = tempfile::tempdir().unwrap();
    up_in(&Fake::default(), dir.path()).unwrap();
    let fake = Fake {
        rollout_failures: Mutex::new(1),
        dirty: true,
        ..Fake::default()
    };
    let c = clock();
    let d = driver(&fake, &c, dir.path());
    let events = Events(Mutex::new(Vec::new()));
    let lock = d.lock().unwrap();
    let steps = d.steps(Duration::from_secs(60)).unwrap();
    let err = d.up(&lock, &steps, &events).unwrap_err();
    assert!(err.to_string().contains("rollout of deployment/api failed"));
    let before = fake.calls.lock().unwrap().len();
    let new = d
        .recover(&err, Duration::from_secs(60), &events)
        .expect("a rollback")
        .unwrap();
    assert_eq!((new.number, new.rollback_of), (2, Some(1)));
    let calls = fake.calls.lock().unwrap();
    let restored: Vec<&String> = calls[before..]
        .iter()
        .filter_map(|(_, s)| s.as_ref())
        .collect();
    // The services of revision 1 (the clean tag) went back, not the dirty one.
    assert!(restored
        .iter()
        .any(|s| s.contains("shop/api:0123456789ab\n") || s.contains("shop/api:0123456789ab\"")));
    assert!(!restored[..restored.len() - 1]
        .iter()
        .any(|s| s.contains("-dirty-")));
    // Another failure (or none recorded) is not recovered from.
    let other: DriveError = KubeError::NoRevisions.into();
    assert!(d
        .recover(&other, Duration::from_secs(60), &events)
        .is_none());
}
