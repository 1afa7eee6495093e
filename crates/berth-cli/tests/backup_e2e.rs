//! `berth backup` and `berth restore` on the real Docker engine: PostgreSQL and Redis hold
//! data, are backed up, destroyed (`down --volumes`, then an empty `up`), restored, and give
//! the data back. Unique project name, no published port, everything removed at the end.

mod common;

use berth_testkit::{local_image, require, DOCKER_COMPOSE, DOCKER_ENGINE};
use common::Berth;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const SPEC: &str = r#"name: NAME
stores:
  pg: { type: postgres, image: "berth-local/postgres:15", publish: 0, backup: { schedule: "0 3 * * *" } }
  cache: { type: redis, image: "berth-local/redis:7", publish: 0 }
environments:
  local: { platform: compose }
"#;

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs")
}

struct Stack {
    dir: tempfile::TempDir,
    name: String,
}

/// PostgreSQL backed up to the stack's bucket (LocalStack's stand-in: moto).
const S3_SPEC: &str = r#"name: NAME
stores:
  pg: { type: postgres, image: "berth-local/postgres:15", publish: 0, backup: { schedule: "0 3 * * *", retain: 2 } }
  vault: { type: s3, image: "berth-local/localstack:4", publish: 0 }
environments:
  local: { platform: compose }
"#;

impl Stack {
    fn new() -> Stack {
        Stack::with(SPEC, "backup")
    }

    fn with(spec: &str, tag: &str) -> Stack {
        let name = format!("bt-ship-{tag}-{}", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("berth.yaml"), spec.replace("NAME", &name)).unwrap();
        Stack { dir, name }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("berth.yaml")
    }

    fn berth(&self, args: &[&str]) -> common::Run {
        Berth::new().file(self.file()).args(args).run()
    }

    fn container(&self, service: &str) -> String {
        let project = format!("label=com.docker.compose.project={}", self.name);
        let svc = format!("label=com.docker.compose.service={service}");
        let out = docker(&["ps", "-q", "--filter", &project, "--filter", &svc]);
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(!id.is_empty(), "no running container of {service}");
        id
    }

    /// `sh -c SCRIPT` in the store's container (its password variables are there).
    fn sh(&self, service: &str, script: &str) -> String {
        let id = self.container(service);
        let out = docker(&["exec", &id, "sh", "-c", script]);
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn psql(&self, sql: &str) -> String {
        self.sh(
            "pg",
            &format!("PGPASSWORD=\"$POSTGRES_PASSWORD\" psql -h 127.0.0.1 -U \"$POSTGRES_USER\" -d pg -tAc \"{sql}\""),
        )
    }

    fn redis(&self, cmd: &str) -> String {
        self.sh(
            "cache",
            &format!("redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning {cmd}"),
        )
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.name);
        let out = docker(&["ps", "-aq", "--filter", &label]);
        for id in String::from_utf8_lossy(&out.stdout).lines() {
            docker(&["rm", "-f", "-v", id]);
        }
        let out = docker(&["volume", "ls", "-q", "--filter", &label]);
        for v in String::from_utf8_lossy(&out.stdout).lines() {
            docker(&["volume", "rm", "-f", v]);
        }
        docker(&["network", "rm", &format!("{}-net", self.name)]);
    }
}

#[test]
fn postgres_and_redis_round_trip_through_backup_and_restore() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/redis:7"),
        local_image("berth-local/postgres:15"),
    );
    let stack = Stack::new();
    stack.berth(&["up", "local"]).ok();
    stack.psql(
        "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept through a restore')",
    );
    assert_eq!(stack.redis("SET greeting hello"), "OK");

    // The plan first: what a backup runs, written nowhere.
    let plan = stack
        .berth(&["backup", "local", "pg", "--dry-run", "-o", "json"])
        .ok();
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(plan["done"], false);
    assert!(plan["compose"]["steps"].to_string().contains("pg_dump"));
    assert!(!stack.dir.path().join(".berth/backups").exists());

    let mut ids = Vec::new();
    for store in ["pg", "cache"] {
        let r = stack.berth(&["backup", "local", store, "-o", "json"]).ok();
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let file = PathBuf::from(v["compose"]["file"].as_str().unwrap());
        assert!(
            std::fs::metadata(&file).unwrap().len() > 0,
            "{}",
            file.display()
        );
        ids.push(v["compose"]["id"].as_str().unwrap().to_string());
    }

    // Destroy: the data volumes go, the stores come back empty.
    stack.berth(&["down", "local", "--volumes"]).ok();
    stack.berth(&["up", "local"]).ok();
    assert_eq!(
        stack.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'notes'"),
        "0"
    );
    assert_eq!(stack.redis("GET greeting"), "");

    stack
        .berth(&["restore", "local", "pg", "--from", &ids[0]])
        .ok();
    stack.berth(&["restore", "local", "cache"]).ok();
    assert_eq!(
        stack.psql("SELECT body FROM notes"),
        "kept through a restore"
    );
    assert_eq!(stack.redis("GET greeting"), "hello");

    // An unknown backup is an error that lists the ones there are.
    let r = stack.berth(&["restore", "local", "pg", "--from", "19700101T000000Z"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(&ids[0]), "{}", r.stderr);
}

#[test]
fn postgres_round_trips_through_the_stacks_bucket() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/postgres:15"),
        local_image("berth-local/localstack:4"),
    );
    let stack = Stack::with(S3_SPEC, "s3backup");
    stack.berth(&["up", "local"]).ok();
    stack.psql("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept in the bucket')");
    // A backup older than `retain` (2 days) already in the bucket: the next backup prunes it.
    let old = "s3://vault/backups/pg/pg-20000101T000000Z.pgdump";
    stack.sh("vault", &format!("awslocal s3 cp /etc/hostname {old}"));
    let ls = || stack.sh("vault", "awslocal s3 ls s3://vault/backups/pg/");
    assert!(ls().contains("pg-20000101T000000Z.pgdump"));

    let r = stack.berth(&["backup", "local", "pg", "-o", "json"]).ok();
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let id = v["compose"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        v["compose"]["object"],
        format!("s3://vault/backups/pg/pg-{id}.pgdump")
    );
    let listing = ls();
    assert!(listing.contains(&format!("pg-{id}.pgdump")), "{listing}");
    assert!(
        !listing.contains("pg-20000101T000000Z"),
        "not pruned: {listing}"
    );

    // The host's copy goes and the data with it: the restore reads the bucket.
    std::fs::remove_dir_all(stack.dir.path().join(".berth/backups")).unwrap();
    stack.psql("DROP TABLE notes");
    let plan = stack
        .berth(&["restore", "local", "pg", "--dry-run", "-o", "json"])
        .ok();
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(
        plan["compose"]["id"],
        id.as_str(),
        "the newest in the bucket"
    );
    stack.berth(&["restore", "local", "pg"]).ok();
    assert_eq!(stack.psql("SELECT body FROM notes"), "kept in the bucket");

    let r = stack.berth(&["restore", "local", "pg", "--from", "19700101T000000Z"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("s3://vault/backups/pg/") && r.stderr.contains(&id),
        "{}",
        r.stderr
    );
}
