//! Executing a [`ClusterPlan`]: read the state, run what the state calls for, read it again.

use super::probe::{self, ClusterState, State};
use super::{kind, Action, ClusterError, ClusterPlan, Step, Tool};
use crate::fsutil::{self, Content};
use crate::process::{Cmd, Output, Runner, Stream};
use serde::Serialize;
use std::collections::VecDeque;
use std::path::Path;

/// What `create` or `delete` found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub before: ClusterState,
    /// The steps run, as command lines (empty: nothing to do).
    pub ran: Vec<String>,
    pub after: ClusterState,
}

/// The cluster's state (runs the plan's read-only probe).
pub fn status(runner: &dyn Runner, plan: &ClusterPlan) -> Result<ClusterState, ClusterError> {
    let id = &plan.cluster;
    let first = &plan.probe[0];
    match id.tool {
        Tool::Minikube => {
            let out = capture(runner, first)?;
            probe::minikube(&out).map_err(|why| unreadable(first, why))
        }
        Tool::Kind => {
            let out = checked(runner, first)?;
            if !probe::kind_has(&out, &id.cluster) {
                return Ok(ClusterState::of(State::Absent));
            }
            let node = capture(runner, &probe::kind_node(&id.cluster))?;
            Ok(probe::kind_running(&node))
        }
        Tool::K3d => {
            let out = checked(runner, first)?;
            probe::k3d(&out, &id.cluster).map_err(|why| unreadable(first, why))
        }
    }
}

/// Run the plan: `create` runs its steps when the cluster is absent and its resume steps when
/// it is stopped; `delete` runs its steps unless the cluster is absent. Command output goes to
/// `line` as it comes.
pub fn execute(
    runner: &dyn Runner,
    plan: &ClusterPlan,
    line: &mut dyn FnMut(&str),
) -> Result<Outcome, ClusterError> {
    let before = status(runner, plan)?;
    let steps: &[Step] = match (plan.action, before.state) {
        (Action::Create, State::Absent) => &plan.steps,
        (Action::Create, State::Stopped) => &plan.resume,
        (Action::Delete, State::Running | State::Stopped) => &plan.steps,
        _ => &[],
    };
    let mut ran = Vec::new();
    for step in steps {
        ran.push(run_step(runner, step, line)?);
    }
    let after = if ran.is_empty() {
        before.clone()
    } else {
        status(runner, plan)?
    };
    Ok(Outcome { before, ran, after })
}

fn run_step(
    runner: &dyn Runner,
    step: &Step,
    line: &mut dyn FnMut(&str),
) -> Result<String, ClusterError> {
    match step {
        Step::Write { path, contents } => {
            write(path, contents)?;
            Ok(format!("write {}", path.display()))
        }
        Step::Run { argv } => {
            stream(runner, argv, line)?;
            Ok(cmd(argv).display())
        }
        Step::HostAlias {
            context,
            network,
            alias,
            file,
        } => host_alias(runner, context, network, alias, file, line),
    }
}

/// kind: `alias` → the network's gateway in CoreDNS (not on Docker Desktop).
fn host_alias(
    runner: &dyn Runner,
    context: &str,
    network: &str,
    alias: &str,
    file: &Path,
    line: &mut dyn FnMut(&str),
) -> Result<String, ClusterError> {
    let os = checked(
        runner,
        &words(&["docker", "info", "--format", "{{.OperatingSystem}}"]),
    )?;
    if os.stdout.contains("Docker Desktop") {
        let note = format!("{alias}: Docker Desktop resolves it already");
        line(&note);
        return Ok(note);
    }
    let inspect = words(&[
        "docker",
        "network",
        "inspect",
        network,
        "--format",
        "{{json .IPAM.Config}}",
    ]);
    let gateway = kind::gateway(&checked(runner, &inspect)?.stdout)
        .map_err(|why| unreadable(&inspect, why))?;
    let get = words(&[
        "kubectl",
        "--context",
        context,
        "--namespace",
        "kube-system",
        "get",
        "configmap",
        "coredns",
        "--output",
        "json",
    ]);
    let cm = checked(runner, &get)?.stdout;
    let corefile = serde_json::from_str::<serde_json::Value>(&cm)
        .ok()
        .and_then(|v| v["data"]["Corefile"].as_str().map(str::to_string))
        .ok_or_else(|| unreadable(&get, "no data.Corefile".into()))?;
    let edited = kind::corefile_with_alias(&corefile, alias, gateway)
        .and_then(|c| kind::configmap_with(&cm, &c))
        .map_err(|why| unreadable(&get, why))?;
    write(file, &edited)?;
    let file_arg = file.display().to_string();
    stream(
        runner,
        &words(&[
            "kubectl",
            "--context",
            context,
            "replace",
            "--filename",
            &file_arg,
        ]),
        line,
    )?;
    Ok(format!("{alias} → {gateway} in CoreDNS"))
}

fn write(path: &Path, contents: &str) -> Result<(), ClusterError> {
    fsutil::write_atomic(path, contents.as_bytes(), Content::Rendered).map_err(|source| {
        ClusterError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

fn cmd(argv: &[String]) -> Cmd {
    Cmd::new(&argv[0]).args(&argv[1..])
}

fn unreadable(argv: &[String], why: String) -> ClusterError {
    ClusterError::Output {
        command: cmd(argv).display(),
        why,
    }
}

/// A program that cannot be started: not installed, or another reason.
fn spawn_error(argv: &[String], source: std::io::Error) -> ClusterError {
    let command = cmd(argv).display();
    if source.kind() == std::io::ErrorKind::NotFound {
        ClusterError::Missing {
            program: argv[0].clone(),
            command,
        }
    } else {
        ClusterError::Spawn { command, source }
    }
}

/// Run captured, whatever the exit code.
fn capture(runner: &dyn Runner, argv: &[String]) -> Result<Output, ClusterError> {
    runner.output(&cmd(argv)).map_err(|e| spawn_error(argv, e))
}

/// Run captured; a non-zero exit is an error.
fn checked(runner: &dyn Runner, argv: &[String]) -> Result<Output, ClusterError> {
    let out = capture(runner, argv)?;
    if out.success() {
        return Ok(out);
    }
    Err(ClusterError::Failed {
        command: cmd(argv).display(),
        code: out.code,
        detail: format!("{}{}", out.stderr, out.stdout).trim().to_string(),
    })
}

/// Lines of output a failed streamed command's error repeats.
const TAIL: usize = 20;

/// Run with every output line handed to `line`; a non-zero exit is an error carrying the last
/// lines.
fn stream(
    runner: &dyn Runner,
    argv: &[String],
    line: &mut dyn FnMut(&str),
) -> Result<(), ClusterError> {
    let mut tail = VecDeque::with_capacity(TAIL);
    let code = runner
        .stream(&cmd(argv), &mut |_: Stream, l: &str| {
            if tail.len() == TAIL {
                tail.pop_front();
            }
            tail.push_back(l.to_string());
            line(l);
        })
        .map_err(|e| spawn_error(argv, e))?;
    if code == Some(0) {
        return Ok(());
    }
    Err(ClusterError::Failed {
        command: cmd(argv).display(),
        code,
        detail: Vec::from(tail).join("\n"),
    })
}
