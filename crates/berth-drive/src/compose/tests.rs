//! The driver's sequencing, waiting and failure reports against a scripted runner and a fake
//! clock (the real Docker engine is exercised by the CLI's e2e tests).

use super::*;
use crate::process::{Cmd, Output, Runner};
use crate::secrets::HostSources;
use std::sync::Mutex;
use std::time::Instant;

/// Scripted docker: `up -d … NAMES` creates containers for NAMES; `ps` lists them with the
/// state/health the test chose per service.
struct FakeDocker {
    calls: Mutex<Vec<Vec<String>>>,
    started: Mutex<Vec<String>>,
    /// service → (state, health, exit code); default running + healthy.
    behaviour: BTreeMap<String, (&'static str, &'static str, i64)>,
    cancel_on_ps: Option<Arc<AtomicBool>>,
    /// Services in state `gone` that a `ps` listed: the next ones do not.
    listed_gone: Mutex<Vec<String>>,
    /// The compose volumes `docker volume ls` lists.
    volumes: Vec<&'static str>,
}

impl FakeDocker {
    fn new() -> Self {
        FakeDocker {
            calls: Mutex::new(Vec::new()),
            started: Mutex::new(Vec::new()),
            behaviour: BTreeMap::new(),
            cancel_on_ps: None,
            listed_gone: Mutex::new(Vec::new()),
            volumes: Vec::new(),
        }
    }
    fn with(mut self, svc: &str, state: &'static str, health: &'static str, code: i64) -> Self {
        self.behaviour.insert(svc.into(), (state, health, code));
        self
    }
    /// The compose sub-commands run, without the common prefix.
    fn compose_calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.first().map(String::as_str) == Some("compose"))
            .map(|a| a[9..].join(" "))
            .collect()
    }
}

impl Runner for FakeDocker {
    fn output(&self, cmd: &Cmd) -> std::io::Result<Output> {
        self.calls.lock().unwrap().push(cmd.args.clone());
        let a = &cmd.args;
        let ok = |stdout: String| {
            Ok(Output {
                code: Some(0),
                stdout,
                stderr: String::new(),
            })
        };
        if a.first().map(String::as_str) == Some("inspect") && a[2].contains("Health") {
            return ok(
                r#"{"Status":"starting","Log":[{"ExitCode":1,"Output":"answered 404"}]}"#.into(),
            );
        }
        if a.first().map(String::as_str) == Some("volume") {
            return ok(self.volumes.join("\n"));
        }
        if a.first().map(String::as_str) != Some("compose") {
            return ok(String::new());
        }
        match a[9].as_str() {
            "up" => {
                let names = a[10..].iter().filter(|x| !x.starts_with('-')).cloned();
                self.started.lock().unwrap().extend(names);
                ok(String::new())
            }
            "ps" => {
                if let Some(c) = &self.cancel_on_ps {
                    c.store(true, Ordering::SeqCst);
                }
                let mut listed_gone = self.listed_gone.lock().unwrap();
                let lines: Vec<String> = self
                    .started
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|s| {
                        if self.behaviour.get(*s).is_none_or(|b| b.0 != "gone") {
                            return true;
                        }
                        let first = !listed_gone.contains(s);
                        listed_gone.push(s.to_string());
                        first
                    })
                    .map(|s| {
                        let (state, health, code) =
                            self.behaviour.get(s).copied().unwrap_or(("running", "healthy", 0));
                        serde_json::json!({"ID": format!("id-{s}"), "Name": format!("p-{s}-1"), "Service": s,
                            "State": state, "Health": health, "ExitCode": code, "Publishers": []})
                        .to_string()
                    })
                    .collect();
                ok(lines.join("\n"))
            }
            "logs" => ok("line one\nboom: cannot connect\n".into()),
            _ => ok(String::new()),
        }
    }
    fn interactive(&self, cmd: &Cmd) -> std::io::Result<Option<i32>> {
        self.calls.lock().unwrap().push(cmd.args.clone());
        Ok(Some(0))
    }
}

