//! The supervisor of a `berth dev` session: host processes (start, readiness, crash restarts
//! with backoff, restarts on change or request), the log followers of the containers, the one
//! event loop that multiplexes their lines, and the session's state file.

use super::child::{self, shell, stop_group};
use super::state::{self, Paths, ProcessState, SessionState};
use super::watch::{Watch, Watcher};
use super::{probe, DevError, DevReport, DevSession, Event};
use crate::compose::ComposeDriver;
use crate::process::Stream;
use berth_render::plan::dev::ProcessPlan;
use berth_render::plan::Kind;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

/// Quiet time after the last change before a process restarts.
pub const DEBOUNCE: Duration = Duration::from_millis(100);
/// Exits in a row before becoming ready that make a crash loop.
const CRASH_LOOP: u32 = 5;
const GRACE: Duration = Duration::from_secs(5);
const TICK: Duration = Duration::from_millis(20);

/// Receives the session's output (the CLI prints it).
pub trait DevObserver {
    /// An output line of a process or container.
    fn line(&self, name: &str, stream: Stream, text: &str);
    /// Something Berth reports about `name` (started, ready, crashed, restarting…).
    fn note(&self, name: &str, msg: &str);
    /// The short status of the whole session.
    fn status(&self, msg: &str);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Starting,
    Ready,
    Done,
    Backoff,
    Crashed,
    Stopped,
}

impl Phase {
    fn word(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Ready => "ready",
            Phase::Done => "done",
            Phase::Backoff => "backoff",
            Phase::Crashed => "crashed",
            Phase::Stopped => "stopped",
        }
    }
}

struct Proc {
    plan: ProcessPlan,
    env: Vec<(String, String)>,
    gen: u64,
    pid: Option<u32>,
    phase: Phase,
    restarts: u32,
    in_a_row: u32,
    last_exit: Option<i32>,
    started: Instant,
    next_probe: Instant,
    probing: bool,
    restart_at: Option<Instant>,
    change_at: Option<Instant>,
    warned_slow: bool,
}

/// A container whose logs are followed, or `docker compose watch`.
struct Follower {
    name: String,
    kind: &'static str,
    pid: Option<u32>,
}

/// The name `docker compose watch` has on the stream, and its events' generation.
const WATCH: &str = "watch";
const WATCH_GEN: u64 = u64::MAX - 1;

pub(super) struct Supervisor<'s> {
    session: &'s DevSession<'s>,
    obs: &'s dyn super::DevObserver,
    procs: Vec<Proc>,
    followers: Vec<Follower>,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    paths: Paths,
    logs: BTreeMap<String, File>,
    _watcher: Watcher,
    /// Until everything is up, failures are fatal.
    starting: bool,
    dirty: bool,
    ready_ms: Option<u64>,
    next_requests: Instant,
}

impl<'s> Supervisor<'s> {
    pub fn new(
        session: &'s DevSession<'s>,
        values: BTreeMap<String, BTreeMap<String, String>>,
        obs: &'s dyn super::DevObserver,
    ) -> Result<Self, DevError> {
        let (tx, rx) = channel();
        let now = Instant::now();
        let procs: Vec<Proc> = session
            .plan()
            .processes
            .iter()
            .map(|p| Proc {
                env: p
                    .env
                    .iter()
                    .map(|v| {
                        let value = v.value.render(|s, k| {
                            values
                                .get(s)
                                .and_then(|m| m.get(k))
                                .cloned()
                                .unwrap_or_default()
                        });
                        (v.name.clone(), value)
                    })
                    .collect(),
                plan: p.clone(),
                gen: 0,
                pid: None,
                phase: Phase::Stopped,
                restarts: 0,
                in_a_row: 0,
                last_exit: None,
                started: now,
                next_probe: now,
                probing: false,
                restart_at: None,
                change_at: None,
                warned_slow: false,
            })
            .collect();
        let paths = session.paths();
        std::fs::create_dir_all(&paths.dir).map_err(|source| DevError::Io {
            path: paths.dir.clone(),
            source,
        })?;
        let _ = state::take_requests(&paths);
        let watcher = Watcher::start(&session.ws.root, watches(session, &procs), tx.clone())?;
        Ok(Supervisor {
            session,
            obs,
            procs,
            followers: Vec::new(),
            tx,
            rx,
            paths,
            logs: BTreeMap::new(),
            _watcher: watcher,
            starting: true,
            dirty: true,
            ready_ms: None,
            next_requests: now,
        })
    }

