//! What can stop a `berth dev` session, each message naming the service and what to do.

use crate::compose::DriveError;
use crate::secrets::SecretError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error("environment `{env}` runs on kubernetes: `berth dev` runs native and compose environments; use `berth up {env}`")]
    NotNative { env: String },
    #[error(transparent)]
    Drive(#[from] DriveError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("service `{name}`: the {key} path `{path}` does not exist ({}); create it or fix `dev.{key}`", full.display())]
    WatchPathMissing {
        name: String,
        key: &'static str,
        path: String,
        full: PathBuf,
    },
    #[error("service `{name}`: the working directory `{path}` does not exist ({}); create it or fix `dev.workdir`", full.display())]
    WorkdirMissing {
        name: String,
        path: String,
        full: PathBuf,
    },
    #[error("service `{name}`: cannot start `{run}`: {source}")]
    Spawn {
        name: String,
        run: String,
        source: std::io::Error,
    },
    #[error("service `{name}`: the command of `dev.run` was not found: `{run}` (the shell exited 127); install it or fix `dev.run`")]
    CommandNotFound { name: String, run: String },
    #[error("store `{name}`: `{program}` is not installed (on PATH), and the store's `process` realization runs it on this host; install it (Debian: `apt-get install redis-server` or `postgresql`, with its bin directory on PATH), or run the store in a container: `stores: {{ {name}: host }}` in the environment")]
    ProgramMissing { name: String, program: String },
    #[error("{what} `{name}`: port {port} on 127.0.0.1 is already in use by another program; stop it, or give the {what} another `publish` port")]
    PortInUse {
        what: &'static str,
        name: String,
        port: u16,
    },
    #[error("service `{name}` keeps crashing: it exited {exits} times in a row before becoming ready (last exit {}); see its log lines above and fix `dev.run`", code.map(|c| format!("code {c}")).unwrap_or_else(|| "by a signal".into()))]
    CrashLoop {
        name: String,
        exits: u32,
        code: Option<i32>,
    },
    #[error("service `{name}` is not ready after {waited_s}s: its health check ({probe}) never passed; check that it listens where its `ports`/`publish` say")]
    NotReady {
        name: String,
        waited_s: u64,
        probe: String,
    },
    #[error("job `{name}` failed (exit {}); see its log lines above", code.map(|c| c.to_string()).unwrap_or_else(|| "by a signal".into()))]
    JobFailed { name: String, code: Option<i32> },
    #[error("`docker compose watch` stopped ({}); see its lines above (`watch |`)", code.map(|c| format!("exit {c}")).unwrap_or_else(|| "killed by a signal".into()))]
    WatchExited { code: Option<i32> },
    #[error("cannot watch the `dev.watch` paths: {0}")]
    Watch(#[from] notify::Error),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("interrupted")]
    Interrupted,
}
