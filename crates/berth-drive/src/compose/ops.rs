//! The commands beside `up`: `down`, `status`, `logs`, `restart`, `run` and a recipe's pre and
//! post commands, on the environment's compose plan.

use super::{
    ComposeDriver, Container, DriveError, Files, Kind, Observer, Prepared, ServiceStatus, Unit,
};
use crate::process::Cmd;
use crate::select::UnknownService;
use crate::workspace::LOCK_PID_VAR;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

impl ComposeDriver<'_> {
    /// Stop and remove the project's containers and network; named volumes only when asked.
    /// Needs the compose files only.
    pub fn down(&self, _files: &Files, volumes: bool) -> Result<(), DriveError> {
        let mut args = vec!["down", "--remove-orphans"];
        if volumes {
            args.push("--volumes");
        }
        self.exec(&self.compose_cmd(args))?;
        Ok(())
    }

    /// Per service: state, health, restarts, ports. Needs the compose files only.
    pub fn status(&self, _files: &Files) -> Result<Vec<ServiceStatus>, DriveError> {
        let containers = self.ps()?;
        let restarts = self.restart_counts(&containers);
        let mut names: Vec<(String, Kind)> = self
            .plan
            .units()
            .map(|u| (u.service.clone(), u.kind))
            .collect();
        // Containers of services no longer in the spec (orphans) are shown too.
        for c in &containers {
            if !names.iter().any(|(n, _)| n == &c.service) {
                names.push((c.service.clone(), Kind::Service));
            }
        }
        Ok(names
            .into_iter()
            .map(|(name, kind)| {
                let cs: Vec<&Container> = containers.iter().filter(|c| c.service == name).collect();
                let pick = |f: fn(&Container) -> &str| -> String {
                    let mut v: Vec<&str> = cs.iter().map(|c| f(c)).collect();
                    v.dedup();
                    v.join(",")
                };
                ServiceStatus {
                    state: if cs.is_empty() {
                        "absent".into()
                    } else {
                        pick(|c| &c.state)
                    },
                    health: pick(|c| &c.health),
                    restarts: cs
                        .iter()
                        .map(|c| restarts.get(&c.id).copied().unwrap_or(0))
                        .sum(),
                    exit_code: cs.iter().find(|c| c.state == "exited").map(|c| c.exit_code),
                    containers: cs.iter().map(|c| c.name.clone()).collect(),
                    ports: cs.iter().flat_map(|c| c.ports.clone()).collect(),
                    serves: self.served_in(&name),
                    name,
                    kind,
                }
            })
            .collect())
    }

    /// The stores whose container is compose service `service`, other than its own.
    fn served_in(&self, service: &str) -> Vec<String> {
        self.plan
            .stores
            .iter()
            .filter(|s| s.name != service && s.services.iter().any(|u| u.service == service))
            .map(|s| s.name.clone())
            .collect()
    }

    /// Docker's restart count per container id (`docker inspect`).
    fn restart_counts(&self, containers: &[Container]) -> BTreeMap<String, u64> {
        let ids: Vec<&str> = containers
            .iter()
            .map(|c| c.id.as_str())
            .filter(|i| !i.is_empty())
            .collect();
        if ids.is_empty() {
            return BTreeMap::new();
        }
        let cmd = Cmd::new("docker")
            .args(["inspect", "--format", "{{.Id}} {{.RestartCount}}"])
            .args(ids.iter().copied());
        let Ok(out) = self.runner.output(&cmd) else {
            return BTreeMap::new();
        };
        let mut m = BTreeMap::new();
        for line in out.stdout.lines() {
            if let Some((id, n)) = line.split_once(' ') {
                if let Ok(n) = n.trim().parse() {
                    // ps reports short or full ids depending on the version: key by both.
                    for c in containers
                        .iter()
                        .filter(|c| !c.id.is_empty() && id.starts_with(&c.id))
                    {
                        m.insert(c.id.clone(), n);
                    }
                }
            }
        }
        m
    }

    /// The compose services a user may name (stores, their helpers, workloads).
    pub fn service_names(&self) -> Vec<String> {
        self.plan.units().map(|u| u.service.clone()).collect()
    }

    /// The compose service a user named.
    pub(crate) fn unit(&self, name: &str) -> Result<&Unit, DriveError> {
        self.plan.unit(name).ok_or_else(|| {
            UnknownService {
                name: name.into(),
                known: self.service_names(),
            }
            .into()
        })
    }

    /// `docker compose logs` on the terminal.
    pub fn logs(
        &self,
        _files: &Files,
        service: Option<&str>,
        follow: bool,
        tail: Option<u32>,
    ) -> Result<Option<i32>, DriveError> {
        // A store another one's container serves logs through that container.
        let service = match service {
            Some(s) => Some(self.unit(s)?.service.clone()),
            None => None,
        };
        let mut args: Vec<String> = vec!["logs".into()];
        if follow {
            args.push("--follow".into());
        }
        if let Some(n) = tail {
            args.push("--tail".into());
            args.push(n.to_string());
        }
        args.extend(service);
        self.interactive(&self.compose_cmd(args))
    }

    fn interactive(&self, cmd: &Cmd) -> Result<Option<i32>, DriveError> {
        self.runner
            .interactive(cmd)
            .map_err(|source| DriveError::Spawn {
                command: cmd.display(),
                source,
            })
    }

    /// Restart one service (or store) and wait until it is healthy again. Needs the compose
    /// files only: `docker compose restart` keeps the container, and with it the environment
    /// it was created with, so no secret value is read.
    pub fn restart(
        &self,
        _files: &Files,
        service: &str,
        timeout: Duration,
        obs: &dyn Observer,
    ) -> Result<(), DriveError> {
        let unit = self.unit(service)?.clone();
        let service = unit.service.as_str();
        let containers = self.ps()?;
        if !containers.iter().any(|c| c.service == service) {
            return Err(DriveError::Failed {
                what: unit.kind.word(),
                name: service.into(),
                reason: "has no container: start it with `berth up` first".into(),
                health: None,
                logs: String::new(),
            });
        }
        obs.step(&format!("restarting {service}"));
        self.exec(&self.compose_cmd(["restart", service]))?;
        self.wait(std::slice::from_ref(&unit), timeout, obs)
    }

    /// Run a job once in a new container (`docker compose run --rm`), output on the terminal;
    /// returns its exit code.
    pub fn run_job(
        &self,
        _prepared: &Prepared,
        job: &str,
        tty: bool,
    ) -> Result<Option<i32>, DriveError> {
        self.unit(job)?;
        let mut args = vec!["run", "--rm", "--no-deps"];
        if !tty {
            args.push("-T");
        }
        args.push(job);
        self.interactive(&self.compose_cmd(args))
    }

    /// Run a recipe's pre or post command with `sh -c` in the project root. `berth` in the
    /// command is this binary (its directory leads PATH); BERTH_ENVIRONMENT and BERTH_STACK are
    /// set, and BERTH_LOCK_PID (this process), so a `berth` the command starts shares the
    /// environment's lock this one holds (see [`Workspace::lock`](crate::Workspace::lock)).
    pub fn hook(&self, stage: &'static str, command: &str) -> Result<(), DriveError> {
        let cmd = hook_cmd(&self.ws.root, self.env(), self.project(), command);
        let code = self.interactive(&cmd)?;
        if self.cancelled() {
            return Err(DriveError::Interrupted);
        }
        if code != Some(0) {
            return Err(DriveError::Hook {
                stage,
                command: command.into(),
                code,
            });
        }
        Ok(())
    }
}

/// A recipe's pre or post command: `sh -c COMMAND` in the project root `root`, with this
/// binary's directory leading PATH and BERTH_ENVIRONMENT, BERTH_STACK and BERTH_LOCK_PID set
/// (shared by the compose and Kubernetes drivers).
pub fn hook_cmd(root: &std::path::Path, env: &str, stack: &str, command: &str) -> Cmd {
    let mut cmd = Cmd::new("sh")
        .args(["-c", command])
        .cwd(root)
        .env("BERTH_ENVIRONMENT", env)
        .env("BERTH_STACK", stack)
        .env(LOCK_PID_VAR, std::process::id().to_string());
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from))
    {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![dir];
        paths.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(paths) {
            cmd = cmd.env("PATH", joined.to_string_lossy().into_owned());
        }
    }
    cmd
}
