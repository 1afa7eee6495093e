//! How the real runner keeps a captured child in bounds: every child it captures runs in its
//! own process group (so the group can be stopped as one, grandchildren included), dies with
//! Berth (`PR_SET_PDEATHSIG`), and may carry [`Limits`]: an address-space limit
//! (`RLIMIT_AS`, set in the child before `exec`) and a time limit, past which the whole group
//! is killed. On [`cancel`] (Berth's Ctrl-C or SIGTERM handler) the group gets SIGTERM, then
//! SIGKILL after a grace period. A bounded group is killed when its leader exits, so nothing
//! it started outlives it.

use super::{Cmd, Stream};
use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What a child may use before Berth stops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Address space in bytes (`RLIMIT_AS`): an allocation beyond it fails in the child.
    pub memory: Option<u64>,
    /// Wall time; past it the child and everything it started are killed.
    pub timeout: Option<Duration>,
}

impl Limits {
    pub fn bounded(&self) -> bool {
        self.memory.is_some() || self.timeout.is_some()
    }
}

/// How often the supervisor looks at the clock and the cancel flag.
const TICK: Duration = Duration::from_millis(50);
/// How long a cancelled child has between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(10);

static CANCEL: AtomicBool = AtomicBool::new(false);

/// Stop every running and future captured child (Berth was asked to stop).
pub fn cancel() {
    CANCEL.store(true, Ordering::SeqCst);
}

/// Run captured children again after a [`cancel`]: for the clean-up a cancel asked for (`berth
/// dev` stopping its containers after Ctrl-C); another cancel stops that too.
pub fn resume() {
    CANCEL.store(false, Ordering::SeqCst);
}

/// Whether [`cancel`] was called.
pub fn cancelled() -> bool {
    CANCEL.load(Ordering::SeqCst)
}

/// How a supervised child ended.
pub(super) enum End {
    Exited(ExitStatus),
    /// Killed by Berth at its time limit.
    TimedOut(Duration),
    /// Stopped because Berth was cancelled.
    Interrupted,
}

enum Event {
    Data(Stream, Vec<u8>),
    Exited(io::Result<ExitStatus>),
}

/// Its own process group, death with Berth, the memory limit.
fn confine(c: &mut Command, limits: Limits) {
    c.process_group(0);
    let memory = limits.memory;
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // functions (prctl, setrlimit) without allocating.
    unsafe {
        c.pre_exec(move || {
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if let Some(m) = memory {
                let lim = libc::rlimit {
                    rlim_cur: m as libc::rlim_t,
                    rlim_max: m as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

fn signal_group(pgid: i32, sig: i32) {
    // SAFETY: kill(2) on our own child's process group; a stale group is ESRCH, ignored.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

/// Run `c` (built from `cmd`) with piped output handed to `data` as it comes, under the
/// limits of `cmd`, until it and its output end.
pub(super) fn run(
    cmd: &Cmd,
    mut c: Command,
    data: &mut dyn FnMut(Stream, &[u8]),
) -> io::Result<End> {
    c.stdin(if cmd.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    confine(&mut c, cmd.limits);
    let mut child = c.spawn()?;
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), cmd.stdin.clone()) {
        // Written from a thread so a program that prints before it reads cannot block.
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let pgid = child.id() as i32;
    let (tx, rx) = mpsc::channel::<Event>();
    let pipes: [(Stream, Option<Box<dyn Read + Send>>); 2] = [
        (
            Stream::Stdout,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            Stream::Stderr,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ];
    for (stream, pipe) in pipes {
        let Some(mut pipe) = pipe else { continue };
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                if tx.send(Event::Data(stream, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
    }
    std::thread::spawn(move || {
        let _ = tx.send(Event::Exited(child.wait()));
    });
    supervise(cmd.limits, pgid, &rx, data)
}

/// The event loop: output to `data`, the clock and the cancel flag watched every [`TICK`].
fn supervise(
    limits: Limits,
    pgid: i32,
    rx: &mpsc::Receiver<Event>,
    data: &mut dyn FnMut(Stream, &[u8]),
) -> io::Result<End> {
    let started = Instant::now();
    let mut status: Option<ExitStatus> = None;
    let mut stopped: Option<End> = None;
    let mut terminated_at: Option<Instant> = None;
    loop {
        match rx.recv_timeout(TICK) {
            Ok(Event::Data(s, b)) => data(s, &b),
            Ok(Event::Exited(st)) => {
                status = Some(st?);
                if limits.bounded() {
                    // Whatever the leader left behind in its group goes with it.
                    signal_group(pgid, libc::SIGKILL);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if status.is_some() {
            continue;
        }
        if let Some(t) = terminated_at {
            if t.elapsed() >= GRACE {
                signal_group(pgid, libc::SIGKILL);
            }
        } else if cancelled() {
            signal_group(pgid, libc::SIGTERM);
            terminated_at = Some(Instant::now());
            stopped = Some(End::Interrupted);
        } else if let Some(limit) = limits.timeout.filter(|l| started.elapsed() >= *l) {
            signal_group(pgid, libc::SIGKILL);
            terminated_at = Some(Instant::now());
            stopped = Some(End::TimedOut(limit));
        }
    }
    match (stopped, status) {
        (Some(end), _) => Ok(end),
        (None, Some(st)) => Ok(End::Exited(st)),
        (None, None) => Err(io::Error::other("the child's exit status was lost")),
    }
}

/// `stderr`, plus how the child died when a signal killed it or it hit its memory limit.
pub(super) fn explain(status: ExitStatus, limits: Limits, mut stderr: String) -> String {
    let memory = limits
        .memory
        .map(|m| format!("the memory limit of {} MiB", m >> 20));
    let oom = stderr.contains("out of memory") || stderr.contains("Cannot allocate memory");
    let note = match (status.signal(), &memory) {
        (Some(sig), Some(m)) => Some(format!(
            "killed by signal {sig} ({}); it may have reached {m}",
            signal_name(sig)
        )),
        (Some(sig), None) => Some(format!("killed by signal {sig} ({})", signal_name(sig))),
        (None, Some(m)) if oom && !status.success() => Some(format!("it reached {m}")),
        _ => None,
    };
    if let Some(n) = note {
        if !stderr.is_empty() && !stderr.ends_with('\n') {
            stderr.push('\n');
        }
        stderr.push_str(&format!("[{n}]"));
    }
    stderr
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGPIPE => "SIGPIPE",
        _ => "signal",
    }
}

/// The error of a child killed at its time limit, with the end of what it printed.
pub(super) fn timed_out(cmd: &Cmd, limit: Duration, stderr: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "`{}` did not finish within {}s and was stopped with everything it started{}",
            cmd.display(),
            limit.as_secs(),
            tail(stderr)
        ),
    )
}

/// The error of a child stopped because Berth was cancelled.
pub(super) fn interrupted(cmd: &Cmd) -> io::Error {
    io::Error::new(
        io::ErrorKind::Interrupted,
        format!("`{}` was interrupted and stopped", cmd.display()),
    )
}

/// The last lines of a child's stderr, as a suffix for a message.
pub fn tail(stderr: &str) -> String {
    const LINES: usize = 10;
    const WIDTH: usize = 300;
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let start = lines.len().saturating_sub(LINES);
    let mut s = String::from("; its last output:");
    for l in &lines[start..] {
        s.push_str("\n  ");
        match l.char_indices().nth(WIDTH) {
            Some((i, _)) => {
                s.push_str(&l[..i]);
                s.push('…');
            }
            None => s.push_str(l),
        }
    }
    s
}