/// A clock whose sleeps advance time instantly.
struct FakeClock {
    base: Instant,
    offset: Mutex<Duration>,
}
impl FakeClock {
    fn new() -> Self {
        FakeClock {
            base: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }
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

const SPEC: &str = r#"
name: shop
services:
  migrate: { kind: job, image: x/m:1, uses: [db], before: [api] }
  api: { image: x/api:1, uses: [db, cache], ports: { http: 3000 }, publish: { http: 18000 } }
stores:
  db: { type: postgres, version: "16", publish: 0 }
  cache: { type: redis, version: "7", publish: 16379 }
environments:
  local: { platform: compose }
  kube: { platform: kubernetes, cluster: minikube }
"#;

fn model(env: &str) -> Model {
    let source = berth_spec::Source::new("berth.yaml", SPEC.to_string());
    let loaded = berth_spec::validate(&source);
    assert!(
        !loaded.diagnostics.iter().any(|d| d.is_error()),
        "{:?}",
        loaded.diagnostics
    );
    berth_spec::resolve(&loaded.spec.unwrap(), env).unwrap()
}

struct Recorder(Mutex<Vec<String>>);
impl Observer for Recorder {
    fn update(&self, name: &str, phase: &Phase, _: Duration) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{name}={}", phase.label()));
    }
}

fn run_up(docker: &FakeDocker) -> (Result<UpReport, DriveError>, Vec<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let m = model("local");
    let clock = FakeClock::new();
    let d =
        ComposeDriver::new(&m, Workspace::new(dir.path()), docker, &clock, &HostSources).unwrap();
    let (r, updates) = up_all(&d);
    (r, updates, dir)
}

/// `up` of everything with a 30 s timeout; the observer's updates.
fn up_all(d: &ComposeDriver) -> (Result<UpReport, DriveError>, Vec<String>) {
    let prepared = d.prepare(&d.lock().unwrap()).unwrap();
    let sel = select::select(&d.plan, None, &[]).unwrap();
    let rec = Recorder(Mutex::new(Vec::new()));
    let opts = UpOptions {
        timeout: Duration::from_secs(30),
        build: false,
    };
    let r = d.up(&prepared, &sel, &opts, &rec);
    (r, rec.0.into_inner().unwrap())
}

#[test]
fn stores_then_jobs_then_services_each_waited_for() {
    let docker = FakeDocker::new()
        .with("migrate", "exited", "", 0)
        .with("api", "running", "healthy", 0);
    let (r, updates, dir) = run_up(&docker);
    let report = r.unwrap();
    let ups: Vec<String> = docker
        .compose_calls()
        .into_iter()
        .filter(|c| c.starts_with("up"))
        .collect();
    assert_eq!(
        ups,
        [
            "up -d --no-deps --remove-orphans db cache",
            "up -d --no-deps --remove-orphans migrate",
            "up -d --no-deps --remove-orphans api"
        ]
    );
    assert!(
        updates.contains(&"migrate=completed".to_string()),
        "{updates:?}"
    );
    assert!(updates.contains(&"api=healthy".to_string()), "{updates:?}");
    assert_eq!(report.created, ["db", "cache", "migrate", "api"]);
    let urls: Vec<&str> = report.endpoints.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(urls, ["http://127.0.0.1:18000", "redis://127.0.0.1:16379"]);
    // The files compose runs, and secret env files with generated values, 0600.
    let base = dir.path().join(".berth/compose/local");
    assert!(base.join("compose.stores.yaml").is_file());
    let db_env = std::fs::read_to_string(base.join(".secrets/db.env")).unwrap();
    assert!(db_env.starts_with("# Written by berth") && db_env.contains("POSTGRES_PASSWORD=\""));
}

#[test]
fn an_unhealthy_service_fails_with_its_logs() {
    let docker =
        FakeDocker::new()
            .with("migrate", "exited", "", 0)
            .with("api", "running", "unhealthy", 0);
    let (r, _, _dir) = run_up(&docker);
    let msg = r.unwrap_err().to_string();
    assert!(msg.starts_with("service `api` is unhealthy"), "{msg}");
    assert!(msg.contains("boom: cannot connect"), "{msg}");
}

#[test]
fn a_failing_job_stops_the_up_before_services_start() {
    let docker = FakeDocker::new().with("migrate", "exited", "", 3);
    let (r, _, _dir) = run_up(&docker);
    let msg = r.unwrap_err().to_string();
    assert!(msg.starts_with("job `migrate` exited with code 3"), "{msg}");
    assert!(!docker.compose_calls().iter().any(|c| c.ends_with(" api")));
}

#[test]
fn waiting_times_out_on_the_fake_clock() {
    let docker = FakeDocker::new().with("db", "running", "starting", 0);
    let (r, _, _dir) = run_up(&docker);
    match r.unwrap_err() {
        DriveError::Timeout {
            pending,
            waited_s,
            health,
            ..
        } => {
            assert_eq!(pending, ["db"]);
            assert_eq!(waited_s, 30);
            assert_eq!(health.as_deref(), Some("exit 1: answered 404"));
        }
        e => panic!("{e}"),
    }
}

#[test]
fn a_container_that_disappears_fails_the_wait_at_once() {
    let docker = FakeDocker::new().with("db", "gone", "starting", 0);
    let (r, _, _dir) = run_up(&docker);
    let msg = r.unwrap_err().to_string();
    assert!(
        msg.starts_with("store `db` lost its container while Berth waited"),
        "{msg}"
    );
    let polls = docker
        .compose_calls()
        .iter()
        .filter(|c| c.starts_with("ps"))
        .count();
    // `ps` before the start, the poll that saw it, the poll that missed it.
    assert_eq!(polls, 3, "{:?}", docker.compose_calls());
}

#[test]
fn cancel_stops_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let m = model("local");
    let mut docker = FakeDocker::new().with("db", "running", "starting", 0);
    let clock = FakeClock::new();
    let flag = Arc::new(AtomicBool::new(false));
    docker.cancel_on_ps = Some(flag.clone());
    let mut d = ComposeDriver::new(
        &m,
        Workspace::new(dir.path()),
        &docker,
        &clock,
        &HostSources,
    )
    .unwrap();
    d.cancel = flag;
    let prepared = d.prepare(&d.lock().unwrap()).unwrap();
    let sel = select::select(&d.plan, Some(berth_spec::Only::Stores), &[]).unwrap();
    let r = d.up(&prepared, &sel, &UpOptions::default(), &Silent);
    assert!(matches!(r, Err(DriveError::Interrupted)), "{r:?}");
}

