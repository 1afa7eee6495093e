//! End to end against the real Docker engine and `docker compose`: `berth up/down/status/
//! deploy` on the quickstart and on small stacks of the locally built `berth-local/*` images.
//! Each test uses its own project name and free host ports and removes everything it created;
//! the Docker tests run one at a time (a shared lock) so two cores are not swamped.

mod common;

use berth_testkit::{local_image, require, Oracle, DOCKER_COMPOSE, DOCKER_ENGINE};
use common::{repo_root, Berth};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static DOCKER: Mutex<()> = Mutex::new(());

fn docker_lock() -> std::sync::MutexGuard<'static, ()> {
    DOCKER.lock().unwrap_or_else(|e| e.into_inner())
}

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs")
}

/// The demo API image the quickstart runs.
const DEMO: Oracle = berth_testkit::image(
    "berth-local/berth-demo:dev",
    "examples/quickstart/app/build-image.sh builds it",
);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A project in a temp dir whose compose project is removed (containers, volumes, network)
/// when the test ends, pass or fail.
struct Stack {
    dir: tempfile::TempDir,
    name: String,
}

impl Stack {
    fn new(prefix: &str, spec: &str) -> Stack {
        let name = format!("bt-{prefix}-{}", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let stack = Stack { dir, name };
        stack.write(spec);
        stack
    }

    fn write(&self, spec: &str) {
        std::fs::write(self.file(), spec.replace("NAME", &self.name)).unwrap();
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("berth.yaml")
    }

    fn berth<I, S>(&self, args: I) -> common::Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Berth::new().file(self.file()).args(args).run()
    }

    /// Compose service → container id, for every container of the project.
    fn ids(&self) -> BTreeMap<String, String> {
        let label = format!("label=com.docker.compose.project={}", self.name);
        let out = docker(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            &label,
            "--format",
            "{{.Label \"com.docker.compose.service\"}} {{.ID}}",
        ]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(s, id)| (s.to_string(), id.to_string()))
            .collect()
    }

    fn volumes(&self) -> Vec<String> {
        let label = format!("label=com.docker.compose.project={}", self.name);
        let out = docker(&["volume", "ls", "-q", "--filter", &label]);
        let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(String::from)
            .collect();
        v.sort();
        v
    }

    fn status(&self) -> Value {
        let r = self.berth(["status", "--output", "json"]).ok();
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
    }
}

fn service<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {status}"))
}

impl Drop for Stack {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.name);
        let ids: Vec<String> = self.ids().into_values().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            docker(&args);
        }
        let out = docker(&["volume", "ls", "-q", "--filter", &label]);
        for v in String::from_utf8_lossy(&out.stdout).lines() {
            docker(&["volume", "rm", "-f", v]);
        }
        docker(&["network", "rm", &format!("{}-net", self.name)]);
    }
}

/// A plain HTTP/1.0 request to 127.0.0.1: (status, body).
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (code, body.to_string())
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The quickstart spec on free ports, with a unique name.
fn quickstart(api: u16, redis: u16, pg: u16) -> String {
    let text = std::fs::read_to_string(repo_root().join("examples/quickstart/berth.yaml")).unwrap();
    let text = text
        .replace("name: quickstart", "name: NAME")
        .replace(
            "publish: { http: 18080 }",
            &format!("publish: {{ http: {api} }}"),
        )
        .replace("publish: 16379", &format!("publish: {redis}"))
        .replace("publish: 15432", &format!("publish: {pg}"));
    assert!(text.contains(&format!("http: {api}")) && text.contains(&format!("publish: {pg}")));
    text
}