    fn cancelled(&self) -> bool {
        self.session.cancel.load(Ordering::SeqCst)
    }

    /// Follow the logs of compose services (`docker compose logs -f`, one per service).
    pub fn follow_containers(&mut self, d: &ComposeDriver, names: &[String], kind: &'static str) {
        for name in names {
            let cmd = d.compose_cmd([
                "logs",
                "-f",
                "--no-color",
                "--no-log-prefix",
                "--since",
                "0s",
                name,
            ]);
            let mut c = std::process::Command::new(&cmd.program);
            c.args(&cmd.args);
            let cwd = cmd.cwd.clone().unwrap_or_default();
            let pid = child::spawn(name, u64::MAX, c, &cwd, &[], &self.tx).ok();
            self.followers.push(Follower {
                name: name.clone(),
                kind,
                pid,
            });
        }
        self.dirty = true;
    }

    /// Run `docker compose watch --no-up` (compose dev mode) for the rest of the session.
    pub fn follow_watch(&mut self, d: &ComposeDriver) -> Result<(), DevError> {
        let cmd = d.compose_cmd(["watch", "--no-up"]);
        let mut c = std::process::Command::new(&cmd.program);
        c.args(&cmd.args);
        let cwd = cmd.cwd.clone().unwrap_or_default();
        let pid = child::spawn(WATCH, WATCH_GEN, c, &cwd, &[], &self.tx).map_err(|source| {
            DevError::Spawn {
                name: WATCH.into(),
                run: cmd.display(),
                source,
            }
        })?;
        self.obs
            .note(WATCH, &format!("started (pid {pid}): {}", cmd.display()));
        self.followers.push(Follower {
            name: WATCH.into(),
            kind: WATCH,
            pid: Some(pid),
        });
        self.dirty = true;
        Ok(())
    }

    /// Start these processes together and wait until each is ready (or done, for a job).
    pub fn start_all(&mut self, names: &[String]) -> Result<(), DevError> {
        for name in names {
            let i = self.index(name);
            self.check_ports(i)?;
            self.spawn(i)?;
        }
        let idx: Vec<usize> = names.iter().map(|n| self.index(n)).collect();
        self.run_until(|s| {
            idx.iter()
                .all(|&i| matches!(s.procs[i].phase, Phase::Ready | Phase::Done))
        })
    }

    fn index(&self, name: &str) -> usize {
        self.procs
            .iter()
            .position(|p| p.plan.name == name)
            .expect("a process of the plan")
    }

    /// Everything is up: say so once.
    pub fn ready(&mut self, took: Duration) {
        self.starting = false;
        self.ready_ms = Some(took.as_millis() as u64);
        let procs = self.procs.len();
        let containers = self.followers.len();
        self.obs.status(&format!(
            "{} ({}) ready in {:.1}s: {procs} process{}, {containers} container{}; watching for changes, Ctrl-C stops",
            self.session.model.stack,
            self.session.model.environment,
            took.as_secs_f64(),
            if procs == 1 { "" } else { "es" },
            if containers == 1 { "" } else { "s" },
        ));
        self.dirty = true;
        self.save_state("running");
    }

    /// Supervise until cancelled.
    pub fn serve(&mut self) -> Result<(), DevError> {
        self.run_until(|_| false)
    }

    fn run_until(&mut self, done: impl Fn(&Self) -> bool) -> Result<(), DevError> {
        loop {
            if self.cancelled() {
                return Err(DevError::Interrupted);
            }
            if done(self) {
                return Ok(());
            }
            match self.rx.recv_timeout(TICK) {
                Ok(ev) => self.handle(ev)?,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            }
            while let Ok(ev) = self.rx.try_recv() {
                self.handle(ev)?;
            }
            self.tick()?;
        }
    }

