//! Reads a compose project through the real `docker compose config --format json`, run through
//! berth-drive's process runner (tests hand in a scripted one).

use crate::error::ImportError;
use crate::options::{ImportOptions, Inputs};
use berth_drive::process::{tail, Cmd, Limits, Runner};
use std::io::ErrorKind;
use std::time::Duration;

/// The bounds of `docker compose config`: a YAML alias bomb or a huge project makes it grow
/// without end, so it is stopped (with everything it started) at 1.5 GiB of address space
/// (about 300 MB resident for the Go runtime) or after 60 seconds. `--reader builtin` has its
/// own bounds and rejects such files at once.
pub const CONFIG_LIMITS: Limits = Limits {
    memory: Some(1536 << 20),
    timeout: Some(Duration::from_secs(60)),
};

/// What a hermetic run keeps from the process environment: only what the docker CLI needs.
const DOCKER_ENV: [&str; 6] = [
    "PATH",
    "HOME",
    "DOCKER_HOST",
    "DOCKER_CONFIG",
    "DOCKER_CONTEXT",
    "XDG_RUNTIME_DIR",
];

/// The docker CLI to run: `BERTH_DOCKER` when set (tests point it elsewhere), else `docker`.
fn program() -> String {
    std::env::var("BERTH_DOCKER").unwrap_or_else(|_| "docker".into())
}

/// Whether the `docker compose` plugin answers.
pub fn available(runner: &dyn Runner) -> bool {
    runner
        .output(&Cmd::new(program()).args(["compose", "version"]))
        .is_ok_and(|o| o.success())
}

/// The `docker compose … config --format json` invocation for these inputs.
pub fn config_cmd(inputs: &Inputs, opts: &ImportOptions) -> Cmd {
    let mut cmd = Cmd::new(program()).args([
        "compose".to_string(),
        "--project-directory".to_string(),
        inputs.project_dir.to_string_lossy().into_owned(),
    ]);
    for f in &inputs.files {
        cmd = cmd.arg("-f").arg(f.to_string_lossy());
    }
    for p in &opts.profiles {
        cmd = cmd.arg("--profile").arg(p);
    }
    if let Some(n) = &opts.project_name {
        cmd = cmd.arg("--project-name").arg(n);
    }
    if let Some(env) = &opts.environment {
        cmd = cmd.env_clear();
        for k in DOCKER_ENV {
            if let Ok(v) = std::env::var(k) {
                cmd = cmd.env(k, v);
            }
        }
        for (k, v) in env {
            cmd = cmd.env(k, v);
        }
    }
    cmd.args(["config", "--format", "json"])
        .limits(CONFIG_LIMITS)
}

/// Runs `docker compose … config --format json` and returns its JSON.
pub fn config(
    runner: &dyn Runner,
    inputs: &Inputs,
    opts: &ImportOptions,
) -> Result<serde_json::Value, ImportError> {
    let out = runner
        .output(&config_cmd(inputs, opts))
        .map_err(|e| match e.kind() {
            ErrorKind::Interrupted => ImportError::Interrupted,
            ErrorKind::TimedOut => ImportError::Docker(format!("{e}; {BUILTIN_HINT}")),
            _ => ImportError::DockerUnavailable(e.to_string()),
        })?;
    if !out.success() {
        let err = out.stderr.trim().to_string();
        if err.contains("is not a docker command") || err.contains("unknown command") {
            return Err(ImportError::DockerUnavailable(err));
        }
        return Err(ImportError::Docker(failure(out.code, &err)));
    }
    serde_json::from_str(&out.stdout)
        .map_err(|e| ImportError::Docker(format!("unreadable JSON from docker compose: {e}")))
}

const BUILTIN_HINT: &str =
    "`--reader builtin` reads the project without docker and within fixed bounds";

