//! Running external programs (`docker compose`, recipe hooks, terraform) behind one small
//! trait, so the drivers' logic can be tested with a scripted runner and the real one is the
//! default.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;

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
}

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

impl Runner for SystemRunner {
    fn output(&self, cmd: &Cmd) -> std::io::Result<Output> {
        let out = match &cmd.stdin {
            None => command(cmd).stdin(Stdio::null()).output()?,
            Some(text) => {
                let mut child = command(cmd)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()?;
                let mut pipe = child.stdin.take().expect("stdin is piped");
                let text = text.clone();
                // Written from a thread so a program that prints before it reads cannot block.
                let writer = std::thread::spawn(move || {
                    use std::io::Write;
                    let _ = pipe.write_all(text.as_bytes());
                });
                let out = child.wait_with_output()?;
                let _ = writer.join();
                out
            }
        };
        Ok(Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    fn interactive(&self, cmd: &Cmd) -> std::io::Result<Option<i32>> {
        Ok(command(cmd).status()?.code())
    }

    /// stdout and stderr are read concurrently and interleaved as they come.
    fn stream(
        &self,
        cmd: &Cmd,
        line: &mut dyn FnMut(Stream, &str),
    ) -> std::io::Result<Option<i32>> {
        let mut child = command(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (tx, rx) = mpsc::channel::<(Stream, String)>();
        let mut readers = Vec::new();
        let pipes: [(Stream, Option<Box<dyn std::io::Read + Send>>); 2] = [
            (
                Stream::Stdout,
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            ),
            (
                Stream::Stderr,
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            ),
        ];
        for (stream, pipe) in pipes {
            let Some(pipe) = pipe else { continue };
            let tx = tx.clone();
            readers.push(std::thread::spawn(move || {
                for l in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send((stream, l));
                }
            }));
        }
        drop(tx);
        for (s, l) in rx {
            line(s, &l);
        }
        for r in readers {
            let _ = r.join();
        }
        Ok(child.wait()?.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn system_runner_feeds_stdin() {
        let out = SystemRunner
            .output(&Cmd::new("cat").stdin("kind: Secret\n"))
            .unwrap();
        assert_eq!(out.stdout, "kind: Secret\n");
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
}
