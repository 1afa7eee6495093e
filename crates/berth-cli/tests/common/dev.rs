//! `berth dev` (or any long-running `berth` command) in the background for end-to-end tests:
//! its stdout and stderr collected line by line, signals, polling while it stays up, and a Drop
//! that stops it (SIGINT first so Berth stops its children, then SIGKILL).

use super::Berth;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (free when asked; the listener is closed again).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `kill -SIG PID` (a test failure when `kill` fails).
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

impl Berth {
    /// Start the command in the background: a [`DevSession`] collecting its output.
    pub fn spawn(mut self) -> DevSession {
        let mut child = self
            .cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("berth starts");
        let out = Arc::new(Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut o = out.lock().unwrap();
                    o.push_str(&l);
                    o.push('\n');
                }
            });
        }
        DevSession { child, out }
    }
}

/// A `berth` process running in the background, its stdout and stderr lines collected.
pub struct DevSession {
    child: Child,
    out: Arc<Mutex<String>>,
}

impl DevSession {
    /// Everything it printed so far (stdout and stderr, in arrival order).
    pub fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, sig: &str) {
        signal(self.pid(), sig);
    }

    /// The exit code once it has exited (-1 when killed by a signal), None while it runs.
    pub fn exited(&mut self) -> Option<i32> {
        self.child
            .try_wait()
            .unwrap()
            .map(|s| s.code().unwrap_or(-1))
    }

    /// Wait for the exit code (None: still running after `within`).
    pub fn wait(&mut self, within: Duration) -> Option<i32> {
        let end = Instant::now() + within;
        loop {
            if let Some(code) = self.exited() {
                return Some(code);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGINT, then the exit code (a test failure when still running after `within`).
    pub fn interrupt(&mut self, within: Duration) -> i32 {
        self.signal("INT");
        let code = self.wait(within);
        code.unwrap_or_else(|| panic!("still running after SIGINT:\n{}", self.output()))
    }

    /// Poll `what` until it returns Some, at most `secs`; the session must stay up meanwhile.
    pub fn until<T>(&mut self, secs: u64, why: &str, what: impl Fn(&DevSession) -> Option<T>) -> T {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = what(self) {
                return v;
            }
            if let Some(code) = self.exited() {
                panic!(
                    "berth exited ({code}) while waiting for {why}:\n{}",
                    self.output()
                );
            }
            assert!(
                Instant::now() < end,
                "no {why} after {secs}s:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until the output holds `text`, at most `secs`.
    pub fn wait_for(&mut self, text: &str, secs: u64) {
        self.until(secs, &format!("`{text}`"), |s| {
            s.output().contains(text).then_some(())
        });
    }
}

impl Drop for DevSession {
    /// A failed test still stops what it started: SIGINT first (Berth stops its children),
    /// SIGKILL after 15 s.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill")
                .args(["-INT", &self.pid().to_string()])
                .status();
            let end = Instant::now() + Duration::from_secs(15);
            while self.child.try_wait().ok().flatten().is_none() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