/// What a failed `docker compose config` said (its last lines), or how it ended when it said
/// nothing.
fn failure(code: Option<i32>, stderr: &str) -> String {
    if stderr.is_empty() {
        return match code {
            Some(c) => format!("exit {c} without a message; {BUILTIN_HINT}"),
            None => format!("killed by a signal without a message; {BUILTIN_HINT}"),
        };
    }
    let lines = stderr.lines().count();
    if lines <= 10 {
        return stderr.to_string();
    }
    let head = stderr.lines().next().unwrap_or("");
    let hint = if stderr.contains("memory limit") {
        format!("; {BUILTIN_HINT}")
    } else {
        String::new()
    };
    format!("{head}{}{hint}", tail(stderr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_drive::process::Output;
    use std::path::PathBuf;
    use std::sync::Mutex;

    /// Answers every command with one scripted result and records what was run.
    struct Scripted {
        answer: std::io::Result<Output>,
        ran: Mutex<Vec<Cmd>>,
    }

    impl Scripted {
        fn new(code: i32, stdout: &str, stderr: &str) -> Self {
            Scripted {
                answer: Ok(Output {
                    code: Some(code),
                    stdout: stdout.into(),
                    stderr: stderr.into(),
                }),
                ran: Mutex::new(Vec::new()),
            }
        }
        fn missing() -> Self {
            Scripted {
                answer: Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no docker",
                )),
                ran: Mutex::new(Vec::new()),
            }
        }
    }

    impl Runner for Scripted {
        fn output(&self, cmd: &Cmd) -> std::io::Result<Output> {
            self.ran.lock().unwrap().push(cmd.clone());
            match &self.answer {
                Ok(o) => Ok(o.clone()),
                Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
            }
        }
        fn interactive(&self, _: &Cmd) -> std::io::Result<Option<i32>> {
            unreachable!("import never runs docker interactively")
        }
    }

    fn inputs() -> Inputs {
        Inputs {
            files: vec![
                PathBuf::from("/p/compose.yaml"),
                PathBuf::from("/p/dev.yaml"),
            ],
            project_dir: PathBuf::from("/p"),
        }
    }

    #[test]
    fn config_passes_files_profiles_and_name_in_compose_order() {
        let opts = ImportOptions {
            profiles: vec!["debug".into()],
            project_name: Some("shop".into()),
            ..Default::default()
        };
        let cmd = config_cmd(&inputs(), &opts);
        assert_eq!(
            cmd.args,
            [
                "compose",
                "--project-directory",
                "/p",
                "-f",
                "/p/compose.yaml",
                "-f",
                "/p/dev.yaml",
                "--profile",
                "debug",
                "--project-name",
                "shop",
                "config",
                "--format",
                "json"
            ]
        );
        assert!(!cmd.clear_env && cmd.env.is_empty());
    }

    #[test]
    fn a_given_environment_replaces_the_process_environment() {
        let opts = ImportOptions {
            environment: Some([("TAG".to_string(), "1.2".to_string())].into()),
            ..Default::default()
        };
        let cmd = config_cmd(&inputs(), &opts);
        assert!(cmd.clear_env);
        assert!(cmd.env.contains(&("TAG".into(), "1.2".into())));
        assert!(cmd
            .env
            .iter()
            .all(|(k, _)| k == "TAG" || DOCKER_ENV.contains(&k.as_str())));
    }

    #[test]
    fn config_returns_the_json_docker_printed() {
        let runner = Scripted::new(0, r#"{"name":"shop","services":{}}"#, "");
        let v = config(&runner, &inputs(), &ImportOptions::default()).unwrap();
        assert_eq!(v["name"], "shop");
        assert_eq!(runner.ran.lock().unwrap().len(), 1);
    }

    #[test]
    fn failures_are_told_apart() {
        let opts = ImportOptions::default();
        let plugin_missing = Scripted::new(1, "", "docker: 'compose' is not a docker command.\n");
        assert!(matches!(
            config(&plugin_missing, &inputs(), &opts),
            Err(ImportError::DockerUnavailable(_))
        ));
        let bad_project = Scripted::new(15, "", "service \"api\" depends on undefined service db");
        match config(&bad_project, &inputs(), &opts) {
            Err(ImportError::Docker(m)) => assert!(m.contains("undefined service db"), "{m}"),
            other => panic!("{other:?}"),
        }
        let garbage = Scripted::new(0, "not json", "");
        match config(&garbage, &inputs(), &opts) {
            Err(ImportError::Docker(m)) => assert!(m.contains("unreadable JSON"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            config(&Scripted::missing(), &inputs(), &opts),
            Err(ImportError::DockerUnavailable(_))
        ));
    }

    #[test]
    fn availability_is_the_answer_to_compose_version() {
        assert!(available(&Scripted::new(
            0,
            "Docker Compose version v2.27.0",
            ""
        )));
        assert!(!available(&Scripted::new(1, "", "unknown command")));
        assert!(!available(&Scripted::missing()));
    }
}
