//! Running external programs (`docker compose`, recipe hooks, terraform) behind one small
//! trait, so the drivers' logic can be tested with a scripted runner and the real one is the
//! default. The real runner keeps the children it captures in bounds ([`child`]).

mod child;

pub use child::{cancel, cancelled, resume, tail, Limits};

use std::path::PathBuf;
use std::process::Command;

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A program invocation: what to run, where, with which extra environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    /// Start from an empty environment: the program sees only `env`.
    pub clear_env: bool,
    /// Text written to the program's stdin (then closed); None: no stdin. Never shown by
    /// [`Cmd::display`] (it may hold secret values).
    pub stdin: Option<String>,
    /// Memory and time bounds (captured runs only; none by default).
    pub limits: Limits,
}

impl Cmd {
    pub fn new(program: impl Into<String>) -> Self {
        Cmd {
            program: program.into(),
            ..Cmd::default()
        }
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    /// Feed `text` on stdin (e.g. an object to `kubectl apply -f -`).
    pub fn stdin(mut self, text: impl Into<String>) -> Self {
        self.stdin = Some(text.into());
        self
    }

    /// Don't inherit this process's environment; only what [`Cmd::env`] sets is passed.
    pub fn env_clear(mut self) -> Self {
        self.clear_env = true;
        self
    }

    /// Run under these bounds (see [`Limits`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The command line as a user would type it (for messages).
    pub fn display(&self) -> String {
        let mut s = self.program.clone();
        for a in &self.args {
            s.push(' ');
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                s.push_str(&format!("'{}'", a.replace('\'', "'\\''")));
            } else {
                s.push_str(a);
            }
        }
        s
    }
}

/// The captured result of a finished program.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    /// Exit code; None when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// How the drivers reach processes.
pub trait Runner: Send + Sync {
    /// Run to completion with stdout/stderr captured.
    fn output(&self, cmd: &Cmd) -> std::io::Result<Output>;
    /// Run to completion with the terminal's stdin/stdout/stderr; the exit code (None: signal).
    fn interactive(&self, cmd: &Cmd) -> std::io::Result<Option<i32>>;
    /// Run to completion handing every output line to `line` as it comes; the exit code
    /// (None: signal). By default: [`Runner::output`], then its stdout and stderr lines.
    fn stream(
        &self,
        cmd: &Cmd,
        line: &mut dyn FnMut(Stream, &str),
    ) -> std::io::Result<Option<i32>> {
        let out = self.output(cmd)?;
        for l in out.stdout.lines() {
            line(Stream::Stdout, l);
        }
        for l in out.stderr.lines() {
            line(Stream::Stderr, l);
        }
        Ok(out.code)
    }
    /// Start the program without waiting (stdin closed); every output line goes to `line` from
    /// a reader thread. By default: unsupported.
    fn spawn(&self, cmd: &Cmd, line: LineSink) -> std::io::Result<Box<dyn Running>> {
        let _ = line;
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!(
                "this runner cannot start `{}` in the background",
                cmd.display()
            ),
        ))
    }
}

/// A program started by [`Runner::spawn`] that runs on while its caller does other things.
pub trait Running: Send {
    /// Its exit code once it has ended (`Some(None)`: killed by a signal); `None` while it runs.
    fn try_wait(&mut self) -> std::io::Result<Option<Option<i32>>>;
    /// Kill it (if it still runs) and reap it, so no process is left behind.
    fn kill(&mut self) -> std::io::Result<()>;
}

/// Output lines of a spawned program, handed over from its reader thread.
pub type LineSink = Box<dyn FnMut(Stream, &str) + Send>;

/// The real runner: `std::process::Command`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRunner;

fn command(cmd: &Cmd) -> Command {
    let mut c = Command::new(&cmd.program);
    c.args(&cmd.args);
    if let Some(d) = &cmd.cwd {
        c.current_dir(d);
    }
    if cmd.clear_env {
        c.env_clear();
    }
    for (k, v) in &cmd.env {
        c.env(k, v);
    }
    c
}

/// Captured output split into lines as it comes (a last unterminated line included).
#[derive(Default)]
struct Lines {
    pending: [Vec<u8>; 2],
}

impl Lines {
    fn push(&mut self, s: Stream, bytes: &[u8], line: &mut dyn FnMut(Stream, &str)) {
        let buf = &mut self.pending[s as usize];
        buf.extend_from_slice(bytes);
        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
            let rest = buf.split_off(i + 1);
            let l = std::mem::replace(buf, rest);
            let text = String::from_utf8_lossy(&l[..i]);
            line(s, text.strip_suffix('\r').unwrap_or(&text));
        }
    }

    fn finish(self, line: &mut dyn FnMut(Stream, &str)) {
        for (s, buf) in [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .zip(self.pending)
        {
            if !buf.is_empty() {
                line(s, &String::from_utf8_lossy(&buf));
            }
        }
    }
}

