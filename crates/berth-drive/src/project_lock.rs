//! The machine-wide lock of a compose project. The environment's lock lives in the project's
//! `.berth/`, but docker compose names containers, networks and volumes after the project name
//! alone, so two checkouts of one stack drive the same containers. Whoever starts or removes
//! containers also holds this lock, kept in one directory per user: `$XDG_RUNTIME_DIR/berth`,
//! else `/tmp/berth-<uid>`, mode 0700 and owned by the user (refused otherwise). The lock file
//! `<project>.lock` holds the holder's pid and project directory, which a refusal names.

use crate::workspace::LockError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Held while a command starts or removes a compose project's containers; released on drop
/// (also when the process dies).
#[derive(Debug)]
pub struct ProjectLock {
    /// None when the lock is the parent berth's (shared with a recipe's command).
    _file: Option<File>,
    pub path: PathBuf,
}

/// The per-user directory of project locks.
pub fn lock_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("berth"),
        None => std::env::temp_dir().join(format!("berth-{}", unsafe { libc::getuid() })),
    }
}

/// Takes `project`'s lock in `dir` for the project at `root`, without waiting. When the holder
/// is `parent_pid` (the berth whose recipe command started this process), it is shared.
pub fn take(
    dir: &Path,
    project: &str,
    root: &Path,
    parent_pid: Option<&str>,
) -> Result<ProjectLock, LockError> {
    let path = dir.join(format!("{project}.lock"));
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    private_dir(dir).map_err(io)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(&path).map_err(io)?;
    if !crate::workspace::try_lock(&file).map_err(io)? {
        let mut held = String::new();
        let _ = file.read_to_string(&mut held);
        let mut lines = held.lines();
        let pid = lines.next().unwrap_or("").trim().to_string();
        if !pid.is_empty() && parent_pid == Some(pid.as_str()) {
            return Ok(ProjectLock { _file: None, path });
        }
        return Err(LockError::ProjectBusy {
            project: project.to_string(),
            pid: if pid.is_empty() {
                "unknown".into()
            } else {
                pid
            },
            dir: lines.next().unwrap_or("an unknown directory").to_string(),
        });
    }
    let root = std::fs::canonicalize(root)
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf());
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let holder = format!("{}\n{}\n", std::process::id(), root.display());
    file.write_all(holder.as_bytes()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(ProjectLock {
        _file: Some(file),
        path,
    })
}

/// Creates `dir` 0700; an existing one must be a directory of this user with mode 0700, so no
/// other user can plant or hold the locks.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = std::fs::symlink_metadata(dir)?;
        let mine = meta.uid() == unsafe { libc::getuid() };
        if !meta.is_dir() || !mine || meta.permissions().mode() & 0o077 != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} must be a directory of this user with mode 0700; remove it and retry",
                    dir.display()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_checkout_is_refused_naming_the_holders_directory() {
        let locks = tempfile::tempdir().unwrap();
        let dir = locks.path().join("berth");
        let held = take(&dir, "shop", Path::new("/work/a"), None).unwrap();
        let err = take(&dir, "shop", Path::new("/work/b"), None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/work/a"), "{msg}");
        assert!(msg.contains(&std::process::id().to_string()), "{msg}");
        assert!(msg.contains("`shop`"), "{msg}");
        // Another project is free; the lock is released on drop.
        let _other = take(&dir, "blog", Path::new("/work/b"), None).unwrap();
        drop(held);
        take(&dir, "shop", Path::new("/work/b"), None).unwrap();
    }

    #[test]
    fn a_recipe_command_shares_its_parents_lock() {
        let locks = tempfile::tempdir().unwrap();
        let dir = locks.path().join("berth");
        let _held = take(&dir, "shop", Path::new("/work/a"), None).unwrap();
        let me = std::process::id().to_string();
        assert!(take(&dir, "shop", Path::new("/work/a"), Some(&me)).is_ok());
        assert!(take(&dir, "shop", Path::new("/work/a"), Some("1")).is_err());
    }

    #[test]
    fn a_lock_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let locks = tempfile::tempdir().unwrap();
        let dir = locks.path().join("berth");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = take(&dir, "shop", Path::new("/work/a"), None).unwrap_err();
        assert!(err.to_string().contains("mode 0700"), "{err}");
    }
}
