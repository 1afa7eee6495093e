//! `berth status`, `logs` and `restart` on a native environment: they work on the running
//! `berth dev` session through its files under `.berth/dev/` (state, per-process logs,
//! restart requests); see docs/dev.md.

use super::drive::{self, Session};
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use berth_drive::dev::{state, Paths, SessionState};
use serde::Serialize;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn paths(session: &Session) -> Paths {
    Paths::new(&session.workspace, &session.model.environment)
}

/// The session as recorded, and whether it is still running.
#[derive(Serialize)]
struct Status {
    environment: String,
    running: bool,
    #[serde(flatten)]
    session: Option<SessionState>,
}

pub fn status(printer: &Printer, session: &Session) -> Result<ExitStatus, CliError> {
    let recorded = SessionState::load(&paths(session));
    printer.report(&Status {
        environment: session.model.environment.clone(),
        running: recorded.as_ref().is_some_and(SessionState::live),
        session: recorded,
    })?;
    Ok(ExitStatus::Success)
}

impl Report for Status {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let Some(s) = self.session.as_ref().filter(|_| self.running) else {
            printer.info(format!(
                "no `berth dev` session is running for {} (start one with `berth dev {}`)",
                self.environment, self.environment
            ));
            return Ok(());
        };
        let w = s
            .processes
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut out = format!(
            "{} (berth dev, pid {}, {})\n",
            self.environment, s.pid, s.state
        );
        out.push_str(&format!(
            "{:w$}  {:9}  {:7}  {:8}  {:>7}  {:>8}  LAST EXIT\n",
            "NAME", "RUNS AS", "KIND", "STATE", "PID", "RESTARTS"
        ));
        for p in &s.processes {
            out.push_str(&format!(
                "{:w$}  {:9}  {:7}  {:8}  {:>7}  {:>8}  {}\n",
                p.name,
                p.runs_as,
                p.kind,
                p.state,
                p.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                p.restarts,
                p.last_exit
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
            ));
        }
        printer.out(out);
        Ok(())
    }
}

/// The recorded logs of one process (all without a name); `follow` until Ctrl-C.
pub fn logs(
    session: &Session,
    service: Option<&str>,
    follow: bool,
    tail: Option<u32>,
) -> Result<ExitStatus, CliError> {
    let paths = paths(session);
    let names: Vec<String> = match service {
        Some(n) => vec![n.to_string()],
        None => std::fs::read_dir(&paths.dir)
            .map(|d| {
                let mut v: Vec<String> = d
                    .flatten()
                    .filter_map(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .strip_suffix(".log")
                            .map(String::from)
                    })
                    .collect();
                v.sort();
                v
            })
            .unwrap_or_default(),
    };
    if let Some(n) = service.filter(|n| !paths.log(n).exists()) {
        return Err(CliError::usage(format!(
            "no log of `{n}` in {}: it has not run in a `berth dev` session of {}",
            paths.dir.display(),
            session.model.environment
        )));
    }
    let prefix = service.is_none();
    let mut offsets: Vec<u64> = names
        .iter()
        .map(|n| print_tail(&paths.log(n), prefix.then_some(n.as_str()), tail))
        .collect();
    let cancel = drive::cancel_flag();
    while follow && !cancel.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
        for (n, off) in names.iter().zip(offsets.iter_mut()) {
            *off = print_from(&paths.log(n), *off, prefix.then_some(n.as_str()));
        }
    }
    Ok(ExitStatus::Success)
}

/// Print the last `tail` lines (all without it); returns the file's length.
fn print_tail(path: &std::path::Path, prefix: Option<&str>, tail: Option<u32>) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let skip = tail.map_or(0, |t| lines.len().saturating_sub(t as usize));
    for l in &lines[skip..] {
        print_line(prefix, l);
    }
    text.len() as u64
}

/// Print what was appended since `offset`; returns the new offset.
fn print_from(path: &std::path::Path, offset: u64, prefix: Option<&str>) -> u64 {
    let Ok(mut f) = std::fs::File::open(path) else {
        return offset;
    };
    let mut text = String::new();
    if f.seek(SeekFrom::Start(offset)).is_err() || f.read_to_string(&mut text).is_err() {
        return offset;
    }
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    for l in text[..complete].lines() {
        print_line(prefix, l);
    }
    offset + complete as u64
}

fn print_line(prefix: Option<&str>, line: &str) {
    match prefix {
        Some(p) => println!("{p} | {line}"),
        None => println!("{line}"),
    }
}

/// Ask the running session to restart `name`; wait until it is ready again.
pub fn restart(
    printer: &Printer,
    session: &Session,
    name: &str,
    timeout: Duration,
) -> Result<ExitStatus, CliError> {
    let paths = paths(session);
    let env = &session.model.environment;
    let recorded = SessionState::load(&paths)
        .filter(SessionState::live)
        .ok_or_else(|| {
            CliError::failure(format!(
                "no `berth dev` session is running for {env}: start one with `berth dev {env}`"
            ))
        })?;
    let before = recorded.process(name).cloned().ok_or_else(|| {
        let known: Vec<&str> = recorded.processes.iter().map(|p| p.name.as_str()).collect();
        CliError::usage(format!(
            "no process or container named `{name}` in the dev session of {env} (known: {})",
            known.join(", ")
        ))
    })?;
    state::request_restart(&paths, name)
        .map_err(|e| CliError::failure(format!("cannot ask for a restart: {e}")))?;
    if before.runs_as != "process" {
        printer.success(format!("{name} restart requested"));
        return Ok(ExitStatus::Success);
    }
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
        let now = SessionState::load(&paths).and_then(|s| s.process(name).cloned());
        if let Some(p) = now.filter(|p| p.restarts > before.restarts && p.state == "ready") {
            printer.success(format!("{name} restarted (pid {})", p.pid.unwrap_or(0)));
            return Ok(ExitStatus::Success);
        }
    }
    Err(CliError::failure(format!(
        "{name} is not ready again after {}s; see `berth logs {name} -e {env}`",
        timeout.as_secs()
    )))
}
