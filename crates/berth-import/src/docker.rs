//! Reads a compose project through the real `docker compose config --format json`.

use crate::{ImportError, ImportOptions, Inputs};
use std::process::Command;

/// The docker CLI to run: `BERTH_DOCKER` when set (tests point it elsewhere), else `docker`.
fn program() -> String {
    std::env::var("BERTH_DOCKER").unwrap_or_else(|_| "docker".into())
}

/// Whether the `docker compose` plugin answers.
pub fn available() -> bool {
    Command::new(program())
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `docker compose … config --format json` and returns its JSON.
pub fn config(inputs: &Inputs, opts: &ImportOptions) -> Result<serde_json::Value, ImportError> {
    let mut cmd = Command::new(program());
    cmd.arg("compose")
        .arg("--project-directory")
        .arg(&inputs.project_dir);
    for f in &inputs.files {
        cmd.arg("-f").arg(f);
    }
    for p in &opts.profiles {
        cmd.arg("--profile").arg(p);
    }
    if let Some(n) = &opts.project_name {
        cmd.arg("--project-name").arg(n);
    }
    if let Some(env) = &opts.environment {
        // Only what the docker CLI itself needs survives from the process environment.
        cmd.env_clear();
        for k in [
            "PATH",
            "HOME",
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "DOCKER_CONTEXT",
            "XDG_RUNTIME_DIR",
        ] {
            if let Ok(v) = std::env::var(k) {
                cmd.env(k, v);
            }
        }
        cmd.envs(env);
    }
    cmd.args(["config", "--format", "json"]);
    let out = cmd
        .output()
        .map_err(|e| ImportError::DockerUnavailable(e.to_string()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if err.contains("is not a docker command") || err.contains("unknown command") {
            return Err(ImportError::DockerUnavailable(err));
        }
        return Err(ImportError::Docker(err));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| ImportError::Docker(format!("unreadable JSON from docker compose: {e}")))
}