impl Runner for SystemRunner {
    fn spawn(&self, cmd: &Cmd, line: LineSink) -> std::io::Result<Box<dyn Running>> {
        spawn_child(cmd, line)
    }

    /// In its own process group under the command's [`Limits`]; a child killed at its time
    /// limit or stopped by [`cancel`] is an error (`TimedOut`, `Interrupted`) that says so.
    fn output(&self, cmd: &Cmd) -> std::io::Result<Output> {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let end = child::run(cmd, command(cmd), &mut |s, b| match s {
            Stream::Stdout => stdout.extend_from_slice(b),
            Stream::Stderr => stderr.extend_from_slice(b),
        })?;
        let stderr = String::from_utf8_lossy(&stderr).into_owned();
        match end {
            child::End::Exited(status) => Ok(Output {
                code: status.code(),
                stdout: String::from_utf8_lossy(&stdout).into_owned(),
                stderr: child::explain(status, cmd.limits, stderr),
            }),
            child::End::TimedOut(limit) => Err(child::timed_out(cmd, limit, &stderr)),
            child::End::Interrupted => Err(child::interrupted(cmd)),
        }
    }

    /// On the terminal, in Berth's process group (it reads the terminal): not bounded.
    fn interactive(&self, cmd: &Cmd) -> std::io::Result<Option<i32>> {
        Ok(command(cmd).status()?.code())
    }

    /// stdout and stderr are read concurrently and interleaved as they come; bounded and
    /// stopped like [`Runner::output`].
    fn stream(
        &self,
        cmd: &Cmd,
        line: &mut dyn FnMut(Stream, &str),
    ) -> std::io::Result<Option<i32>> {
        let mut lines = Lines::default();
        let end = child::run(cmd, command(cmd), &mut |s, b| lines.push(s, b, line))?;
        lines.finish(line);
        match end {
            child::End::Exited(status) => Ok(status.code()),
            child::End::TimedOut(limit) => Err(child::timed_out(cmd, limit, "")),
            child::End::Interrupted => Err(child::interrupted(cmd)),
        }
    }
}

/// A child process of [`SystemRunner::spawn`].
struct SystemChild(std::process::Child);

impl Running for SystemChild {
    fn try_wait(&mut self) -> std::io::Result<Option<Option<i32>>> {
        Ok(self.0.try_wait()?.map(|s| s.code()))
    }

    fn kill(&mut self) -> std::io::Result<()> {
        if self.0.try_wait()?.is_none() {
            // It may end between the check and the kill; waiting reaps it either way.
            let _ = self.0.kill();
        }
        self.0.wait().map(|_| ())
    }
}

