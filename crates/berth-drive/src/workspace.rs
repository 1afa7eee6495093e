//! The project's `.berth/` directory and the settings of the tools the drivers run: where
//! `berth up` renders the files it runs, keeps the generated secrets and the deploy history,
//! takes the per-environment lock, and where `berth infra` keeps its Terraform work dirs.
//!
//! Layout (all git-ignored through `.berth/.gitignore` = `*`):
//! - `compose/<env>/`: the compose files of that environment, rendered by every command (the
//!   same relative layout as `deploy/compose/<env>/`, so build contexts `../../..` still point
//!   at the project root), and `compose/<env>/.secrets/*.env` (0600), written only by the
//!   commands that start containers.
//! - `secrets.json` (0600): generated secret values, created once and reused.
//! - `history.json`: deploy history (time, environment, recipe, outcome).
//! - `locks/<env>.lock`: advisory lock held while a command that starts or removes containers
//!   runs; holds the pid. A `berth` started by a recipe's pre or post command shares its
//!   parent's lock (the parent's pid is in `BERTH_LOCK_PID`). The compose project's
//!   machine-wide lock is held with it (`project_lock`).
//! - `terraform/`: `berth infra`'s work dirs (emulator mode copies the rendered Terraform here).
//!
//! Decision: `up` runs from `.berth/`, not from the committed `deploy/`: it never depends on
//! whether `berth render` was run, never writes secret files next to committed artifacts, and
//! a stale `deploy/` cannot be started by accident.

use crate::fsutil;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The variable a recipe's commands get: the pid of the `berth` that runs them (and holds the
/// environment's lock).
pub const LOCK_PID_VAR: &str = "BERTH_LOCK_PID";

/// The variable that names the terraform executable (default `terraform`).
pub const TERRAFORM_VAR: &str = "BERTH_TERRAFORM";

#[derive(Debug, Clone)]
pub struct Workspace {
    /// The project root (the directory of berth.yaml).
    pub root: PathBuf,
    /// `<root>/.berth`.
    pub dir: PathBuf,
    /// The terraform executable.
    pub terraform: String,
    /// (environment, pid) of the `berth` whose recipe command started this process: its lock of
    /// that environment is shared with this process.
    pub parent_lock: Option<(String, String)>,
    /// Where the machine-wide compose project locks are ([`crate::project_lock::lock_dir`];
    /// the workspace's own `project-locks/` in this crate's unit tests, which run in parallel).
    pub project_locks: PathBuf,
}

/// Another process holds the environment's lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "environment `{env}` is busy: another berth (pid {pid}) is running up/deploy/down/restart/run on it; \
         wait for it to finish (or stop it), then retry"
    )]
    Busy { env: String, pid: String },
    #[error(
        "compose project `{project}` is busy: another berth (pid {pid}) in {dir} is running up/deploy/down/restart/run on it; \
         docker compose names containers after the project, so both checkouts would drive the same containers. \
         Wait for it to finish (or stop it), or give this checkout another stack `name:`"
    )]
    ProjectBusy {
        project: String,
        pid: String,
        dir: String,
    },
    #[error("cannot take the lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held for the duration of an operation; released on drop (also when the process dies).
#[derive(Debug)]
pub struct EnvLock {
    /// None when the lock is the parent berth's (shared with a recipe's command).
    _file: Option<File>,
    /// The machine-wide lock of the compose project, when the driver took it.
    project: Option<crate::project_lock::ProjectLock>,
    pub env: String,
    pub path: PathBuf,
}

impl EnvLock {
    /// This lock, holding the compose project's machine-wide lock too.
    pub fn with_project(mut self, lock: crate::project_lock::ProjectLock) -> Self {
        self.project = Some(lock);
        self
    }
}

