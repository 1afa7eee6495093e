//! Fail-safe drills through the binary: hostile inputs and signals (docs/drive.md, "What
//! survives what"). Each asserts the outcome — a clear message naming the cause, the exit code,
//! no process left behind — never a wall-clock time; the memory bound is the one Berth sets on
//! its children, so a drill that broke it would exhaust the machine instead of passing.

mod common;

use berth_testkit::{local_image, require, DOCKER_COMPOSE, DOCKER_ENGINE};
use common::{copy_dir, repo_root, Berth};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn drill(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("tests/drills").join(name), tmp.path());
    tmp
}

/// The direct children of a process (Linux: /proc/PID/task/*/children).
fn children(pid: u32) -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|s| s.split_whitespace().map(String::from).collect::<Vec<_>>())
        .collect()
}

/// Whether a process runs (a zombie does not).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[test]
fn docker_reader_stops_an_anchor_bomb_at_its_memory_limit() {
    require!(DOCKER_COMPOSE);
    let dir = drill("anchor-bomb");
    let r = Berth::new()
        .dir(dir.path())
        .args(["import", "--reader", "docker", "-o", "-"])
        .run()
        .code(1);
    assert!(
        r.stderr.contains("docker compose config failed")
            && r.stderr.contains("memory limit of 1536 MiB"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--reader builtin"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    // The built-in reader rejects the same file by itself.
    let r = Berth::new()
        .dir(dir.path())
        .args(["import", "--reader", "builtin", "-o", "-"])
        .run();
    assert_ne!(r.code, 0, "{}", r.stdout);
}

/// A project `docker compose config` needs minutes for: 5,000 services in one depends_on chain.
fn long_chain(dir: &Path) {
    let mut s = String::from("services:\n");
    for i in 0..5000 {
        s.push_str(&format!("  s{i}:\n    image: busybox\n"));
        if i > 0 {
            s.push_str(&format!("    depends_on: [s{}]\n", i - 1));
        }
    }
    std::fs::write(dir.join("compose.yaml"), s).unwrap();
}

#[test]
fn sigterm_during_import_stops_docker_and_leaves_no_child() {
    require!(DOCKER_COMPOSE);
    let dir = tempfile::tempdir().unwrap();
    long_chain(dir.path());
    let berth = Command::new(env!("CARGO_BIN_EXE_berth"))
        .current_dir(dir.path())
        .args(["import", "--reader", "docker", "-o", "-"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until `docker compose config` runs (the compose plugin is docker's child).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        seen = children(berth.id());
        if seen
            .iter()
            .any(|c| !children(c.parse().unwrap()).is_empty())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let grandchildren: Vec<String> = seen
        .iter()
        .flat_map(|c| children(c.parse().unwrap()))
        .collect();
    assert!(!seen.is_empty(), "docker compose config never started");
    assert!(Command::new("kill")
        .args(["-TERM", &berth.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = berth.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    for pid in seen.iter().chain(&grandchildren) {
        assert!(!alive(pid), "child {pid} of berth survived");
    }
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Removes a compose project's containers, volumes and network, pass or fail.
struct Project(String);

impl Drop for Project {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.0);
        for id in docker(&["ps", "-aq", "--filter", &label]).lines() {
            docker(&["rm", "-f", "-v", id]);
        }
        for v in docker(&["volume", "ls", "-q", "--filter", &label]).lines() {
            docker(&["volume", "rm", "-f", v]);
        }
        docker(&["network", "rm", &format!("{}-net", self.0)]);
    }
}

#[test]
fn dollars_mean_what_compose_meant_after_import_and_up() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/base:bookworm")
    );
    for reader in ["builtin", "docker"] {
        let dir = drill("dollar");
        let name = format!("drill-dollar-{reader}-{}", std::process::id());
        let project = Project(name.clone());
        Berth::new()
            .dir(dir.path())
            .args(["import", "--reader", reader, "-p", &name])
            .run()
            .ok();
        let spec = std::fs::read_to_string(dir.path().join("berth.yaml")).unwrap();
        assert!(spec.contains("cost $5 and $HOME"), "{reader}: {spec}");
        Berth::new()
            .file(dir.path().join("berth.yaml"))
            .args(["up", "--timeout", "120"])
            .run()
            .ok();
        let rendered = std::fs::read_to_string(
            dir.path()
                .join(".berth/compose/local/compose.services.yaml"),
        )
        .unwrap();
        assert!(!rendered.contains("$$$$"), "{reader}: {rendered}");
        let label = format!("label=com.docker.compose.project={}", project.0);
        let id = docker(&["ps", "-q", "--filter", &label]);
        let logs = Command::new("docker")
            .args(["logs", id.trim()])
            .output()
            .unwrap();
        let logs = String::from_utf8_lossy(&logs.stdout);
        assert!(
            logs.contains("greeting=hello price=cost $5 and $HOME"),
            "{reader}: {logs}"
        );
    }
}

/// Runs berth in `dir` under resource limits: `mem_mib` of address space and `cpu_s` seconds of
/// CPU (a bound independent of the machine's load, unlike wall-clock time). A run past either
/// dies by a signal, which the caller's exit-code assertion reports. `timeout` only stops a run
/// that blocks (a FIFO) from hanging the suite.
fn bounded(dir: &Path, mem_mib: u64, cpu_s: u64, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new("timeout")
        .args(["-s", "KILL", "120", "prlimit"])
        .arg(format!("--as={}", mem_mib << 20))
        .arg(format!("--cpu={cpu_s}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .expect("prlimit and timeout (util-linux, coreutils) run berth");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn devices_fifos_and_directories_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("berth.yaml");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    for (args, says) in [
        (vec!["-f", "/dev/zero", "validate"], "/dev/zero is a device"),
        (vec!["-f", fifo, "validate"], "is a FIFO"),
        (vec!["-f", fifo, "up", "--dry-run"], "is a FIFO"),
        (vec!["-f", "/tmp", "render"], "/tmp is a directory"),
        (
            vec!["import", "-f", "/dev/zero", "-o", "-"],
            "/dev/zero is a device",
        ),
        (
            vec!["import", "--reader", "docker", "-f", fifo, "-o", "-"],
            "is a FIFO",
        ),
    ] {
        let (code, err) = bounded(dir.path(), 1024, 10, &args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains(says) && err.contains("regular file"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_oversized_input_is_refused_and_a_long_line_shown_as_a_window() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, format!("name: {}\n", "a".repeat(17 << 20))).unwrap();
    let (code, err) = bounded(dir.path(), 1024, 10, &["-f", "big.yaml", "validate"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("input limit of 16 MiB"), "{err}");
    std::fs::write(&big, "x".repeat(17 << 20)).unwrap();
    let (code, err) = bounded(
        dir.path(),
        1024,
        10,
        &["import", "-f", "big.yaml", "-o", "-"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("input limit of 16 MiB"), "{err}");
    // 10 MB on one line, inside the limit: the diagnostics show a window, not the line.
    let line = format!(
        "{{name: Bad_Name, services: {{api: {{image: x, ports: {{http: 8080}}, nope: {}}}}}}}\n",
        "b".repeat(10_000_000)
    );
    std::fs::write(&big, line).unwrap();
    let (code, err) = bounded(dir.path(), 1024, 20, &["-f", "big.yaml", "validate"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("B1001") && err.contains("B0101"), "{err}");
    assert!(err.len() < 8_000, "{} bytes on stderr", err.len());
}

/// A valid spec with `n` secrets no service uses: `n` warnings (B1302), and two more.
fn unused_secrets(dir: &Path, n: usize) {
    let mut s = String::from(
        "name: warned\nservices:\n  api: { image: x, ports: { http: 8080 } }\nenvironments:\n  local: { platform: compose }\nsecrets:\n",
    );
    for i in 0..n {
        s.push_str(&format!("  s{i}: {{ generate: {{ length: 16 }} }}\n"));
    }
    std::fs::write(dir.join("berth.yaml"), s).unwrap();
}

#[test]
fn five_thousand_warnings_take_linear_time_and_print_twenty() {
    let dir = tempfile::tempdir().unwrap();
    unused_secrets(dir.path(), 5000);
    for args in [&["validate"][..], &["render", "--out", "out"]] {
        let (code, err) = bounded(dir.path(), 2048, 20, args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        // 5,002 warnings: the 5,000 secrets, no health check, an unpinned image.
        assert_eq!(err.matches("warning[B").count(), 20, "{args:?}");
        assert!(
            err.contains("4982 more warnings not shown"),
            "{args:?}: {err}"
        );
        let mut quiet = vec!["-q"];
        quiet.extend(args);
        let (code, err) = bounded(dir.path(), 2048, 20, &quiet);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!err.contains("warning"), "-q {args:?}: {err}");
    }
}

#[test]
fn a_port_range_of_every_udp_port_is_one_warning() {
    // docker compose config lists the 65,535 ports sorted as text; the built-in reader in order.
    let readers: &[&str] = if DOCKER_COMPOSE.is_present() {
        &["builtin", "docker"]
    } else {
        &["builtin"]
    };
    for reader in readers {
        let dir = drill("port-range");
        let args = ["import", "--reader", reader];
        // CPU seconds bound Berth's own work; docker's child runs under its own limits.
        let (code, err) = bounded(dir.path(), 2048, 20, &args);
        assert_eq!(code, Some(0), "{reader}: {err}");
        assert!(
            err.contains("1-65535/udp (65535 ports) not imported"),
            "{reader}: {err}"
        );
        assert!(err.len() < 4_000, "{reader}: {} bytes on stderr", err.len());
        let spec = std::fs::read_to_string(dir.path().join("berth.yaml")).unwrap();
        assert!(spec.contains("53"), "{spec}");
        Berth::new()
            .file(dir.path().join("berth.yaml"))
            .args(["validate"])
            .run()
            .ok();
        // -q: no warning at all.
        let args = ["-q", "import", "--reader", reader, "-o", "-"];
        let (code, err) = bounded(dir.path(), 2048, 20, &args);
        assert_eq!(code, Some(0), "{reader}: {err}");
        assert!(!err.contains("warning"), "{reader}: {err}");
    }
}

#[test]
fn imported_names_are_unique_labels_and_every_rename_is_a_warning() {
    let dir = drill("long-names");
    let r = Berth::new()
        .dir(dir.path())
        .args(["import", "--reader", "builtin"])
        .run()
        .ok();
    assert!(r.stderr.contains("renamed to \"fu-wu\""), "{}", r.stderr);
    assert_eq!(r.stderr.matches("renamed to").count(), 4, "{}", r.stderr);
    let r = Berth::new()
        .file(dir.path().join("berth.yaml"))
        .args(["-o", "json", "resolve", "local"])
        .run()
        .ok();
    let model = r.stdout_json();
    let names: Vec<String> = model["workloads"]
        .as_array()
        .map(|w| {
            w.iter()
                .map(|w| w["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names.len(), 5, "{model}");
    for n in &names {
        assert!(n.len() <= 63 && n.is_ascii(), "{n}");
    }
    assert!(names.contains(&"cafe".to_string()) && names.contains(&"fu-wu".to_string()));
}

/// The pids of processes whose command line mentions `word` (a unique stack name): what a
/// drill left behind.
fn processes_mentioning(word: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()) && *pid != me && alive(pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(word))
        })
        .collect()
}

/// A unique stack in a temp dir: a redis store (a volume, a generated password) and a service
/// whose health waits for /tmp/ready, which every start of its container removes.
fn engine_stack(prefix: &str) -> (tempfile::TempDir, Project) {
    let name = format!("drill-{prefix}-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        r#"name: {name}
services:
  slow:
    image: berth-local/base:bookworm
    command: [sh, -c, "rm -f /tmp/ready; echo slow-started; exec sleep 100000"]
    health: {{ exec: [test, -f, /tmp/ready], interval: 1s, timeout: 2s, retries: 100000 }}
    uses: [cache]
stores:
  cache: {{ type: redis, version: "7", image: "berth-local/redis:7", publish: 0 }}
environments:
  local: {{ platform: compose }}
deployments:
  stores: {{ environment: local, only: stores }}
"#
    );
    std::fs::write(dir.path().join("berth.yaml"), spec).unwrap();
    (dir, Project(name))
}

/// `berth ARGS` in the background, its stderr in `log`.
fn spawn_berth(dir: &Path, args: &[&str], log: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

/// Waits (a safety net, not a measurement) until `log` shows `slow` starting.
fn wait_until_waiting_for_slow(log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text
            .lines()
            // The progress line of `slow`, not the "▸ starting services: slow" step before it.
            .any(|l| l.trim_start().starts_with("slow ") && l.contains("starting ("))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "berth never waited for slow: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn container_of(project: &str, service: &str) -> String {
    let filter = |k: &str, v: &str| format!("label=com.docker.compose.{k}={v}");
    let id = docker(&[
        "ps",
        "-aq",
        "--filter",
        &filter("project", project),
        "--filter",
        &filter("service", service),
    ]);
    let id = id.trim().to_string();
    assert!(!id.is_empty(), "no container of {service}");
    id
}

#[test]
fn engine_drills_lost_secrets_removed_container_down_during_restart_second_checkout() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/base:bookworm"),
        local_image("berth-local/redis:7")
    );
    let (dir, project) = engine_stack("eng");
    let root = dir.path();
    Berth::new().dir(root).args(["deploy", "stores"]).run().ok();

    // 1. secrets.json lost while the store's volume exists: refused, nothing regenerated.
    let secrets = root.join(".berth/secrets.json");
    let kept = std::fs::read_to_string(&secrets).unwrap();
    std::fs::remove_file(&secrets).unwrap();
    let r = Berth::new()
        .dir(root)
        .args(["deploy", "stores"])
        .run()
        .code(1);
    assert!(
        r.stderr.contains("secrets.json holds no value") && r.stderr.contains("cache"),
        "{}",
        r.stderr
    );
    assert!(!secrets.exists(), "a new secrets.json was generated");
    std::fs::write(&secrets, kept).unwrap();

    // 2. The container removed while `up` waits for it: the wait fails at once, naming it
    //    (the timeout is 300 s; a wait that ran out would say so instead).
    let log = root.join("up.log");
    let up = spawn_berth(root, &["up", "--timeout", "300"], &log);
    wait_until_waiting_for_slow(&log);
    docker(&["rm", "-f", &container_of(&project.0, "slow")]);
    let out = up.wait_with_output().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("slow") && err.contains("lost its container"),
        "{err}"
    );

    // 3. `down` from another shell while `restart` waits: refused, naming the restart's pid;
    //    removing the container behind its back fails the restart at once.
    Berth::new().dir(root).args(["up", "--timeout", "5"]).run();
    let slow = container_of(&project.0, "slow");
    assert!(!slow.is_empty(), "slow was not started again");
    let log = root.join("restart.log");
    let restart = spawn_berth(root, &["restart", "slow", "--timeout", "300"], &log);
    wait_until_waiting_for_slow(&log);
    let r = Berth::new().dir(root).args(["down"]).run().code(1);
    assert!(
        r.stderr.contains("busy") && r.stderr.contains(&format!("pid {}", restart.id())),
        "{}",
        r.stderr
    );
    // A second checkout of the same stack (same compose project) is refused too, naming the
    // directory of the holder.
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("berth.yaml"), other.path().join("berth.yaml")).unwrap();
    let r = Berth::new().dir(other.path()).args(["down"]).run().code(1);
    let holder = std::fs::canonicalize(root).unwrap();
    assert!(
        r.stderr
            .contains(&format!("compose project `{}` is busy", project.0))
            && r.stderr.contains(&format!("pid {}", restart.id()))
            && r.stderr.contains(holder.to_str().unwrap()),
        "{}",
        r.stderr
    );
    docker(&["rm", "-f", &container_of(&project.0, "slow")]);
    let out = restart.wait_with_output().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("lost its container"), "{err}");

    // Nothing left behind: no process mentions the stack; the store kept its data volume.
    assert_eq!(processes_mentioning(&project.0), Vec::<String>::new());
    Berth::new()
        .dir(root)
        .args(["down", "--volumes"])
        .run()
        .ok();
}

#[test]
fn ctrl_c_mid_up_leaves_no_process_behind() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/base:bookworm"),
        local_image("berth-local/redis:7")
    );
    let (dir, project) = engine_stack("int");
    let root = dir.path();
    let log = root.join("up.log");
    let up = spawn_berth(root, &["up", "--timeout", "300"], &log);
    // As soon as berth runs docker compose, interrupt it, mid-command.
    let deadline = Instant::now() + Duration::from_secs(120);
    while children(up.id()).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(Command::new("kill")
        .args(["-INT", &up.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = up.wait_with_output().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert_eq!(
        processes_mentioning(&project.0),
        Vec::<String>::new(),
        "{err}"
    );
    // The lock is free: the next command converges.
    Berth::new()
        .dir(root)
        .args(["down", "--volumes"])
        .run()
        .ok();
}

/// What berth prints on a terminal (a pty from `script`), with `vars` set.
fn on_a_terminal(dir: &Path, vars: &[(&str, &str)]) -> String {
    let cmd = format!("{} validate", env!("CARGO_BIN_EXE_berth"));
    let mut c = Command::new("script");
    c.args(["-qfec", &cmd, "/dev/null"])
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .stdin(Stdio::null());
    for (k, v) in vars {
        c.env(k, v);
    }
    String::from_utf8_lossy(&c.output().expect("script (util-linux) runs").stdout).into_owned()
}

#[test]
fn a_dumb_terminal_and_no_color_get_no_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("berth.yaml"), "name: Bad_Name\n").unwrap();
    let colored = on_a_terminal(dir.path(), &[]);
    assert!(
        colored.contains("B1001") && colored.contains('\x1b'),
        "{colored:?}"
    );
    for vars in [[("TERM", "dumb")], [("NO_COLOR", "1")]] {
        let plain = on_a_terminal(dir.path(), &vars);
        assert!(plain.contains("B1001"), "{vars:?}: {plain:?}");
        assert!(!plain.contains('\x1b'), "{vars:?}: {plain:?}");
    }
}