    fn handle(&mut self, ev: Event) -> Result<(), DevError> {
        match ev {
            Event::Line { name, stream, text } => {
                self.obs.line(&name, stream, &text);
                self.log(&name, &text);
            }
            Event::Exited { name, gen, code } => self.exited(&name, gen, code)?,
            Event::Probe { name, gen, ok } => {
                let i = self.index(&name);
                let p = &mut self.procs[i];
                if p.gen != gen {
                    return Ok(());
                }
                p.probing = false;
                if ok && p.phase == Phase::Starting {
                    self.became_ready(i);
                }
            }
            Event::Changed { name } => {
                let i = self.index(&name);
                self.procs[i].change_at = Some(Instant::now() + DEBOUNCE);
            }
        }
        Ok(())
    }

    fn log(&mut self, name: &str, text: &str) {
        if !self.logs.contains_key(name) {
            let Ok(f) = File::options()
                .create(true)
                .append(true)
                .open(self.paths.log(name))
            else {
                return;
            };
            self.logs.insert(name.to_string(), f);
        }
        if let Some(f) = self.logs.get_mut(name) {
            let _ = writeln!(f, "{text}");
        }
    }

    fn note(&mut self, i: usize, msg: &str) {
        let name = self.procs[i].plan.name.clone();
        self.obs.note(&name, msg);
        self.log(&name, &format!("[berth] {msg}"));
        self.dirty = true;
    }

    fn became_ready(&mut self, i: usize) {
        let p = &mut self.procs[i];
        p.phase = Phase::Ready;
        p.in_a_row = 0;
        let ms = p.started.elapsed().as_millis();
        self.note(i, &format!("ready in {ms} ms"));
    }

