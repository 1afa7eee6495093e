//! PATH stubs: fake `kubectl`, `kind`, `minikube`, `k3d`, `docker`, … for end-to-end tests of the
//! `berth` binary, where no real cluster can run.
//!
//! [`PathStubs`] owns a temporary directory with a `bin/` of small `sh` scripts, one per stubbed
//! program. Each call of a stub is recorded (its argv, NUL-safe, and everything it read on stdin)
//! and answered from a script: the first [`Reply`] whose argv prefix matches prints its stdout and
//! stderr and exits with its code; with no match the stub prints nothing and exits 0. A reply can
//! also keep running until it is killed ([`Reply::hang`]), like `kubectl port-forward`.
//!
//! ```no_run
//! use berth_testkit::stubs::{PathStubs, Reply};
//!
//! let stubs = PathStubs::new();
//! stubs.program("kind")
//!     .on(&["get", "clusters"], Reply::stdout("shop\n"))
//!     .on(&["delete"], Reply::fail(1, "ERROR: no such cluster\n"));
//! // run `berth` with PATH=stubs.path() (only the stubs) or stubs.path_with_host()
//! let calls = stubs.calls();
//! assert_eq!(calls[0].line(), "kind get clusters");
//! ```
//!
//! Calls are numbered under a lock (`mkdir` is atomic), so concurrent calls keep the order in which
//! they started. The scripts use only `sh`, `mkdir`, `rmdir`, `cat`, `printf` and `sleep` from
//! `/usr/bin:/bin`, so the stubbed command can run with `PATH` holding nothing but the stubs:
//! a program without a stub is then missing, which is how "CLI not installed" is tested.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What a stub does for a call whose argv starts with a given prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    stdout: String,
    stderr: String,
    code: i32,
    hang: bool,
}

impl Reply {
    /// Print `out` on stdout, exit 0.
    pub fn stdout(out: impl Into<String>) -> Self {
        Reply {
            stdout: out.into(),
            ..Reply::default()
        }
    }

    /// Print `err` on stderr, exit with `code`.
    pub fn fail(code: i32, err: impl Into<String>) -> Self {
        Reply {
            stderr: err.into(),
            code,
            ..Reply::default()
        }
    }

    /// Exit 0 without output.
    pub fn ok() -> Self {
        Reply::default()
    }

    /// Also print `err` on stderr.
    pub fn with_stderr(mut self, err: impl Into<String>) -> Self {
        self.stderr = err.into();
        self
    }

    /// After printing, keep running until killed (a foreground session such as
    /// `kubectl port-forward`). The stub `exec`s `sleep`, so killing it leaves no child behind.
    pub fn hang(mut self) -> Self {
        self.hang = true;
        self
    }
}

/// One recorded call of a stub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub program: String,
    pub args: Vec<String>,
    /// What the call read on stdin (empty when stdin was a terminal).
    pub stdin: String,
    /// The stub's process id (a hanging stub `exec`s `sleep`, which keeps it).
    pub pid: Option<u32>,
}

impl Call {
    /// `program arg arg …`, space-separated (for assertions on whole command lines).
    pub fn line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A directory of stub executables and the log of their calls. Removed when dropped.
#[derive(Debug)]
pub struct PathStubs {
    dir: tempfile::TempDir,
}

impl Default for PathStubs {
    fn default() -> Self {
        Self::new()
    }
}

impl PathStubs {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for PATH stubs");
        for sub in ["bin", "replies", "calls"] {
            fs::create_dir(dir.path().join(sub)).expect("stub directories");
        }
        fs::write(dir.path().join("calls/seq"), "0").expect("the call counter");
        PathStubs { dir }
    }

    /// Install (or reinstall, with no replies yet) a stub for `name` and return a builder for
    /// its replies. A stub with no reply exits 0 silently.
    pub fn program(&self, name: &str) -> Stub<'_> {
        let stub = Stub {
            stubs: self,
            name: name.to_string(),
            rules: Vec::new(),
        };
        stub.write();
        stub
    }

    /// The directory holding the stubs.
    pub fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// A `PATH` value with only the stubs: every other program is missing.
    pub fn path(&self) -> String {
        self.bin().display().to_string()
    }

    /// A `PATH` value with the stubs first, then this process's `PATH`.
    pub fn path_with_host(&self) -> String {
        match std::env::var("PATH") {
            Ok(host) if !host.is_empty() => format!("{}:{host}", self.path()),
            _ => self.path(),
        }
    }

    /// Every call so far, in the order they started.
    pub fn calls(&self) -> Vec<Call> {
        let root = self.dir.path().join("calls");
        let mut numbered: Vec<(u64, PathBuf)> = fs::read_dir(&root)
            .expect("the calls directory")
            .filter_map(Result::ok)
            .filter_map(|e| {
                let n = e.file_name().to_str()?.parse().ok()?;
                Some((n, e.path()))
            })
            .collect();
        numbered.sort();
        numbered
            .iter()
            .filter_map(|(_, dir)| read_call(dir))
            .collect()
    }

    /// The calls as command lines ([`Call::line`]).
    pub fn lines(&self) -> Vec<String> {
        self.calls().iter().map(Call::line).collect()
    }

    /// The calls of one program.
    pub fn calls_of(&self, program: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.program == program)
            .collect()
    }
}

