//! What can go wrong while driving a compose environment, each error with what to do about it,
//! and the hints for the Docker errors newcomers meet.

use crate::secrets::SecretError;
use crate::select::UnknownService;
use crate::workspace::LockError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("environment `{env}` runs on {platform}, not compose: `berth up` drives compose environments ({hint})")]
    NotCompose {
        env: String,
        platform: String,
        hint: String,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Kube(#[from] crate::kube::KubeError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Select(#[from] UnknownService),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run `{command}`: {source}; is Docker installed (docker compose v2 or newer)?")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed{}:\n{detail}{}", code.map(|c| format!(" (exit {c})")).unwrap_or_default(), hint.as_ref().map(|h| format!("\nhint: {h}")).unwrap_or_default())]
    Docker {
        command: String,
        code: Option<i32>,
        detail: String,
        hint: Option<String>,
    },
    #[error("{what} `{name}` {reason}{}\n{}", health.as_ref().map(|h| format!("\nlast health check: {h}")).unwrap_or_default(), logs_block(name, logs))]
    Failed {
        what: &'static str,
        name: String,
        reason: String,
        health: Option<String>,
        logs: String,
    },
    #[error("timed out after {waited_s}s waiting for {}{}\n{}", pending.join(", "), health.as_ref().map(|h| format!("\nlast health check of `{}`: {h}", pending[0])).unwrap_or_default(), logs_block(pending.first().map(String::as_str).unwrap_or(""), logs))]
    Timeout {
        pending: Vec<String>,
        waited_s: u64,
        /// The first pending service's last health-probe output.
        health: Option<String>,
        logs: String,
    },
    #[error("stores not running: {}; start them first (`berth up`, or a recipe with `only: stores`)", stores.join(", "))]
    StoresNotRunning { stores: Vec<String> },
    #[error("{} holds no value for {}, but the data of {} already exists in Docker volume(s) {}: a new password would not match the one the data was initialised with (the store would refuse the services' logins). Restore {} from a backup, or delete the data with `berth down --volumes` and run `berth up` again", path.display(), secrets.iter().map(|s| format!("secret `{s}`")).collect::<Vec<_>>().join(", "), stores.join(", "), volumes.join(", "), path.display())]
    SecretsLost {
        path: PathBuf,
        secrets: Vec<String>,
        stores: Vec<String>,
        volumes: Vec<String>,
    },
    /// A backup or restore that cannot be made as asked.
    #[error("{0}")]
    Backup(String),
    #[error("interrupted; containers started so far keep running: run `berth up` again to converge, or `berth down` to stop")]
    Interrupted,
    #[error("{stage} command `{command}` failed{}", code.map(|c| format!(" (exit {c})")).unwrap_or_else(|| " (killed by a signal)".into()))]
    Hook {
        stage: &'static str,
        command: String,
        code: Option<i32>,
    },
}

fn logs_block(name: &str, logs: &str) -> String {
    if logs.trim().is_empty() {
        format!("(no log output from `{name}`)")
    } else {
        let mut s = format!("last log lines of `{name}`:\n");
        for l in logs.trim_end().lines() {
            s.push_str("  │ ");
            s.push_str(l);
            s.push('\n');
        }
        s.trim_end().to_string()
    }
}

/// A hint for the docker errors newcomers hit here.
pub(super) fn docker_hint(stderr: &str) -> Option<String> {
    let s = stderr.to_ascii_lowercase();
    if s.contains("pull access denied")
        || s.contains("no such image")
        || (s.contains("pulling") && s.contains("error"))
        || s.contains("registry-1.docker.io")
        || s.contains("manifest unknown")
        || s.contains("failed to resolve reference")
    {
        Some("an image is missing locally and cannot be pulled; build it first (scripts/build-images.sh for berth-local/*, the app's build script for your images) or set `image:`/`build:`".into())
    } else if s.contains("cannot connect to the docker daemon")
        || s.contains("permission denied while trying to connect")
    {
        Some("is the Docker engine running, and may this user use it (docker group)?".into())
    } else if s.contains("port is already allocated") || s.contains("address already in use") {
        Some(
            "a published host port is taken by another program: change `publish:` in berth.yaml"
                .into(),
        )
    } else if s.contains("is not a docker command")
        || s.contains("unknown command \"compose\"")
        || s.contains("unknown shorthand flag")
    {
        Some("install the docker compose v2 plugin (~/.docker/cli-plugins/docker-compose)".into())
    } else {
        None
    }
}