/// Start `cmd` with its output lines going to `line` (merged by one thread, as in `stream`).
fn spawn_child(cmd: &Cmd, mut line: LineSink) -> std::io::Result<Box<dyn Running>> {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    let mut child = command(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (tx, rx) = mpsc::channel::<(Stream, String)>();
    let out = child
        .stdout
        .take()
        .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>);
    let err = child
        .stderr
        .take()
        .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>);
    for (stream, pipe) in [(Stream::Stdout, out), (Stream::Stderr, err)] {
        let Some(pipe) = pipe else { continue };
        let tx = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send((stream, l));
            }
        });
    }
    drop(tx);
    std::thread::spawn(move || {
        for (s, l) in rx {
            line(s, &l);
        }
    });
    Ok(Box::new(SystemChild(child)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn display_quotes_what_a_shell_would_split() {
        let c = Cmd::new("sh").args(["-c", "echo hi", ""]);
        assert_eq!(c.display(), "sh -c 'echo hi' ''");
    }

    #[test]
    fn system_runner_captures_output_and_code() {
        let out = SystemRunner
            .output(&Cmd::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]))
            .unwrap();
        assert_eq!(out.code, Some(3));
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
    }

    #[test]
    fn system_runner_clears_the_environment_when_asked() {
        let cmd = Cmd::new("/usr/bin/env").env("ONLY", "kept");
        let inherited = SystemRunner.output(&cmd).unwrap();
        let cleared = SystemRunner.output(&cmd.env_clear()).unwrap();
        // cargo runs tests with CARGO_* variables set, so the inherited environment is larger.
        assert!(inherited.stdout.lines().count() > 1, "{}", inherited.stdout);
        assert_eq!(cleared.stdout, "ONLY=kept\n");
    }

    #[test]
    fn system_runner_spawns_in_the_background_and_kills_and_reaps() {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut child = SystemRunner
            .spawn(
                &Cmd::new("sh").args(["-c", "echo ready; exec sleep 30"]),
                Box::new(move |s, l| {
                    let _ = tx.send((s, l.to_string()));
                }),
            )
            .unwrap();
        let first = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert_eq!(first, (Stream::Stdout, "ready".to_string()));
        assert_eq!(child.try_wait().unwrap(), None);
        child.kill().unwrap();
        let mut done = SystemRunner
            .spawn(&Cmd::new("sh").args(["-c", "exit 4"]), Box::new(|_, _| {}))
            .unwrap();
        let code = loop {
            if let Some(c) = done.try_wait().unwrap() {
                break c;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(code, Some(4));
    }

    #[test]
    fn system_runner_feeds_stdin() {
        let out = SystemRunner
            .output(&Cmd::new("cat").stdin("kind: Secret\n"))
            .unwrap();
        assert_eq!(out.stdout, "kind: Secret\n");
    }

    #[test]
    fn system_runner_streams_both_outputs_in_order() {
        let mut got = Vec::new();
        let code = SystemRunner
            .stream(
                &Cmd::new("sh").args(["-c", "echo a; echo b >&2; echo c; exit 2"]),
                &mut |s, l| got.push((s, l.to_string())),
            )
            .unwrap();
        assert_eq!(code, Some(2));
        let out: Vec<&str> = got
            .iter()
            .filter(|(s, _)| *s == Stream::Stdout)
            .map(|(_, l)| l.as_str())
            .collect();
        assert_eq!(out, ["a", "c"]);
        assert!(got.contains(&(Stream::Stderr, "b".to_string())));
    }

    /// Whether a process is alive (a zombie counts as dead).
    fn alive(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    }

    #[test]
    fn the_memory_limit_reaches_the_child() {
        let limits = Limits {
            memory: Some(256 << 20),
            timeout: None,
        };
        let out = SystemRunner
            .output(&Cmd::new("sh").args(["-c", "ulimit -v"]).limits(limits))
            .unwrap();
        assert_eq!(out.stdout.trim(), (256 << 10).to_string());
    }

    #[test]
    fn a_child_past_its_time_limit_is_killed_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!(
            "sleep 600 & echo $! > {}; echo working >&2; wait",
            pid_file.display()
        );
        let limits = Limits {
            memory: None,
            timeout: Some(Duration::from_secs(1)),
        };
        let err = SystemRunner
            .output(&Cmd::new("sh").args(["-c", &script]).limits(limits))
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        let msg = err.to_string();
        assert!(
            msg.contains("within 1s") && msg.contains("working"),
            "{msg}"
        );
        let grandchild = std::fs::read_to_string(&pid_file).unwrap();
        assert!(!alive(grandchild.trim()), "sleep {grandchild} survived");
    }

    #[test]
    fn a_bounded_child_takes_its_group_with_it_when_it_exits() {
        let limits = Limits {
            memory: None,
            timeout: Some(Duration::from_secs(600)),
        };
        let out = SystemRunner
            .output(
                &Cmd::new("sh")
                    .args(["-c", "sleep 600 & echo $!"])
                    .limits(limits),
            )
            .unwrap();
        assert!(out.success());
        assert!(!alive(out.stdout.trim()), "sleep {} survived", out.stdout);
    }

    #[test]
    fn a_death_by_signal_is_told() {
        let out = SystemRunner
            .output(&Cmd::new("sh").args(["-c", "kill -9 $$"]))
            .unwrap();
        assert_eq!(out.code, None);
        assert_eq!(out.stderr, "[killed by signal 9 (SIGKILL)]");
        let bounded = Limits {
            memory: Some(1 << 30),
            timeout: None,
        };
        let out = SystemRunner
            .output(
                &Cmd::new("sh")
                    .args(["-c", "echo fatal error: out of memory >&2; exit 2"])
                    .limits(bounded),
            )
            .unwrap();
        assert!(
            out.stderr
                .ends_with("out of memory\n[it reached the memory limit of 1024 MiB]"),
            "{}",
            out.stderr
        );
    }

    #[test]
    fn streamed_lines_keep_a_last_unterminated_line() {
        let mut got = Vec::new();
        SystemRunner
            .stream(&Cmd::new("printf").arg("a\\nb"), &mut |_, l| {
                got.push(l.to_string())
            })
            .unwrap();
        assert_eq!(got, ["a", "b"]);
    }
}