/// A call directory is complete once its `argv` file exists (written last but for stdin).
fn read_call(dir: &Path) -> Option<Call> {
    let argv = fs::read(dir.join("argv")).ok()?;
    let mut words = argv
        .split(|b| *b == 0)
        .map(|w| String::from_utf8_lossy(w).into_owned());
    let program = words.next()?;
    let mut args: Vec<String> = words.collect();
    // `printf '%s\0'` ends every word with NUL, so the split leaves one empty tail.
    args.pop();
    let stdin = fs::read(dir.join("stdin"))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let pid = fs::read_to_string(dir.join("pid"))
        .ok()
        .and_then(|p| p.trim().parse().ok());
    Some(Call {
        program,
        args,
        stdin,
        pid,
    })
}

/// The replies of one stub, written into its script as they are added.
#[derive(Debug)]
pub struct Stub<'a> {
    stubs: &'a PathStubs,
    name: String,
    rules: Vec<(Vec<String>, Vec<Reply>)>,
}

impl Stub<'_> {
    /// Answer calls whose argv starts with `prefix` (whole words) with `reply`. Earlier rules
    /// win; an empty prefix matches every call.
    pub fn on(self, prefix: &[&str], reply: Reply) -> Self {
        self.on_each(prefix, vec![reply])
    }

    /// Answer the first matching call with `replies[0]`, the second with `replies[1]`, …, and
    /// every later one with the last (a state that changes: absent, then created).
    pub fn on_each(mut self, prefix: &[&str], replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty(), "a rule needs a reply");
        self.rules
            .push((prefix.iter().map(|s| s.to_string()).collect(), replies));
        self.write();
        self
    }

    fn write(&self) {
        let root = self.stubs.dir.path();
        let mut cases = String::new();
        for (i, (prefix, replies)) in self.rules.iter().enumerate() {
            let pattern: String = prefix
                .iter()
                .map(|w| format!("{}\"$US\"", quote(w)))
                .collect();
            let counter = root
                .join("replies")
                .join(format!("{}.{i}.count", self.name));
            cases.push_str(&format!(
                "  {pattern}*)\n    case $(next {} {}) in\n",
                quote(&counter.display().to_string()),
                replies.len() - 1
            ));
            for (k, reply) in replies.iter().enumerate() {
                let branch = self.reply_branch(&format!("{i}.{k}"), reply);
                cases.push_str(&format!("      {k}) {branch} ;;\n"));
            }
            cases.push_str("    esac ;;\n");
        }
        let script = format!(
            include_str!("stub.sh"),
            calls = quote(&root.join("calls").display().to_string()),
            name = quote(&self.name),
            cases = cases,
        );
        let path = self.stubs.bin().join(&self.name);
        fs::write(&path, script).expect("the stub script");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("stub is executable");
    }

    /// The shell commands that give `reply` (its output kept in files named after `id`).
    fn reply_branch(&self, id: &str, reply: &Reply) -> String {
        let file = |ext: &str| {
            let path = self
                .stubs
                .dir
                .path()
                .join("replies")
                .join(format!("{}.{id}.{ext}", self.name));
            quote(&path.display().to_string())
        };
        let replies = self.stubs.dir.path().join("replies");
        fs::write(
            replies.join(format!("{}.{id}.out", self.name)),
            &reply.stdout,
        )
        .expect("a stub reply");
        fs::write(
            replies.join(format!("{}.{id}.err", self.name)),
            &reply.stderr,
        )
        .expect("a stub reply");
        // A hanging call never reads stdin: its parent may keep that open for as long.
        let (stdin, tail) = if reply.hang {
            ("", "exec sleep 86400".to_string())
        } else {
            ("record_stdin; ", format!("exit {}", reply.code))
        };
        format!(
            "{stdin}cat {}; cat {} >&2; {tail}",
            file("out"),
            file("err")
        )
    }
}

