//! A small fluent builder for running the `berth` binary in tests.
#![allow(dead_code)]

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
