//! `berth dev` end to end with real host processes: a service whose `dev.run` is a small HTTP
//! server answers; touching a watched file restarts it exactly once; killing it restarts it;
//! SIGINT ends every child and Berth exits 0. And the mistakes a new user makes: a command
//! that does not exist, a port in use, a crash loop, a watch path that does not exist.

mod common;

use common::dev::{free_port, signal, DevSession};
use common::TempProject;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

/// A project with one native service `web`: `python3 -m http.server` on `port`, watching `web/`.
fn project(port: u16, run: &str, watch: &str) -> TempProject {
    let p = TempProject::empty();
    p.write(
        "berth.yaml",
        &format!(
            "name: devtest\nservices:\n  web:\n    image: example/web:1\n    ports: {{ http: {port} }}\n    health: {{ http: {{ path: / }} }}\n    env: {{ GREETING: hello }}\n    dev: {{ run: \"{run}\", watch: [{watch}], workdir: web }}\nenvironments:\n  dev: {{ platform: native }}\n"
        ),
    );
    p.write("web/index.html", "hello\n");
    p.write(".gitignore", "*.log\n");
    p
}

fn http_server(port: u16) -> String {
    format!("exec python3 -u -m http.server {port} --bind 127.0.0.1")
}

fn alive(pid: u64) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

/// Processes whose command line mentions `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(marker) && !cmd.contains("kill") && alive(name.parse().unwrap()) {
            found.push(format!("{name}: {cmd}"));
        }
    }
    found
}