/// `s` as one single-quoted `sh` word.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn run(stubs: &PathStubs, argv: &[&str], stdin: &str) -> std::process::Output {
        use std::io::Write;
        let mut child = Command::new(argv[0])
            .args(&argv[1..])
            .env("PATH", stubs.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the stub runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    #[test]
    fn records_argv_and_stdin_and_answers_the_first_matching_prefix() {
        let stubs = PathStubs::new();
        stubs
            .program("kind")
            .on(&["get", "clusters"], Reply::stdout("shop\nother\n"))
            .on(&["get"], Reply::fail(3, "nope\n"))
            .on(&["delete"], Reply::ok().with_stderr("Deleting\n"));
        let listed = run(&stubs, &["kind", "get", "clusters"], "");
        assert_eq!(listed.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&listed.stdout), "shop\nother\n");
        let other = run(&stubs, &["kind", "get", "nodes"], "");
        assert_eq!(other.status.code(), Some(3));
        assert_eq!(String::from_utf8_lossy(&other.stderr), "nope\n");
        // "get" must match the whole word, not a prefix of it.
        let unmatched = run(&stubs, &["kind", "getter"], "");
        assert_eq!(unmatched.status.code(), Some(0));
        assert!(unmatched.stdout.is_empty());
        run(
            &stubs,
            &["kind", "delete", "it's $HOME", "", "a\nb"],
            "apiVersion: v1\n",
        );
        let calls = stubs.calls();
        assert_eq!(
            stubs.lines(),
            [
                "kind get clusters",
                "kind get nodes",
                "kind getter",
                "kind delete it's $HOME  a\nb"
            ]
        );
        assert_eq!(calls[3].args, ["delete", "it's $HOME", "", "a\nb"]);
        assert_eq!(calls[3].stdin, "apiVersion: v1\n");
        assert_eq!(calls[0].stdin, "");
    }

    #[test]
    fn a_sequence_of_replies_answers_calls_in_turn_then_repeats_the_last() {
        let stubs = PathStubs::new();
        stubs.program("k3d").on_each(
            &["cluster", "list"],
            vec![
                Reply::stdout("[]"),
                Reply::stdout("[{}]"),
                Reply::fail(2, ""),
            ],
        );
        let codes: Vec<(Option<i32>, String)> = (0..4)
            .map(|_| {
                let o = run(&stubs, &["k3d", "cluster", "list"], "");
                (
                    o.status.code(),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                )
            })
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            codes,
            [
                (Some(0), s("[]")),
                (Some(0), s("[{}]")),
                (Some(2), s("")),
                (Some(2), s(""))
            ]
        );
        assert!(stubs.calls().iter().all(|c| c.pid.is_some()));
    }

    #[test]
    fn only_stubbed_programs_are_on_the_isolated_path() {
        let stubs = PathStubs::new();
        stubs.program("k3d");
        // `sh` is started by absolute path: it is not on the isolated PATH either.
        let missing = Command::new("/bin/sh")
            .args(["-c", "command -v kubectl || exit 7"])
            .env("PATH", stubs.path())
            .output()
            .unwrap();
        assert_eq!(missing.status.code(), Some(7));
        let found = Command::new("/bin/sh")
            .args(["-c", "command -v k3d"])
            .env("PATH", stubs.path())
            .output()
            .unwrap();
        assert!(found.status.success());
        assert!(stubs.path_with_host().starts_with(&stubs.path()));
        assert_eq!(stubs.calls_of("k3d"), []);
    }

    #[test]
    fn a_hanging_reply_runs_until_killed_and_is_recorded_first() {
        let stubs = PathStubs::new();
        stubs.program("kubectl").on(
            &["port-forward"],
            Reply::stdout("Forwarding from 127.0.0.1:8080 -> 80\n").hang(),
        );
        let mut child = Command::new(stubs.bin().join("kubectl"))
            .args(["port-forward", "svc/api", "8080:80"])
            .env("PATH", stubs.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert_eq!(first, "Forwarding from 127.0.0.1:8080 -> 80\n");
        assert_eq!(child.try_wait().unwrap(), None, "the stub exited early");
        assert_eq!(
            stubs.calls()[0].pid,
            Some(child.id()),
            "exec keeps the stub's pid"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(stubs.lines(), ["kubectl port-forward svc/api 8080:80"]);
    }

    #[test]
    fn concurrent_calls_get_distinct_numbers() {
        let stubs = PathStubs::new();
        stubs.program("docker");
        let children: Vec<_> = (0..8)
            .map(|i| {
                Command::new(stubs.bin().join("docker"))
                    .arg(i.to_string())
                    .stdin(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            c.wait().unwrap();
        }
        let mut args: Vec<String> = stubs
            .calls()
            .into_iter()
            .map(|c| c.args[0].clone())
            .collect();
        args.sort();
        assert_eq!(args, ["0", "1", "2", "3", "4", "5", "6", "7"]);
    }
}
