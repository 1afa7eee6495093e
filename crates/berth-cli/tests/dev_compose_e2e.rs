//! `berth dev` on a compose environment, against the real engine: two services built from local
//! Dockerfiles (FROM berth-local/base); `web` has a dev mode (`dev.sync` of its static files,
//! `dev.watch` of its requirements file). A change to a synced file is visible in the running
//! container without a rebuild (same container, same image); a change to the rebuild trigger
//! rebuilds `web`'s image and recreates its container while `other` is untouched; SIGINT stops
//! the containers, leaves no `docker compose watch` behind and exits 0.

mod common;

use berth_testkit::{local_image, require, DOCKER_COMPOSE, DOCKER_ENGINE};
use common::docker::{docker, remove_project};
use common::Berth;
use std::path::Path;
use std::time::Duration;

const BASE: &str = "berth-local/base:bookworm";

/// A service image: the base, its files, a loop that stops at once on SIGTERM.
const DOCKERFILE: &str = "FROM berth-local/base:bookworm\nCOPY . /app\nCMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; while sleep 1; do :; done\"]\n";

/// The project: `web` (dev mode) and `other` (none), each built from its own directory.
struct Stack {
    dir: tempfile::TempDir,
    name: String,
}

impl Stack {
    fn new() -> Stack {
        let name = format!("bt-devc-{}", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let s = Stack { dir, name };
        s.write(
            "berth.yaml",
            &format!(
                "name: {}\nservices:\n  web:\n    build: {{ context: web }}\n    health: {{ exec: [test, -f, /app/static/index.html], interval: 1s }}\n    dev:\n      watch: [web/requirements.txt, web/static]\n      sync: {{ /app/static: web/static }}\n  other:\n    build: {{ context: other }}\n    health: {{ exec: [\"true\"], interval: 1s }}\nenvironments:\n  local: {{ platform: compose }}\n",
                s.name
            ),
        );
        for svc in ["web", "other"] {
            s.write(&format!("{svc}/Dockerfile"), DOCKERFILE);
            s.write(&format!("{svc}/requirements.txt"), "flask==1\n");
        }
        s.write("web/static/index.html", "one\n");
        s
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// The running container of a service: (id, image id), None when there is none.
    fn container(&self, service: &str) -> Option<(String, String)> {
        let id = docker(&[
            "ps",
            "-q",
            "--no-trunc",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
            "--filter",
            &format!("label=com.docker.compose.service={service}"),
        ]);
        let id = id.lines().next()?.to_string();
        let image = docker(&["inspect", "-f", "{{.Image}}", &id])
            .trim()
            .to_string();
        Some((id, image))
    }

    fn cat(&self, id: &str, path: &str) -> String {
        docker(&["exec", id, "cat", path]).trim().to_string()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        remove_project(&self.name);
        let images = docker(&[
            "images",
            "-q",
            "--filter",
            &format!("reference={}/*", self.name),
        ]);
        for id in images.lines() {
            docker(&["rmi", "-f", id]);
        }
    }
}

/// Processes whose command line names the compose project (a `docker compose watch` left behind).
fn processes_naming(project: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmd.contains(project) && cmd.contains("watch") {
            out.push(cmd);
        }
    }
    out
}

#[test]
fn dry_run_shows_the_sync_and_rebuild_rules() {
    let s = Stack::new();
    let run = Berth::new()
        .dir(s.path())
        .args(["-o", "json", "dev", "local", "--dry-run"])
        .run()
        .ok();
    let plan = run.stdout_json();
    assert_eq!(plan["platform"], "compose");
    assert_eq!(
        plan["containers"]["files"],
        serde_json::json!([
            "compose.stores.yaml",
            "compose.services.yaml",
            "compose.dev.yaml"
        ])
    );
    assert_eq!(
        plan["watch"],
        serde_json::json!([{ "service": "web", "rules": [
            { "action": "sync", "path": "web/static", "target": "/app/static" },
            { "action": "rebuild", "path": "web/requirements.txt" },
            { "action": "rebuild", "path": "web/Dockerfile" },
        ]}])
    );
    let text = Berth::new()
        .dir(s.path())
        .args(["dev", "local", "--dry-run"])
        .run()
        .ok();
    assert!(
        text.stdout.contains("sync: web/static -> /app/static"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("watch --no-up"), "{}", text.stdout);
    assert!(
        !s.path().join(".berth").exists(),
        "a dry run writes nothing"
    );
}

#[test]
fn a_missing_sync_path_is_one_clear_error() {
    let s = Stack::new();
    std::fs::remove_dir_all(s.path().join("web/static")).unwrap();
    let run = Berth::new()
        .dir(s.path())
        .args(["dev", "local", "--dry-run"])
        .run()
        .code(1);
    assert!(run.stderr.contains("B2042"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`web/static` (synced into `web` by `dev.sync`) does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn sync_without_rebuild_and_rebuild_of_only_that_service() {
    require!(DOCKER_ENGINE, DOCKER_COMPOSE, local_image(BASE));
    let stack = Stack::new();
    let mut s = Berth::new()
        .dir(stack.path())
        .args(["dev", "local"])
        .spawn();
    s.wait_for("Watch enabled", 240);
    let (web, web_image) = stack.container("web").expect("web runs");
    let (other, other_image) = stack.container("other").expect("other runs");
    assert_eq!(stack.cat(&web, "/app/static/index.html"), "one");

    // A synced file: copied into the same container, no new image.
    stack.write("web/static/index.html", "two\n");
    s.until(30, "the synced file in the container", |_| {
        (stack.cat(&web, "/app/static/index.html") == "two").then_some(())
    });
    assert_eq!(
        stack.container("web"),
        Some((web.clone(), web_image.clone()))
    );

    // The rebuild trigger: a new image and container for web, other untouched.
    stack.write("web/requirements.txt", "flask==2\n");
    let (web2, web2_image) = s.until(180, "web recreated", |_| {
        stack.container("web").filter(|(id, _)| *id != web)
    });
    assert_ne!(web2_image, web_image, "web's image is rebuilt");
    s.until(30, "the new requirements in web", |_| {
        (stack.cat(&web2, "/app/requirements.txt") == "flask==2").then_some(())
    });
    assert_eq!(stack.container("other"), Some((other, other_image)));

    // Ctrl-C: containers stopped, nothing left, exit 0.
    let code = s.interrupt(Duration::from_secs(90));
    assert_eq!(code, 0, "{}", s.output());
    assert_eq!(stack.container("web"), None, "{}", s.output());
    assert_eq!(stack.container("other"), None);
    assert_eq!(processes_naming(&stack.name), Vec::<String>::new());
}