    /// Fail when a port of process `i` is taken by another program.
    fn check_ports(&self, i: usize) -> Result<(), DevError> {
        let p = &self.procs[i].plan;
        for &port in &p.ports {
            if let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
                if e.kind() == std::io::ErrorKind::AddrInUse {
                    return Err(DevError::PortInUse {
                        what: p.kind.word(),
                        name: p.name.clone(),
                        port,
                    });
                }
            }
        }
        Ok(())
    }

    fn spawn(&mut self, i: usize) -> Result<(), DevError> {
        let cwd = self.session.workdir(&self.procs[i].plan.workdir);
        let p = &mut self.procs[i];
        p.gen += 1;
        let pid = child::spawn(
            &p.plan.name,
            p.gen,
            shell(&p.plan.run),
            &cwd,
            &p.env,
            &self.tx,
        )
        .map_err(|source| DevError::Spawn {
            name: p.plan.name.clone(),
            run: p.plan.run.clone(),
            source,
        })?;
        p.pid = Some(pid);
        p.started = Instant::now();
        p.next_probe = p.started;
        p.probing = false;
        p.warned_slow = false;
        p.restart_at = None;
        p.phase = Phase::Starting;
        if p.plan.readiness.is_none() && p.plan.kind != Kind::Job {
            p.phase = Phase::Ready;
            p.in_a_row = 0;
        }
        let msg = format!("started (pid {pid}): {}", p.plan.run);
        self.note(i, &msg);
        Ok(())
    }

    fn exited(&mut self, name: &str, gen: u64, code: Option<i32>) -> Result<(), DevError> {
        if gen == WATCH_GEN {
            if let Some(f) = self.followers.iter_mut().find(|f| f.kind == WATCH) {
                f.pid = None;
            }
            self.dirty = true;
            return Err(DevError::WatchExited { code });
        }
        let Some(i) = self.procs.iter().position(|p| p.plan.name == name) else {
            return Ok(()); // a log follower
        };
        let p = &mut self.procs[i];
        if p.gen != gen || p.phase == Phase::Stopped {
            return Ok(());
        }
        if let Some(pid) = p.pid.take() {
            // Whatever the process left behind in its group goes with it.
            child::signal_group(pid, libc::SIGKILL);
        }
        p.last_exit = code;
        if p.plan.kind == Kind::Job {
            if code == Some(0) {
                p.phase = Phase::Done;
                self.note(i, "completed");
                return Ok(());
            }
            let name = p.plan.name.clone();
            p.phase = Phase::Crashed;
            self.note(i, &format!("failed ({})", exit_text(code)));
            return Err(DevError::JobFailed { name, code });
        }
        if code == Some(127) && self.starting {
            return Err(DevError::CommandNotFound {
                name: p.plan.name.clone(),
                run: p.plan.run.clone(),
            });
        }
        let was_ready = p.phase == Phase::Ready;
        p.in_a_row = if was_ready { 1 } else { p.in_a_row + 1 };
        if p.in_a_row >= CRASH_LOOP {
            let (name, exits) = (p.plan.name.clone(), p.in_a_row);
            p.phase = Phase::Crashed;
            if self.starting {
                return Err(DevError::CrashLoop { name, exits, code });
            }
            self.note(i, &format!(
                "keeps crashing ({exits} exits in a row, last {}): not restarted until a watched file changes or `berth restart {name}`",
                exit_text(code)
            ));
            return Ok(());
        }
        let backoff = Duration::from_millis(250 * (1 << (p.in_a_row - 1).min(5)));
        p.phase = Phase::Backoff;
        p.restart_at = Some(Instant::now() + backoff);
        self.note(
            i,
            &format!(
                "exited ({}); restarting in {} ms",
                exit_text(code),
                backoff.as_millis()
            ),
        );
        Ok(())
    }

    /// Probes due, backoffs over, debounced changes, restart requests, the state file.
    fn tick(&mut self) -> Result<(), DevError> {
        let now = Instant::now();
        for i in 0..self.procs.len() {
            let p = &mut self.procs[i];
            if p.change_at.is_some_and(|t| t <= now) {
                p.change_at = None;
                if !self.starting || p.phase != Phase::Stopped {
                    self.restart(i, "change")?;
                }
                continue;
            }
            if p.phase == Phase::Backoff && p.restart_at.is_some_and(|t| t <= now) {
                p.restarts += 1;
                if let Err(e) = self.check_ports(i) {
                    self.procs[i].restart_at = Some(now + Duration::from_secs(1));
                    self.note(i, &e.to_string());
                    continue;
                }
                self.spawn(i)?;
                continue;
            }
            self.probe_due(i, now)?;
        }
        if now >= self.next_requests {
            self.next_requests = now + Duration::from_millis(200);
            for name in state::take_requests(&self.paths) {
                self.requested(&name)?;
            }
        }
        if self.dirty {
            self.save_state(if self.starting { "starting" } else { "running" });
        }
        Ok(())
    }

    fn probe_due(&mut self, i: usize, now: Instant) -> Result<(), DevError> {
        let p = &mut self.procs[i];
        let Some(r) = p.plan.readiness.clone() else {
            return Ok(());
        };
        if p.phase != Phase::Starting {
            return Ok(());
        }
        if now.duration_since(p.started) > Duration::from_millis(r.deadline_ms) && !p.warned_slow {
            p.warned_slow = true;
            let err = DevError::NotReady {
                name: p.plan.name.clone(),
                waited_s: r.deadline_ms / 1000,
                probe: serde_json::to_string(&r.probe).unwrap_or_default(),
            };
            if self.starting {
                return Err(err);
            }
            self.note(i, &err.to_string());
        }
        let p = &mut self.procs[i];
        if p.probing || now < p.next_probe {
            return Ok(());
        }
        p.probing = true;
        p.next_probe = now + Duration::from_millis(r.interval_ms);
        let (tx, name, gen) = (self.tx.clone(), p.plan.name.clone(), p.gen);
        let timeout = Duration::from_millis(r.timeout_ms);
        std::thread::spawn(move || {
            let ok = probe::check(&r.probe, timeout);
            let _ = tx.send(Event::Probe { name, gen, ok });
        });
        Ok(())
    }

    /// `berth restart NAME` from another terminal.
    fn requested(&mut self, name: &str) -> Result<(), DevError> {
        if let Some(i) = self.procs.iter().position(|p| p.plan.name == name) {
            return self.restart(i, "request");
        }
        if self.followers.iter().any(|f| f.name == name) {
            self.obs.note(name, "restarting (request)");
            if let Some(d) = self.session.plan().containers.as_ref() {
                let cmd = crate::process::Cmd::new("docker")
                    .args(["compose", "--ansi", "never", "-p", &d.project])
                    .args(d.files.iter().flat_map(|f| ["-f", f.as_str()]))
                    .args(["restart", name])
                    .cwd(self.session.ws.compose_dir(&self.session.model.environment));
                let _ = self.session.runner.output(&cmd);
            }
        }
        Ok(())
    }

    /// Stop process `i` (its whole group) and start it again.
    fn restart(&mut self, i: usize, why: &str) -> Result<(), DevError> {
        self.note(i, &format!("restarting ({why})"));
        self.stop(i);
        self.procs[i].restarts += 1;
        self.procs[i].in_a_row = 0;
        self.spawn(i)
    }

    fn stop(&mut self, i: usize) {
        let p = &mut self.procs[i];
        p.phase = Phase::Stopped;
        if let Some(pid) = p.pid.take() {
            let cancel = self.session.cancel.clone();
            stop_group(pid, GRACE, &move || cancel.load(Ordering::SeqCst));
        }
        self.dirty = true;
    }

    /// Stop every process and log follower. A Ctrl-C while stopping kills at once.
    pub fn shutdown(&mut self) {
        self.session.cancel.store(false, Ordering::SeqCst);
        self.save_state("stopping");
        for i in (0..self.procs.len()).rev() {
            if self.procs[i].pid.is_some() {
                self.note(i, "stopping");
            }
            self.stop(i);
        }
        for f in &mut self.followers {
            if let Some(pid) = f.pid.take() {
                stop_group(pid, Duration::from_secs(1), &|| true);
            }
        }
        while let Ok(ev) = self.rx.try_recv() {
            if let Event::Line { name, stream, text } = ev {
                self.obs.line(&name, stream, &text);
                self.log(&name, &text);
            }
        }
    }

    /// The containers are stopped too: record the end.
    pub fn finish(&mut self) {
        self.dirty = true;
        self.save_state("stopped");
    }

    fn states(&self) -> Vec<ProcessState> {
        let followers = self.followers.iter().map(|f| ProcessState {
            name: f.name.clone(),
            runs_as: if f.kind == WATCH {
                "process"
            } else {
                "container"
            }
            .into(),
            kind: f.kind.into(),
            pid: f.pid.filter(|_| f.kind == WATCH),
            state: if f.pid.is_some() {
                "running"
            } else {
                "stopped"
            }
            .into(),
            restarts: 0,
            last_exit: None,
        });
        let procs = self.procs.iter().map(|p| ProcessState {
            name: p.plan.name.clone(),
            runs_as: "process".into(),
            kind: p.plan.kind.word().into(),
            pid: p.pid,
            state: p.phase.word().into(),
            restarts: p.restarts,
            last_exit: p.last_exit,
        });
        followers.chain(procs).collect()
    }

    fn save_state(&mut self, state: &str) {
        self.dirty = false;
        let s = SessionState {
            environment: self.session.model.environment.clone(),
            pid: std::process::id(),
            state: state.into(),
            processes: self.states(),
        };
        if let Err(e) = s.save(&self.paths) {
            self.obs.note(
                "berth",
                &format!("cannot write {}: {e}", self.paths.state.display()),
            );
        }
    }

    pub fn report(&self) -> DevReport {
        DevReport {
            ready_ms: self.ready_ms,
            processes: self.states(),
        }
    }
}

fn exit_text(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit {c}"),
        None => "killed by a signal".into(),
    }
}

/// Each watched path (absolute) with the processes it restarts.
fn watches(session: &DevSession, procs: &[Proc]) -> Vec<Watch> {
    let mut out: Vec<Watch> = Vec::new();
    for p in procs {
        for w in &p.plan.watch {
            let path = session.ws.root.join(w);
            let path = path.canonicalize().unwrap_or(path);
            match out.iter_mut().find(|x| x.path == path) {
                Some(x) => x.names.push(p.plan.name.clone()),
                None => out.push(Watch {
                    path,
                    names: vec![p.plan.name.clone()],
                }),
            }
        }
    }
    out
}