#[test]
fn quickstart_lifecycle_converges_persists_and_restarts() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        DEMO,
        local_image("berth-local/redis:7"),
        local_image("berth-local/postgres:15"),
        local_image("berth-local/rabbitmq:3"),
    );
    let _g = docker_lock();
    let (api, redis, pg) = (free_port(), free_port(), free_port());
    let spec = quickstart(api, redis, pg);
    let stack = Stack::new("qs", &spec);

    // Comes up healthy; endpoints printed.
    let r = stack.berth(["up"]).ok();
    assert!(
        r.stdout.contains(&format!("http://127.0.0.1:{api}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("redis://127.0.0.1:{redis}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("api") && r.stderr.contains("healthy"),
        "{}",
        r.stderr
    );
    let (code, body) = http(api, "GET", "/health", "");
    assert_eq!(code, 200, "{body}");
    for part in [
        r#""status":"ok""#,
        r#""redis":"ok""#,
        r#""postgres":"ok""#,
        r#""rabbitmq":"ok""#,
    ] {
        assert!(body.contains(part), "{body}");
    }
    for n in 1..=2 {
        let (code, body) = http(api, "POST", "/notes", &format!("note {n}"));
        assert_eq!(code, 201, "{body}");
    }

    // Secrets: generated once, private, git-ignored.
    let berth_dir = stack.dir.path().join(".berth");
    let secrets = std::fs::read_to_string(berth_dir.join("secrets.json")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(berth_dir.join("secrets.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let env = berth_dir.join("compose/local/.secrets/postgres.env");
        assert_eq!(
            std::fs::metadata(env).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(std::fs::read_to_string(berth_dir.join(".gitignore"))
        .unwrap()
        .contains('*'));

    // A second up recreates nothing and keeps the secrets.
    let ids1 = stack.ids();
    assert_eq!(ids1.len(), 4, "{ids1:?}");
    let r = stack.berth(["up"]).ok();
    assert!(r.stderr.contains("unchanged: "), "{}", r.stderr);
    assert!(!r.stderr.contains("recreated"), "{}", r.stderr);
    assert_eq!(stack.ids(), ids1);
    assert_eq!(
        std::fs::read_to_string(berth_dir.join("secrets.json")).unwrap(),
        secrets
    );

    // A change to one service recreates only that service.
    stack.write(&spec.replace(
        "    resources: { cpu: 100m, memory: 64Mi }",
        "    resources: { cpu: 100m, memory: 64Mi }\n    env: { BERTH_TEST_CHANGE: \"1\" }",
    ));
    let r = stack.berth(["up"]).ok();
    assert!(r.stderr.contains("recreated: api"), "{}", r.stderr);
    let ids2 = stack.ids();
    assert_ne!(ids2["api"], ids1["api"]);
    for s in ["redis", "postgres", "rabbitmq"] {
        assert_eq!(ids2[s], ids1[s], "{s} must keep its container");
    }

    // docker kill: status shows it stopped; the next up starts the same container again.
    assert!(docker(&["kill", &ids2["api"]]).status.success());
    let st = stack.status();
    let a = service(&st, "api");
    assert_eq!(a["state"], "exited", "{a}");
    assert_eq!(a["exit_code"], 137, "{a}");
    stack.berth(["up"]).ok();
    assert_eq!(stack.ids()["api"], ids2["api"], "restarted, not recreated");
    let a = service(&stack.status(), "api").clone();
    assert_eq!(
        (a["state"].as_str(), a["health"].as_str()),
        (Some("running"), Some("healthy")),
        "{a}"
    );

    // A store that dies on its own is restarted by its restart policy; status counts it.
    // (The exec session dies with the server, so its exit status tells nothing.)
    docker(&[
        "exec",
        &ids2["redis"],
        "sh",
        "-c",
        "redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning shutdown",
    ]);
    wait_for("redis restarted by docker", Duration::from_secs(60), || {
        let st = stack.status();
        let r = service(&st, "redis");
        r["restarts"].as_u64().unwrap_or(0) >= 1 && r["state"] == "running"
    });
    let text = stack.berth(["status"]).ok().stdout;
    assert!(
        text.lines()
            .any(|l| l.starts_with("redis") && l.contains("running")),
        "{text}"
    );

    // down keeps the volumes; data in postgres, redis (and rabbitmq) survives down/up.
    let vols = stack.volumes();
    assert_eq!(vols.len(), 3, "{vols:?}");
    let r = stack.berth(["down"]).ok();
    assert!(r.stderr.contains("volumes kept"), "{}", r.stderr);
    assert!(stack.ids().is_empty());
    assert_eq!(stack.volumes(), vols);
    stack.berth(["up"]).ok();
    let (code, body) = http(api, "GET", "/notes", "");
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains(r#""count":2"#),
        "postgres rows survive: {body}"
    );
    assert!(
        body.contains(r#""counter":2"#),
        "redis counter survives: {body}"
    );

    // History records every operation.
    let history: Value =
        serde_json::from_str(&std::fs::read_to_string(berth_dir.join("history.json")).unwrap())
            .unwrap();
    let records = history["records"].as_array().unwrap();
    assert!(records.len() >= 6, "{history}");
    assert!(records
        .iter()
        .all(|r| r["outcome"] == "ok" && r["environment"] == "local"));

    // down --volumes deletes the data.
    stack.berth(["down", "--volumes"]).ok();
    assert!(stack.volumes().is_empty());
}

const SMALL: &str = r#"
name: NAME
services:
  slow:
    image: berth-local/base:bookworm
    command: [sh, -c, "echo slow-started; exec sleep 100000"]
    health: { exec: [test, -f, /tmp/ready], interval: 1s, timeout: 2s, retries: 100000 }
  broken:
    image: berth-local/base:bookworm
    command: [sh, -c, "echo broken-marker-42 >&2; exec sleep 100000"]
    health: { exec: [sh, -c, "echo probe-says-no; exit 1"], interval: 1s, timeout: 2s, retries: 2 }
stores:
  cache: { type: redis, version: "7", image: "berth-local/redis:7", publish: PORT }
environments:
  local: { platform: compose }
deployments:
  cache:
    environment: local
    only: stores
    description: "the cache alone"
    pre: ["echo from-pre > pre.txt"]
    post: ["berth status --output json > post.json"]
"#;

#[test]
fn failing_health_check_exits_non_zero_with_the_logs() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/base:bookworm"),
        local_image("berth-local/redis:7"),
    );
    let _g = docker_lock();
    let stack = Stack::new("fail", &SMALL.replace("PORT", &free_port().to_string()));
    let r = stack
        .berth(["up", "-s", "broken", "--timeout", "120"])
        .code(1);
    assert!(
        r.stderr.contains("service `broken` is unhealthy"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("probe-says-no"),
        "last health output: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("broken-marker-42"),
        "last log lines: {}",
        r.stderr
    );
    let h = std::fs::read_to_string(stack.dir.path().join(".berth/history.json")).unwrap();
    assert!(h.contains(r#""outcome": "failed""#), "{h}");
}

#[test]
fn ctrl_c_during_up_releases_the_lock_and_the_next_up_converges() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/base:bookworm"),
        local_image("berth-local/redis:7"),
    );
    let _g = docker_lock();
    let stack = Stack::new("int", &SMALL.replace("PORT", &free_port().to_string()));
    let log = stack.dir.path().join("up.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .env("NO_COLOR", "1")
        .args([
            "-f".as_ref(),
            stack.file().as_os_str(),
            "up".as_ref(),
            "-s".as_ref(),
            "slow".as_ref(),
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // Wait until it is waiting for `slow` to become healthy, then interrupt it.
    wait_for(
        "berth up to wait for slow",
        Duration::from_secs(120),
        || {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .any(|l| l.contains("slow") && l.contains("starting"))
        },
    );
    assert!(Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("berth up"),
        "{err}"
    );
    let h = std::fs::read_to_string(stack.dir.path().join(".berth/history.json")).unwrap();
    assert!(h.contains(r#""outcome": "interrupted""#), "{h}");

    // The lock is free again, and the next up converges on what is already running.
    let before = stack.ids();
    let slow = before["slow"].clone();
    assert!(docker(&["exec", &slow, "touch", "/tmp/ready"])
        .status
        .success());
    let r = stack.berth(["up", "-s", "slow"]).ok();
    assert!(r.stderr.contains("unchanged: slow"), "{}", r.stderr);
    assert_eq!(stack.ids(), before);
}

#[test]
fn lock_refuses_a_concurrent_up_and_recipes_run_their_hooks() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/redis:7")
    );
    let _g = docker_lock();
    let port = free_port();
    let stack = Stack::new("lock", &SMALL.replace("PORT", &port.to_string()));
    let first = Command::new(env!("CARGO_BIN_EXE_berth"))
        .env("NO_COLOR", "1")
        .args([
            "-f".as_ref(),
            stack.file().as_os_str(),
            "deploy".as_ref(),
            "cache".as_ref(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lock = stack.dir.path().join(".berth/locks/local.lock");
    wait_for(
        "the first berth to hold the lock",
        Duration::from_secs(60),
        || std::fs::read_to_string(&lock).is_ok_and(|s| !s.trim().is_empty()),
    );
    let second = stack.berth(["up"]).code(1);
    let pid = first.id().to_string();
    assert!(
        second.stderr.contains("busy") && second.stderr.contains(&format!("pid {pid}")),
        "{}",
        second.stderr
    );
    let out = first.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");

    // The recipe ran its pre command, started only the stores, and its post command ran
    // this very berth (no lock needed for status).
    let root = stack.dir.path();
    assert_eq!(
        std::fs::read_to_string(root.join("pre.txt")).unwrap(),
        "from-pre\n"
    );
    let post: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("post.json")).unwrap()).unwrap();
    assert_eq!(service(&post, "cache")["state"], "running");
    assert_eq!(service(&post, "slow")["state"], "absent");
    assert_eq!(
        service(&post, "cache")["ports"][0],
        format!("127.0.0.1:{port}->6379/tcp")
    );
    let st = stack.status();
    assert_eq!(st["last_deploy"]["recipe"], "cache");
    assert_eq!(st["last_deploy"]["outcome"], "ok");
    stack.berth(["down", "-v"]).ok();
    assert!(stack.ids().is_empty() && stack.volumes().is_empty());
}

/// A service that reads one secret from a host variable and one generated secret.
const ENV_SECRET: &str = r#"
name: NAME
services:
  app:
    image: berth-local/base:bookworm
    command: [sh, -c, "echo app-started; exec sleep 100000"]
    secrets: [token, session]
secrets:
  token: { env: BERTH_E2E_TOKEN }
  session: { generate: { length: 24 } }
environments:
  local: { platform: compose }
deployments:
  app:
    environment: local
    post: ["berth restart app"]
"#;

#[test]
fn status_logs_and_down_need_no_secret_values_and_write_none() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/base:bookworm")
    );
    let _g = docker_lock();
    let stack = Stack::new("sec", ENV_SECRET);
    let berth_dir = stack.dir.path().join(".berth");
    let secrets = berth_dir.join("secrets.json");
    let env_files = berth_dir.join("compose/local/.secrets");
    // Nothing exported, nothing running: status reports, down succeeds, and neither writes
    // a secret (or takes the lock).
    let st = stack.status();
    assert_eq!(service(&st, "app")["state"], "absent");
    stack.berth(["down"]).ok();
    assert!(!secrets.exists(), "status/down wrote secrets.json");
    assert!(!env_files.exists(), "status/down wrote secret env files");
    // Starting needs the value, and says which variable to export.
    let r = stack.berth(["up"]).code(1);
    assert!(r.stderr.contains("export BERTH_E2E_TOKEN="), "{}", r.stderr);
    assert!(!secrets.exists());
    // With it exported, up starts app and writes the secrets; a recipe's post command may
    // restart it: the berth it starts shares the recipe's lock of the environment.
    Berth::new()
        .file(stack.file())
        .env("BERTH_E2E_TOKEN", "t0k3n")
        .args(["up"])
        .run()
        .ok();
    let r = Berth::new()
        .file(stack.file())
        .env("BERTH_E2E_TOKEN", "t0k3n")
        .args(["deploy", "app"])
        .run()
        .ok();
    assert!(r.stderr.contains("app restarted"), "{}", r.stderr);
    assert!(secrets.exists() && env_files.join("app.env").exists());
    let generated = std::fs::read_to_string(&secrets).unwrap();
    // Without the variable and without the env files, docker compose still lists, shows the
    // logs of and removes the containers; nothing is written back.
    std::fs::remove_dir_all(&env_files).unwrap();
    let st = stack.status();
    assert_eq!(service(&st, "app")["state"], "running", "{st}");
    let r = stack.berth(["logs", "app"]).ok();
    assert!(r.stdout.contains("app-started"), "{}", r.stdout);
    stack.berth(["down"]).ok();
    assert!(stack.ids().is_empty());
    assert!(!env_files.exists());
    assert_eq!(std::fs::read_to_string(&secrets).unwrap(), generated);
}

#[test]
fn usage_errors_without_docker() {
    let qs = repo_root().join("examples/quickstart/berth.yaml");
    // No arguments and no terminal: usage, exit 2, no prompt.
    let r = Berth::new().file(&qs).run().code(2);
    assert!(
        r.stdout.contains("Usage") || r.stderr.contains("Usage"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    // A Kubernetes environment is driven too; its dry run needs neither Docker nor a cluster.
    let r = Berth::new()
        .file(&qs)
        .args(["up", "minikube", "--dry-run"])
        .run()
        .ok();
    assert!(r.stdout.contains("plan for minikube"), "{}", r.stdout);
    let r = Berth::new().file(&qs).args(["up", "nope"]).run().code(2);
    assert!(
        r.stderr.contains("unknown environment `nope`"),
        "{}",
        r.stderr
    );
    let r = Berth::new()
        .file(&qs)
        .args(["deploy", "nope"])
        .run()
        .code(2);
    assert!(
        r.stderr.contains("no recipe `nope`") && r.stderr.contains("stores"),
        "{}",
        r.stderr
    );
    let r = Berth::new().file(&qs).args(["deploy"]).run().code(2);
    assert!(
        r.stdout.contains("all") && r.stdout.contains("Build the demo API"),
        "{}",
        r.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("berth.yaml");
    std::fs::write(
        &spec,
        "name: x\nenvironments:\n  k: { platform: kubernetes, cluster: minikube }\n",
    )
    .unwrap();
    let r = Berth::new().file(&spec).args(["up"]).run().code(2);
    assert!(r.stderr.contains("no compose environment"), "{}", r.stderr);
}