impl Workspace {
    /// The workspace of the project at `root`, with default settings.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let dir = root.join(".berth");
        Workspace {
            root,
            dir: dir.clone(),
            terraform: "terraform".into(),
            parent_lock: None,
            project_locks: if cfg!(test) {
                dir.join("project-locks")
            } else {
                crate::project_lock::lock_dir()
            },
        }
    }

    /// Create `.berth/` with its `.gitignore`; `.berth/` is 0700 whatever the umask (it
    /// holds secrets), tightened when it was created otherwise, and `secrets.json` 0600.
    pub fn ensure(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let private = |p: &Path, mode: u32| -> std::io::Result<()> {
                match std::fs::metadata(p) {
                    Ok(m) if m.permissions().mode() & 0o777 != mode => {
                        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
                    }
                    _ => Ok(()),
                }
            };
            private(&self.dir, 0o700)?;
            private(&self.secrets_path(), 0o600)?;
        }
        fsutil::write_if_changed(
            &self.dir.join(".gitignore"),
            b"# berth state: rendered files, generated secrets, history, locks. Never commit.\n*\n",
            fsutil::Content::Rendered,
        )?;
        Ok(())
    }

    /// Where the compose files of `env` are rendered (`.berth/compose/<env>`).
    pub fn compose_dir(&self, env: &str) -> PathBuf {
        self.dir.join("compose").join(env)
    }

    pub fn secrets_path(&self) -> PathBuf {
        self.dir.join("secrets.json")
    }

    pub fn history_path(&self) -> PathBuf {
        self.dir.join("history.json")
    }

    pub fn lock_path(&self, env: &str) -> PathBuf {
        self.dir.join("locks").join(format!("{env}.lock"))
    }

    /// Where `berth infra` keeps its work dirs (`.berth/terraform`).
    pub fn terraform_dir(&self) -> PathBuf {
        self.dir.join("terraform")
    }

    /// The emulator-mode work dir of an environment (`.berth/terraform/emulator/<env>`).
    pub fn emulator_dir(&self, env: &str) -> PathBuf {
        self.terraform_dir().join("emulator").join(env)
    }

    /// Take the environment's advisory lock without waiting. When the holder is the parent
    /// berth whose recipe command started this process, the lock is shared instead.
    pub fn lock(&self, env: &str) -> Result<EnvLock, LockError> {
        let path = self.lock_path(env);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(&path).map_err(io)?;
        if !try_lock(&file).map_err(io)? {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            if !pid.is_empty()
                && self
                    .parent_lock
                    .as_ref()
                    .is_some_and(|(e, p)| e == env && p == pid)
            {
                return Ok(EnvLock {
                    _file: None,
                    project: None,
                    env: env.to_string(),
                    path,
                });
            }
            return Err(LockError::Busy {
                env: env.to_string(),
                pid: if pid.is_empty() {
                    "unknown".into()
                } else {
                    pid.to_string()
                },
            });
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(format!("{}\n", std::process::id()).as_bytes())
            .map_err(io)?;
        file.flush().map_err(io)?;
        Ok(EnvLock {
            _file: Some(file),
            project: None,
            env: env.to_string(),
            path,
        })
    }

    /// Take the machine-wide lock of compose project `project` (see [`crate::project_lock`]),
    /// shared with the parent berth whose recipe command started this process.
    pub fn lock_project(
        &self,
        project: &str,
    ) -> Result<crate::project_lock::ProjectLock, LockError> {
        let parent = self.parent_lock.as_ref().map(|(_, pid)| pid.as_str());
        crate::project_lock::take(&self.project_locks, project, &self.root, parent)
    }
}

pub(crate) fn try_lock(file: &File) -> std::io::Result<bool> {
    match fs4::FileExt::try_lock(file) {
        Ok(()) => Ok(true),
        Err(fs4::TryLockError::WouldBlock) => Ok(false),
        Err(fs4::TryLockError::Error(e)) => Err(e),
    }
}

/// The path relative to `base` when it lies inside it (for messages).
pub fn relative(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_with_the_holders_pid_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path());
        let held = ws.lock("local").unwrap();
        let err = ws.lock("local").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        // Another environment is independent.
        let other = ws.lock("dev").unwrap();
        drop(held);
        ws.lock("local").unwrap();
        drop(other);
    }

    #[test]
    fn a_recipe_command_shares_its_parents_lock_and_nobody_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let parent = Workspace::new(dir.path());
        let held = parent.lock("local").unwrap();
        let me = std::process::id().to_string();
        let child = Workspace {
            parent_lock: Some(("local".into(), me.clone())),
            ..Workspace::new(dir.path())
        };
        let shared = child.lock("local").unwrap();
        assert_eq!(shared.env, "local");
        // Another environment's lock, or the lock of another holder, is not shared.
        let stranger = Workspace {
            parent_lock: Some(("local".into(), "1".into())),
            ..Workspace::new(dir.path())
        };
        assert!(matches!(
            stranger.lock("local"),
            Err(LockError::Busy { .. })
        ));
        let other_env = Workspace {
            parent_lock: Some(("dev".into(), me)),
            ..Workspace::new(dir.path())
        };
        assert!(matches!(
            other_env.lock("local"),
            Err(LockError::Busy { .. })
        ));
        // Dropping the shared lock leaves the parent's in place.
        drop(shared);
        assert!(matches!(parent.lock("local"), Err(LockError::Busy { .. })));
        drop(held);
        parent.lock("local").unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn ensure_makes_the_workspace_private_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        std::fs::create_dir_all(&ws.dir).unwrap();
        std::fs::set_permissions(&ws.dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::write(ws.secrets_path(), "{}").unwrap();
        std::fs::set_permissions(ws.secrets_path(), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        ws.ensure().unwrap();
        assert_eq!(mode(&ws.dir), 0o700);
        assert_eq!(mode(&ws.secrets_path()), 0o600);
    }

    #[test]
    fn ensure_writes_a_gitignore_that_ignores_everything() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path());
        ws.ensure().unwrap();
        let gi = std::fs::read_to_string(dir.path().join(".berth/.gitignore")).unwrap();
        assert!(gi.lines().any(|l| l == "*"));
    }
}
