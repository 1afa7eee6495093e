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

/// Removes a compose project's containers and volumes, pass or fail.
struct Project(String);

impl Drop for Project {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.0);
        for id in docker(&["ps", "-aq", "--filter", &label]).lines() {
            docker(&["rm", "-f", "-v", id]);
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
