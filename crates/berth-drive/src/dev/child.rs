//! One supervised program: started in its own process group (so a signal reaches everything it
//! started, and the terminal's Ctrl-C reaches only Berth), its output lines and its exit sent
//! to the supervisor's channel, stopped by group.

use super::Event;
use crate::process::Stream;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// Start `program args` in `cwd` with `env` added, in a new process group; returns its pid
/// (which is also the group's id). `gen` tags its events so that those of an earlier run of
/// the same name are told apart.
pub fn spawn(
    name: &str,
    gen: u64,
    mut cmd: Command,
    cwd: &Path,
    env: &[(String, String)],
    tx: &Sender<Event>,
) -> std::io::Result<u32> {
    cmd.current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let out = child
        .stdout
        .take()
        .map(|p| Box::new(p) as Box<dyn Read + Send>);
    let err = child
        .stderr
        .take()
        .map(|p| Box::new(p) as Box<dyn Read + Send>);
    for (stream, pipe) in [(Stream::Stdout, out), (Stream::Stderr, err)] {
        let Some(pipe) = pipe else { continue };
        let (tx, name) = (tx.clone(), name.to_string());
        std::thread::spawn(move || {
            for text in BufReader::new(pipe).lines().map_while(Result::ok) {
                let line = Event::Line {
                    name: name.clone(),
                    stream,
                    text,
                };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let (tx, name) = (tx.clone(), name.to_string());
    std::thread::spawn(move || {
        let code = child.wait().ok().and_then(|s| s.code());
        let _ = tx.send(Event::Exited { name, gen, code });
    });
    Ok(pid)
}

/// A shell command (`sh -c RUN`).
pub fn shell(run: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(run);
    c
}

/// Send `signal` to every process of group `pgid`; false when none is left.
pub fn signal_group(pgid: u32, signal: i32) -> bool {
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe { libc::kill(-(pgid as i32), signal) == 0 }
}

/// True while any process of the group exists (zombies included, until reaped).
pub fn group_alive(pgid: u32) -> bool {
    signal_group(pgid, 0)
}

/// Stop a group: SIGTERM, then SIGKILL when it is still there after `grace` (or at once when
/// `force` says so while waiting). Returns when the group is gone.
pub fn stop_group(pgid: u32, grace: Duration, force: &dyn Fn() -> bool) {
    if !signal_group(pgid, libc::SIGTERM) {
        return;
    }
    let deadline = Instant::now() + grace;
    while group_alive(pgid) {
        if Instant::now() >= deadline || force() {
            signal_group(pgid, libc::SIGKILL);
            let hard = Instant::now() + Duration::from_secs(2);
            while group_alive(pgid) && Instant::now() < hard {
                std::thread::sleep(Duration::from_millis(5));
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
