//! The import runs docker through the process runner it is given: a scripted runner stands in for
//! docker here, without touching the process environment.

use berth_drive::process::{Cmd, Output, Runner};
use berth_import::{import_with, ImportOptions, Reader};
use std::sync::Mutex;

/// Answers `compose version` with `version` and `compose … config` with `config`; records calls.
struct ScriptedDocker {
    version: Option<Output>,
    config: &'static str,
    calls: Mutex<Vec<String>>,
}

impl ScriptedDocker {
    fn answering(config: &'static str) -> Self {
        ScriptedDocker {
            version: Some(ok("Docker Compose version v2.27.0")),
            config,
            calls: Mutex::new(Vec::new()),
        }
    }
    fn missing() -> Self {
        ScriptedDocker {
            version: None,
            config: "",
            calls: Mutex::new(Vec::new()),
        }
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

fn ok(stdout: &str) -> Output {
    Output {
        code: Some(0),
        stdout: stdout.into(),
        stderr: String::new(),
    }
}

impl Runner for ScriptedDocker {
    fn output(&self, cmd: &Cmd) -> std::io::Result<Output> {
        self.calls.lock().unwrap().push(cmd.args.join(" "));
        let missing = || std::io::Error::new(std::io::ErrorKind::NotFound, "docker not installed");
        match cmd.args.last().map(String::as_str) {
            Some("version") => self.version.clone().ok_or_else(missing),
            Some("json") if self.version.is_some() => Ok(ok(self.config)),
            _ => Err(missing()),
        }
    }
    fn interactive(&self, _: &Cmd) -> std::io::Result<Option<i32>> {
        unreachable!("import never runs docker interactively")
    }
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "name: shop\nservices:\n  api:\n    image: acme/api:1.0.0\n    ports: [\"8080:3000\"]\n",
    )
    .unwrap();
    dir
}

#[test]
fn auto_uses_the_builtin_reader_when_docker_is_missing() {
    let dir = project();
    let docker = ScriptedDocker::missing();
    let out = import_with(
        &ImportOptions {
            project_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        },
        &docker,
    )
    .unwrap();
    assert_eq!(out.reader, Reader::Builtin);
    assert!(out.yaml.contains("publish: { http: 8080 }"), "{}", out.yaml);
    assert!(docker.calls().iter().all(|c| c == "compose version"));
}

#[test]
fn auto_reads_what_docker_compose_config_prints() {
    let dir = project();
    // What docker answers wins over the file: the scripted model has a worker the file lacks.
    let docker = ScriptedDocker::answering(
        r#"{"name":"shop","services":{"worker":{"image":"acme/worker:2.0.0","restart":"no"}}}"#,
    );
    let out = import_with(
        &ImportOptions {
            project_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        },
        &docker,
    )
    .unwrap();
    assert_eq!(out.reader, Reader::Docker);
    assert!(
        out.yaml.contains("  worker:\n    kind: job\n"),
        "{}",
        out.yaml
    );
    let configs: Vec<String> = docker
        .calls()
        .into_iter()
        .filter(|c| c.ends_with("config --format json"))
        .collect();
    assert_eq!(
        configs.len(),
        2,
        "the project, then every profile: {configs:?}"
    );
    assert!(configs[1].contains("--profile *"), "{configs:?}");
}
