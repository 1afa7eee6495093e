//! `berth dev` with stores realized `process` (native environments): redis-server and postgres
//! run as host processes with their data under `.berth/data/<store>/`, on the store's port,
//! with the password the wiring carries; Ctrl-C stops them. A missing server program is one
//! clear message naming the store and the program.

mod common;

use berth_testkit::{require, POSTGRES_SERVER, REDIS_SERVER};
use common::dev::free_port;
use common::TempProject;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

/// A native project: store `db` of `kind` realized `process` on `port`, and a service that
/// prints its wiring and waits.
fn project(kind: &str, port: u16) -> TempProject {
    let p = TempProject::empty();
    let version = if kind == "redis" { "7" } else { "15" };
    p.write(
        "berth.yaml",
        &format!(
            "name: storeproc\nservices:\n  app:\n    image: example/app:1\n    uses: [db]\n    dev: {{ run: \"echo URL=$DB_URL; exec sleep 600\" }}\nstores:\n  db: {{ type: {kind}, version: \"{version}\", publish: {port} }}\nenvironments:\n  dev: {{ platform: native, stores: {{ db: process }} }}\n"
        ),
    );
    p
}

/// The URL the service printed (`URL=...`).
fn printed_url(out: &str) -> String {
    out.lines()
        .find_map(|l| l.split_once("| URL=").map(|(_, u)| u.trim().to_string()))
        .unwrap_or_else(|| panic!("no URL in:\n{out}"))
}

fn accepts(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn redis_runs_on_the_host_with_its_password_and_data_and_stops_on_ctrl_c() {
    require!(REDIS_SERVER);
    let port = free_port();
    let p = project("redis", port);
    let mut s = p.berth().arg("dev").spawn();
    s.wait_for("| URL=", 60);
    let url = printed_url(&s.output());
    // redis://default:PASSWORD@127.0.0.1:PORT/0
    let password = url
        .strip_prefix("redis://default:")
        .and_then(|r| r.split_once('@'))
        .map(|(pw, host)| {
            assert_eq!(host, format!("127.0.0.1:{port}/0"));
            pw.to_string()
        })
        .unwrap_or_else(|| panic!("{url}"));
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(c, "PING\r\nAUTH {password}\r\nSET k v\r\nGET k\r\n").unwrap();
    let mut answer = String::new();
    let end = Instant::now() + Duration::from_secs(5);
    while !answer.contains("$1\r\nv\r\n") && Instant::now() < end {
        let mut buf = [0u8; 256];
        let n = c.read(&mut buf).unwrap_or(0);
        answer.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(
        answer.starts_with("-NOAUTH"),
        "a password is required: {answer:?}"
    );
    assert!(answer.contains("+OK\r\n+OK\r\n$1\r\nv\r\n"), "{answer:?}");
    assert!(p.path().join(".berth/data/db").is_dir());
    assert_eq!(s.interrupt(Duration::from_secs(30)), 0, "{}", s.output());
    assert!(!accepts(port), "redis-server still listens");
}

#[test]
fn postgres_runs_on_the_host_with_its_database_and_stops_on_ctrl_c() {
    require!(POSTGRES_SERVER);
    let port = free_port();
    let p = project("postgres", port);
    // As root the server runs as `postgres`, which must reach the project directory.
    let _ = Command::new("chmod").args(["755"]).arg(p.path()).status();
    let mut s = p.berth().arg("dev").spawn();
    s.wait_for("| URL=", 120);
    let url = printed_url(&s.output());
    assert!(url.contains(&format!("@127.0.0.1:{port}/db")), "{url}");
    let out = Command::new("psql")
        .args([
            url.as_str(),
            "-tAc",
            "select current_user || ' ' || current_database()",
        ])
        .output()
        .expect("psql runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "app db",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(p.path().join(".berth/data/db/PG_VERSION").is_file());
    assert_eq!(s.interrupt(Duration::from_secs(30)), 0, "{}", s.output());
    assert!(!accepts(port), "postgres still listens");
}

#[test]
fn a_missing_server_program_names_the_store_and_the_program() {
    let p = project("redis", free_port());
    let empty = tempfile::tempdir().unwrap();
    let run = p
        .berth()
        .env("PATH", empty.path().to_str().unwrap())
        .arg("dev")
        .run();
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains(
            "store `db`: `redis-server` is not installed (on PATH), and the store's `process` realization runs it on this host"
        ) && run.stderr.contains("`stores: { db: host }`"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join(".berth/data").exists(), "nothing started");
}

#[test]
fn dry_run_shows_the_store_process() {
    let port = free_port();
    let p = project("postgres", port);
    let run = p
        .berth()
        .args(["-o", "json", "dev", "--dry-run"])
        .run()
        .ok();
    let plan = run.stdout_json();
    let db = &plan["processes"][0];
    assert_eq!(db["name"], "db");
    assert_eq!(db["kind"], "store");
    assert_eq!(db["ports"], serde_json::json!([port]));
    assert_eq!(db["requires"], serde_json::json!(["initdb", "postgres"]));
    assert_eq!(db["readiness"]["port"], port);
    assert!(db["run"].as_str().unwrap().contains(".berth/data/db"));
    assert_eq!(plan["processes"][1]["name"], "app");
    assert!(
        plan["containers"].is_null(),
        "no container: {}",
        plan["containers"]
    );
}

#[test]
fn a_store_port_in_use_names_the_store() {
    require!(REDIS_SERVER);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let p = project("redis", port);
    let run = p.berth().arg("dev").run();
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains(&format!(
            "store `db`: port {port} on 127.0.0.1 is already in use by another program; stop it, or give the store another `publish` port"
        )),
        "{}",
        run.stderr
    );
}
