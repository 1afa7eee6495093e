//! An imported project on the real Docker engine: a compose file with a bind-mounted config
//! file, a volume shared by two services, `*_FILE` secrets (one of them the store's password,
//! read by the service from the same file) and a store with its own data volume and init
//! scripts goes through `berth import` → `berth up`, comes up healthy, and its data survives
//! `berth down` and a second `berth up`. Only the locally built `berth-local/*` images are used;
//! the project name is unique and everything it created is removed at the end.

mod common;

use berth_testkit::{local_image, require, DOCKER_COMPOSE, DOCKER_ENGINE};
use common::docker::{docker, Cleanup};
use common::Berth;
use std::path::Path;
use std::process::Command;

const COMPOSE: &str = r#"name: PROJECT
services:
  db:
    image: berth-local/postgres:15
    environment:
      POSTGRES_DB: app
      POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    secrets: [db_password]
    volumes:
      - db_data:/var/lib/postgresql/data
      - ./initdb:/docker-entrypoint-initdb.d:ro
  web:
    image: berth-local/base:bookworm
    command: ["sh", "-c", "echo boot >> /shared/boots && exec sleep infinity"]
    environment:
      API_TOKEN_FILE: /run/secrets/api_token
      DB_PASSWORD_FILE: /run/secrets/db_password
      DATABASE_URL: postgres://postgres:secret@db:5432/app
    secrets: [api_token, db_password]
    volumes:
      - ./app.conf:/etc/app/app.conf:ro
      - shared:/shared
    depends_on: [db]
    healthcheck:
      test: ["CMD", "sh", "-c", "grep -q greeting /etc/app/app.conf && test \"$$(cat /run/secrets/api_token)\" = s3cret && test -f /shared/boots"]
      interval: 1s
      retries: 30
  worker:
    image: berth-local/base:bookworm
    command: ["sh", "-c", "exec sleep infinity"]
    volumes:
      - shared:/data/shared
secrets:
  api_token:
    file: ./api_token.txt
  db_password:
    file: ./db_password.txt
volumes:
  db_data: {}
  shared: {}
"#;

fn berth(dir: &Path, args: &[&str]) -> common::Run {
    Berth::new().dir(dir).args(args).run().ok()
}

#[test]
fn imported_project_comes_up_healthy_and_keeps_its_data() {
    require!(
        DOCKER_ENGINE,
        DOCKER_COMPOSE,
        local_image("berth-local/base:bookworm"),
        local_image("berth-local/postgres:15"),
    );
    let project = format!("bt-import-{}", std::process::id());
    let _cleanup = Cleanup(project.clone());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("compose.yaml"),
        COMPOSE.replace("PROJECT", &project),
    )
    .unwrap();
    std::fs::write(dir.join("app.conf"), "greeting = hello\n").unwrap();
    std::fs::write(dir.join("api_token.txt"), "s3cret\n").unwrap();
    std::fs::write(dir.join("db_password.txt"), "db-pw-from-file\n").unwrap();
    std::fs::create_dir(dir.join("initdb")).unwrap();
    std::fs::write(
        dir.join("initdb/01-seed.sql"),
        "CREATE TABLE seeded (v text); INSERT INTO seeded VALUES ('from-init');\n",
    )
    .unwrap();

    berth(dir, &["import"]);
    let up = berth(dir, &["up"]);
    assert!(up.stderr.contains("web"), "{}", up.stderr);
    let web = format!("{project}-web-1");
    let boots = || docker(&["exec", &web, "cat", "/shared/boots"]);
    assert_eq!(boots(), "boot\n");
    // The volume is shared: the worker sees what the web service wrote.
    let worker = format!("{project}-worker-1");
    let seen = docker(&["exec", &worker, "cat", "/data/shared/boots"]);
    assert_eq!(seen, "boot\n");
    // The store keeps its data in the project's own volume, under compose's real name.
    let volumes = docker(&["volume", "ls", "-q"]);
    assert!(
        volumes.lines().any(|v| v == format!("{project}_db_data")),
        "{volumes}"
    );
    let marker = format!("{project}-db-1");
    let psql = |sql: &str| {
        let out = Command::new("docker")
            .args(["exec", &marker, "sh", "-c"])
            .arg(format!(
                "psql -U \"${{POSTGRES_USER:-postgres}}\" -d app -tAc \"{sql}\""
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    psql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')");
    // The init scripts ran: they are mounted into the store at the same path.
    assert_eq!(psql("SELECT v FROM seeded").trim(), "from-init");
    // The store's password is the secret file the service reads, over a password login.
    let web_password = docker(&["exec", &web, "cat", "/run/secrets/db_password"]);
    assert_eq!(web_password.trim(), "db-pw-from-file");
    let login = Command::new("docker")
        .args([
            "exec",
            "-e",
            "PGPASSWORD=db-pw-from-file",
            &marker,
            "sh",
            "-c",
        ])
        .arg("psql -h 127.0.0.1 -U \"$POSTGRES_USER\" -d app -tAc 'SELECT 1'")
        .output()
        .unwrap();
    assert!(
        login.status.success(),
        "login with the file's password: {}",
        String::from_utf8_lossy(&login.stderr)
    );

    berth(dir, &["down"]);
    berth(dir, &["up"]);
    assert_eq!(boots(), "boot\nboot\n", "the shared volume survived down");
    assert_eq!(psql("SELECT v FROM kept").trim(), "survives");
    berth(dir, &["down"]);
}