fn state(p: &TempProject) -> Value {
    std::fs::read_to_string(p.path().join(".berth/dev/dev.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

fn web(p: &TempProject) -> Value {
    state(p)["processes"][0].clone()
}

/// Poll the state file until `ok` holds for the web process (at most 30 s, `berth dev` up).
fn until(p: &TempProject, s: &mut DevSession, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    s.until(30, what, |_| Some(web(p)).filter(|w| ok(w)))
}

fn get(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

fn python() -> bool {
    Command::new("python3").arg("--version").output().is_ok()
}

#[test]
fn dev_serves_restarts_once_per_change_and_on_kill_and_stops_everything() {
    if !python() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let port = free_port();
    let p = project(port, &http_server(port), "web");
    let mut s = p.berth().arg("dev").spawn();
    let ready = |w: &Value| w["state"] == "ready";
    let first = until(&p, &mut s, "ready", ready);
    assert_eq!(first["restarts"], 0);
    assert!(get(port).unwrap().contains("hello"), "it answers");

    // A change restarts it exactly once, also for a burst of writes; an ignored file does not.
    p.write("web/debug.log", "ignored\n");
    for i in 0..3 {
        p.write("web/index.html", &format!("hello again {i}\n"));
    }
    let after = until(&p, &mut s, "restart on change", |w| {
        w["restarts"] == 1 && ready(w) && w["pid"] != first["pid"]
    });
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        web(&p)["restarts"],
        1,
        "one restart per burst:\n{}",
        s.output()
    );
    assert!(get(port).unwrap().contains("hello again 2"));

    // Killing it restarts it (reported).
    let pid = after["pid"].as_u64().unwrap();
    signal(pid as u32, "KILL");
    let revived = until(&p, &mut s, "restart after kill", |w| {
        w["restarts"] == 2 && ready(w) && w["pid"] != after["pid"]
    });
    assert!(get(port).is_some());
    assert!(
        s.output().contains("exited (killed by a signal)"),
        "{}",
        s.output()
    );

    // Another terminal: status, restart, logs of the running session.
    let status = p
        .berth()
        .args(["-o", "json", "status", "dev"])
        .run()
        .ok()
        .stdout_json();
    assert_eq!(status["running"], true);
    assert_eq!(status["processes"][0]["pid"], revived["pid"]);
    assert_eq!(status["processes"][0]["restarts"], 2);
    assert!(
        status["processes"][0]["last_exit"].is_null(),
        "killed: no exit code"
    );
    let restarted = p.berth().args(["restart", "web", "-e", "dev"]).run().ok();
    assert!(
        restarted.stderr.contains("web restarted"),
        "{}",
        restarted.stderr
    );
    let revived = until(&p, &mut s, "requested restart", |w| {
        w["restarts"] == 3 && ready(w)
    });
    let logs = p.berth().args(["logs", "web", "-e", "dev"]).run().ok();
    assert!(
        logs.stdout.contains("[berth] restarting (request)"),
        "{}",
        logs.stdout
    );
    assert!(
        logs.stdout.contains("Serving HTTP on 127.0.0.1"),
        "{}",
        logs.stdout
    );

    // SIGINT: everything stops, exit 0, nothing left.
    assert_eq!(s.interrupt(Duration::from_secs(15)), 0, "{}", s.output());
    assert!(!alive(revived["pid"].as_u64().unwrap()));
    let marker = format!("http.server {port}");
    assert_eq!(processes_with(&marker), Vec::<String>::new());
    assert_eq!(state(&p)["state"], "stopped");
    let out = s.output();
    assert!(
        out.contains("web | Serving HTTP on 127.0.0.1"),
        "multiplexed prefix:\n{out}"
    );
}

/// `berth dev` on a broken project: exits 1 with one clear message naming the service.
fn fails_with(p: &TempProject, needles: &[&str]) {
    let mut s = p.berth().arg("dev").spawn();
    let code = s.wait(Duration::from_secs(30));
    let out = s.output();
    assert_eq!(code, Some(1), "{out}");
    for n in needles {
        assert!(out.contains(n), "`{n}` not in:\n{out}");
    }
    assert_eq!(state(p)["state"], "stopped", "{out}");
}

#[test]
fn a_missing_command_names_the_service() {
    let p = project(free_port(), "no-such-dev-server --watch", "web");
    fails_with(
        &p,
        &["service `web`: the command of `dev.run` was not found: `no-such-dev-server --watch`"],
    );
}

#[test]
fn a_port_in_use_names_the_service_and_the_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let p = project(port, &http_server(port), "web");
    fails_with(
        &p,
        &[&format!(
            "service `web`: port {port} on 127.0.0.1 is already in use"
        )],
    );
}

#[test]
fn a_crash_loop_names_the_service() {
    let p = project(free_port(), "echo starting; exit 3", "web");
    fails_with(
        &p,
        &[
            "service `web` keeps crashing: it exited 5 times in a row before becoming ready (last exit code 3)",
            "exited (exit 3); restarting in 250 ms",
        ],
    );
}

#[test]
fn a_missing_watch_path_names_the_service() {
    let p = project(free_port(), "true", "src");
    let run = p.berth().arg("dev").run().code(1);
    assert!(
        run.stderr
            .contains("service `web`: the watch path `src` does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn dry_run_shows_the_plan_with_host_wiring() {
    let p = TempProject::empty();
    p.write(
        "berth.yaml",
        "name: mixed\nservices:\n  api:\n    image: example/api:1\n    ports: { http: 8080 }\n    publish: { http: 18080 }\n    health: { http: { path: /health } }\n    uses: [cache, worker]\n    dev: { run: npm run dev, watch: [src] }\n  worker:\n    image: example/worker:1\n    ports: { http: 9000 }\nstores:\n  cache: { type: redis, version: \"7\", publish: 16379 }\nenvironments:\n  dev: { platform: native }\n",
    );
    let run = p
        .berth()
        .args(["-o", "json", "dev", "--dry-run"])
        .run()
        .ok();
    let plan = run.stdout_json();
    let api = &plan["processes"][0];
    assert_eq!(api["name"], "api");
    assert_eq!(api["readiness"]["url"], "http://127.0.0.1:18080/health");
    let env: std::collections::BTreeMap<String, String> = api["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().into(),
                v["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(env["CACHE_HOST"], "127.0.0.1");
    assert_eq!(env["CACHE_PORT"], "16379");
    assert_eq!(env["WORKER_URL"], "http://127.0.0.1:9000");
    assert!(
        env["CACHE_URL"].contains("${secret:cache-password}@127.0.0.1:16379"),
        "{env:?}"
    );
    assert_eq!(plan["secrets"][0]["name"], "cache-password");
    let containers = &plan["containers"];
    assert_eq!(containers["stores"][0]["name"], "cache");
    assert_eq!(containers["workloads"][0]["service"], "worker");
    assert!(
        !run.stdout.contains("\"service\": \"api\""),
        "api is a process, not a container"
    );
    // Nothing written by a dry run.
    assert!(!p.path().join(".berth").exists());
}