#[test]
fn only_services_requires_running_stores() {
    let dir = tempfile::tempdir().unwrap();
    let m = model("local");
    let docker = FakeDocker::new();
    let clock = FakeClock::new();
    let d = ComposeDriver::new(
        &m,
        Workspace::new(dir.path()),
        &docker,
        &clock,
        &HostSources,
    )
    .unwrap();
    let prepared = d.prepare(&d.lock().unwrap()).unwrap();
    let sel = select::select(&d.plan, Some(berth_spec::Only::Services), &[]).unwrap();
    let msg = d
        .up(&prepared, &sel, &UpOptions::default(), &Silent)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("stores not running: db, cache"), "{msg}");
}

#[test]
fn kubernetes_environments_are_refused_with_a_hint() {
    let m = model("kube");
    let clock = FakeClock::new();
    let err = ComposeDriver::new(
        &m,
        Workspace::new("/nonexistent"),
        &FakeDocker::new(),
        &clock,
        &HostSources,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("runs on kubernetes, not compose"), "{err}");
}

#[test]
fn ps_parses_lines_and_arrays() {
    let line = r#"{"ID":"abc","Name":"p-api-1","Service":"api","State":"running","Health":"healthy","ExitCode":0,"Publishers":[{"URL":"127.0.0.1","TargetPort":8080,"PublishedPort":18080,"Protocol":"tcp"},{"URL":"","TargetPort":9000,"PublishedPort":0,"Protocol":"tcp"}]}"#;
    let a = parse_ps(&format!("{line}\n{line}\n")).unwrap();
    let b = parse_ps(&format!("[{line}]")).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(b[0], a[0]);
    assert_eq!(a[0].ports, ["127.0.0.1:18080->8080/tcp"]);
    assert!(parse_ps("not json").is_err());
    assert!(parse_ps("").unwrap().is_empty());
}

#[test]
fn phases_from_container_states() {
    let c = |state: &str, health: &str, code| Container {
        state: state.into(),
        health: health.into(),
        exit_code: code,
        ..Default::default()
    };
    assert_eq!(phase(Kind::Service, true, &[]), Phase::Pending);
    assert_eq!(
        phase(Kind::Service, false, &[&c("running", "", 0)]),
        Phase::Running
    );
    // With a health check, no health state yet is not ready.
    assert_eq!(
        phase(Kind::Service, true, &[&c("running", "", 0)]),
        Phase::Starting
    );
    assert_eq!(
        phase(Kind::Service, true, &[&c("running", "starting", 0)]),
        Phase::Starting
    );
    assert_eq!(
        phase(Kind::Job, true, &[&c("running", "", 0)]),
        Phase::Starting
    );
    assert_eq!(
        phase(Kind::Job, true, &[&c("exited", "", 0)]),
        Phase::Completed
    );
    assert!(matches!(
        phase(Kind::Service, true, &[&c("exited", "", 0)]),
        Phase::Failed(_)
    ));
    assert!(matches!(
        phase(Kind::Store, true, &[&c("restarting", "", 1)]),
        Phase::Failed(_)
    ));
    // Every replica must be ready.
    assert_eq!(
        phase(
            Kind::Service,
            true,
            &[&c("running", "healthy", 0), &c("running", "starting", 0)]
        ),
        Phase::Starting
    );
}

