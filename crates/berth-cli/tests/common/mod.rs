//! A small fluent builder for running the `berth` binary in tests, and the filters that make
//! its output stable for snapshots (`berth_snapshot!`).
#![allow(dead_code)]

pub mod dev;
pub mod docker;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub struct Berth {
    cmd: Command,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Berth {
    pub fn new() -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_berth"));
        cmd.env("NO_COLOR", "1").env_remove("BERTH_FILE");
        Berth { cmd }
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn file(self, path: impl AsRef<Path>) -> Self {
        let p = path.as_ref().to_path_buf();
        self.args([std::ffi::OsString::from("-f"), p.into_os_string()])
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn run(mut self) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = self.cmd.output().expect("berth runs");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// stdout parsed as JSON (a test failure, with the output, when it is not JSON).
    pub fn stdout_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Exit code, stdout and stderr in one text, for a snapshot (filtered by `berth_snapshot!`).
    pub fn snapshot(&self) -> String {
        format!(
            "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Regex filters that make snapshots stable: the repository and temporary directories become
/// `[REPO]` and `[TEMP]`, measured durations (`1.2s`, `15ms`) `[TIME]`.
pub fn filters() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    let tmp = std::env::temp_dir();
    let mut tmps = vec![tmp.clone()];
    if let Ok(canonical) = tmp.canonicalize() {
        tmps.push(canonical);
    }
    for t in tmps {
        let t = t.display().to_string();
        let t = t.trim_end_matches('/');
        out.push((format!(r"{}/\.tmp[A-Za-z0-9]+", escape(t)), "[TEMP]"));
    }
    out.push((escape(&repo_root().display().to_string()), "[REPO]"));
    out.push((r"\b\d+\.\d+s\b".to_string(), "[TIME]"));
    out.push((r"\b\d+ms\b".to_string(), "[TIME]"));
    out
}

fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `berth_snapshot!(NAME, run)`: snapshot a [`Run`] (exit code, stdout, stderr) with the
/// [`filters`] applied; the snapshot lives in `tests/snapshots/`.
#[macro_export]
macro_rules! berth_snapshot {
    ($name:expr, $run:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $crate::common::filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let text = $run.snapshot();
        settings.bind(|| insta::assert_snapshot!($name, text));
    }};
}

/// A temporary project directory (removed on drop).
pub struct TempProject {
    pub dir: tempfile::TempDir,
}

impl TempProject {
    pub fn empty() -> Self {
        TempProject {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A project with `berth init --name NAME`'s starter spec.
    pub fn init(name: &str) -> Self {
        let p = Self::empty();
        p.berth().args(["init", "--name", name]).run().ok();
        p
    }

    /// A project holding a copy of `examples/NAME/berth.yaml`.
    pub fn example(name: &str) -> Self {
        let p = Self::empty();
        std::fs::copy(
            repo_root().join("examples").join(name).join("berth.yaml"),
            p.path().join("berth.yaml"),
        )
        .unwrap();
        p
    }

    /// A project holding a copy of `tests/import-corpus/NAME`.
    pub fn corpus(name: &str) -> Self {
        let p = Self::empty();
        copy_dir(
            &repo_root().join("tests/import-corpus").join(name),
            p.path(),
        );
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> &Self {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    /// `berth` running in this directory.
    pub fn berth(&self) -> Berth {
        Berth::new().dir(self.path())
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Every example spec with its environment names (read from the spec itself).
pub fn examples() -> Vec<(PathBuf, Vec<String>)> {
    let root = repo_root().join("examples");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path().join("berth.yaml");
        if !path.exists() {
            continue;
        }
        let source = berth_spec::Source::new(
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        );
        let spec = berth_spec::load(&source).spec.expect("example loads");
        let envs = spec.environments.keys().map(|k| k.value.clone()).collect();
        out.push((path, envs));
    }
    out.sort();
    out
}

/// Stub `kubectl`, `minikube`, `kind`, `k3d` and `docker` that only record their calls (exit 0,
/// no output), ahead of the host's PATH: for commands that must not call them.
#[allow(dead_code)]
pub fn cluster_cli_stubs() -> berth_testkit::stubs::PathStubs {
    let stubs = berth_testkit::stubs::PathStubs::new();
    for tool in ["kubectl", "minikube", "kind", "k3d", "docker"] {
        stubs.program(tool);
    }
    stubs
}
