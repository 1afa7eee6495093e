//! The state of a running `berth dev` session, for `berth status`, `logs` and `restart` in
//! another terminal: `.berth/dev/<env>.json` (rewritten atomically on every change), the
//! per-process logs `.berth/dev/<env>/<name>.log`, and restart requests, one empty file per
//! name in `.berth/dev/<env>/restart/`.

use crate::fsutil::{self, Content};
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where a session keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub state: PathBuf,
    pub dir: PathBuf,
}

impl Paths {
    pub fn new(ws: &Workspace, env: &str) -> Self {
        let base = ws.dir.join("dev");
        Paths {
            state: base.join(format!("{env}.json")),
            dir: base.join(env),
        }
    }

    pub fn log(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    pub fn requests(&self) -> PathBuf {
        self.dir.join("restart")
    }
}

/// A session as its state file records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub environment: String,
    /// The `berth dev` process.
    pub pid: u32,
    /// `starting`, `running`, `stopping`, `stopped`.
    pub state: String,
    pub processes: Vec<ProcessState>,
}

/// One process or container of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessState {
    pub name: String,
    /// `process` (on the host) or `container`.
    pub runs_as: String,
    /// `service`, `job` or `store`.
    pub kind: String,
    pub pid: Option<u32>,
    /// `starting`, `ready`, `done`, `backoff`, `crashed`, `stopped`.
    pub state: String,
    pub restarts: u32,
    pub last_exit: Option<i32>,
}

impl SessionState {
    pub fn save(&self, paths: &Paths) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        fsutil::write_atomic(&paths.state, &bytes, Content::Rendered)
    }

    /// The recorded session, when there is one.
    pub fn load(paths: &Paths) -> Option<SessionState> {
        let text = std::fs::read(&paths.state).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// True while the recorded `berth dev` process is alive and has not stopped.
    pub fn live(&self) -> bool {
        // SAFETY: kill(pid, 0) only checks that the process exists.
        self.state != "stopped" && unsafe { libc::kill(self.pid as i32, 0) == 0 }
    }

    pub fn process(&self, name: &str) -> Option<&ProcessState> {
        self.processes.iter().find(|p| p.name == name)
    }
}

/// Ask the running session to restart `name`.
pub fn request_restart(paths: &Paths, name: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(paths.requests())?;
    std::fs::write(paths.requests().join(name), b"")
}

/// The pending restart requests, removed as they are read.
pub fn take_requests(paths: &Paths) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(paths.requests()) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for e in entries.flatten() {
        if std::fs::remove_file(e.path()).is_ok() {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    names
}