#[test]
fn compare_tells_created_recreated_unchanged() {
    let c = |svc: &str, id: &str| Container {
        service: svc.into(),
        id: id.into(),
        ..Default::default()
    };
    let before = vec![c("a", "1"), c("b", "2")];
    let after = vec![c("a", "1"), c("b", "3"), c("c", "4")];
    let r = compare(&before, &after, &["a".into(), "b".into(), "c".into()]);
    assert_eq!(
        (r.unchanged, r.recreated, r.created),
        (
            vec!["a".to_string()],
            vec!["b".to_string()],
            vec!["c".to_string()]
        )
    );
}

/// A stack whose token comes from a host variable nobody sets, and a MongoDB replica set (whose
/// initialiser is a one-shot helper of the store).
const WITH_ENV_SECRET: &str = r#"
name: shop
services:
  api: { image: x/api:1, uses: [db, docs], secrets: [token], health: { exec: [true] } }
  worker: { image: x/w:1, uses: [api] }
stores:
  db: { type: postgres, version: "16" }
  docs: { type: mongodb, version: "7.0", replicas: 3 }
secrets:
  token: { env: BERTH_TEST_SURELY_UNSET_TOKEN }
environments:
  local: { platform: compose }
"#;

fn model_of(spec: &str) -> Model {
    let source = berth_spec::Source::new("berth.yaml", spec.to_string());
    let loaded = berth_spec::validate(&source);
    assert!(
        !loaded.diagnostics.iter().any(|d| d.is_error()),
        "{:?}",
        loaded.diagnostics
    );
    berth_spec::resolve(&loaded.spec.unwrap(), "local").unwrap()
}

#[test]
fn status_logs_and_down_need_no_secret_values_and_write_none() {
    let dir = tempfile::tempdir().unwrap();
    let m = model_of(WITH_ENV_SECRET);
    let docker = FakeDocker::new();
    let clock = FakeClock::new();
    let d = ComposeDriver::new(
        &m,
        Workspace::new(dir.path()),
        &docker,
        &clock,
        &HostSources,
    )
    .unwrap();
    let files = d.write_files().unwrap();
    let rows = d.status(&files).unwrap();
    let names: Vec<(&str, Kind)> = rows.iter().map(|r| (r.name.as_str(), r.kind)).collect();
    assert_eq!(
        names,
        [
            ("db", Kind::Store),
            ("docs", Kind::Store),
            ("docs-1", Kind::Store),
            ("docs-2", Kind::Store),
            ("docs-init", Kind::Job),
            ("api", Kind::Service),
            ("worker", Kind::Service)
        ]
    );
    d.logs(&files, Some("api"), false, None).unwrap();
    d.down(&files, false).unwrap();
    let berth = dir.path().join(".berth");
    assert!(files.dir.join("compose.stores.yaml").is_file());
    assert!(!berth.join("secrets.json").exists(), "no secret state");
    assert!(!files.dir.join(".secrets").exists(), "no secret env files");
    // Starting containers does need the value, and says which variable to export.
    let err = d.prepare(&d.lock().unwrap()).unwrap_err().to_string();
    assert!(
        err.contains("export BERTH_TEST_SURELY_UNSET_TOKEN="),
        "{err}"
    );
}

#[test]
fn the_plan_decides_waves_health_and_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let m =
        model_of(&WITH_ENV_SECRET.replace("env: BERTH_TEST_SURELY_UNSET_TOKEN", "generate: {}"));
    // The initialiser exits 0 (a job: completed); worker has no health check (ready when running).
    let docker = FakeDocker::new()
        .with("docs-init", "exited", "", 0)
        .with("worker", "running", "", 0);
    let clock = FakeClock::new();
    let d = ComposeDriver::new(
        &m,
        Workspace::new(dir.path()),
        &docker,
        &clock,
        &HostSources,
    )
    .unwrap();
    let prepared = d.prepare(&d.lock().unwrap()).unwrap();
    let sel = d.select(None, &["worker".into()]).unwrap();
    let rec = Recorder(Mutex::new(Vec::new()));
    d.up(&prepared, &sel, &UpOptions::default(), &rec).unwrap();
    let ups: Vec<String> = docker
        .compose_calls()
        .into_iter()
        .filter(|c| c.starts_with("up"))
        .collect();
    assert_eq!(
        ups,
        [
            "up -d --no-deps --remove-orphans db docs docs-1 docs-2 docs-init",
            "up -d --no-deps --remove-orphans api",
            "up -d --no-deps --remove-orphans worker"
        ]
    );
    let updates = rec.0.into_inner().unwrap();
    for u in ["docs-init=completed", "api=healthy", "worker=running"] {
        assert!(updates.contains(&u.to_string()), "{u}: {updates:?}");
    }
    // A restarted helper is waited for as the job it is.
    let files = d.write_files().unwrap();
    d.restart(&files, "docs-init", Duration::from_secs(5), &Silent)
        .unwrap();
}

#[test]
fn a_lost_secrets_file_is_refused_while_the_store_data_exists() {
    let dir = tempfile::tempdir().unwrap();
    let m = model("local");
    let clock = FakeClock::new();
    let ws = Workspace::new(dir.path());
    let mut docker = FakeDocker::new();
    // First start: no volume yet, the passwords are generated.
    let d = ComposeDriver::new(&m, ws.clone(), &docker, &clock, &HostSources).unwrap();
    d.prepare(&d.lock().unwrap()).unwrap();
    let generated = std::fs::read_to_string(ws.secrets_path()).unwrap();
    // The file is lost while postgres's volume holds data initialised with its password.
    std::fs::remove_file(ws.secrets_path()).unwrap();
    docker.volumes = vec!["db-data"];
    let d = ComposeDriver::new(&m, ws.clone(), &docker, &clock, &HostSources).unwrap();
    let err = d.prepare(&d.lock().unwrap()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, DriveError::SecretsLost { stores, .. } if stores == &["db"]),
        "{msg}"
    );
    assert!(
        msg.contains("shop_db-data") && msg.contains("berth down --volumes"),
        "{msg}"
    );
    assert!(!ws.secrets_path().exists(), "nothing regenerated");
    // Restoring the file is the way back; without the volume, new values are fine.
    std::fs::write(ws.secrets_path(), &generated).unwrap();
    d.prepare(&d.lock().unwrap()).unwrap();
    // Without the store's data, new values are fine.
    docker.volumes = Vec::new();
    std::fs::remove_file(ws.secrets_path()).unwrap();
    let d = ComposeDriver::new(&m, ws.clone(), &docker, &clock, &HostSources).unwrap();
    d.prepare(&d.lock().unwrap()).unwrap();
    assert_ne!(
        std::fs::read_to_string(ws.secrets_path()).unwrap(),
        generated
    );
}

#[test]
fn stores_one_container_serves_start_once_and_answer_to_their_own_names() {
    let spec = "name: p\nservices:\n  api: { image: \"a/b:1\", uses: [events, jobs] }\n\
                stores:\n  events: { type: sns, subscribers: [jobs] }\n  jobs: { type: sqs }\n\
                environments:\n  local: { platform: compose }\n";
    let m = model_of(spec);
    let docker = FakeDocker::new();
    let (dir, clock) = (tempfile::tempdir().unwrap(), FakeClock::new());
    let d = ComposeDriver::new(
        &m,
        Workspace::new(dir.path()),
        &docker,
        &clock,
        &HostSources,
    )
    .unwrap();
    up_all(&d).0.unwrap();
    let ups: Vec<String> = docker
        .compose_calls()
        .into_iter()
        .filter(|c| c.starts_with("up"))
        .collect();
    assert_eq!(ups[0], "up -d --no-deps --remove-orphans events", "{ups:?}");
    let files = d.write_files().unwrap();
    let rows = d.status(&files).unwrap();
    let events = rows.iter().find(|r| r.name == "events").unwrap();
    assert_eq!(events.serves, ["jobs"]);
    assert!(!rows.iter().any(|r| r.name == "jobs"));
    d.logs(&files, Some("jobs"), false, None).unwrap();
    let last = docker.calls.lock().unwrap().last().unwrap().join(" ");
    assert!(last.ends_with("logs events"), "{last}");
}
