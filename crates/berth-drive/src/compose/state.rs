//! Where a compose service stands: the containers `docker compose ps` reports, and the phase a
//! waited-for service is in (pending, starting, ready, failed) given its kind and health check.

use berth_render::plan::Kind;
use serde::Serialize;

/// Where a waited-for service stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No container yet.
    Pending,
    /// Created/running, health check not passed yet (or a job still running).
    Starting,
    /// Running and healthy.
    Healthy,
    /// Running, no health check.
    Running,
    /// A job that exited 0.
    Completed,
    Failed(String),
}

impl Phase {
    pub fn done(&self) -> bool {
        matches!(self, Phase::Healthy | Phase::Running | Phase::Completed)
    }
    pub fn label(&self) -> String {
        match self {
            Phase::Pending => "waiting".into(),
            Phase::Starting => "starting".into(),
            Phase::Healthy => "healthy".into(),
            Phase::Running => "running".into(),
            Phase::Completed => "completed".into(),
            Phase::Failed(r) => format!("failed: {r}"),
        }
    }
}

/// One container as `docker compose ps --format json` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub service: String,
    pub state: String,
    pub health: String,
    pub exit_code: i64,
    /// `127.0.0.1:18080->8080/tcp`.
    pub ports: Vec<String>,
}

/// Parse `docker compose ps --format json`: one object per line (compose ≥ 2.21) or one array.
pub fn parse_ps(text: &str) -> Result<Vec<Container>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<serde_json::Value> = if t.starts_with('[') {
        serde_json::from_str(t).map_err(|e| e.to_string())?
    } else {
        t.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?
    };
    let s = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
    };
    Ok(values
        .iter()
        .map(|v| {
            let mut ports: Vec<String> = v
                .get("Publishers")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let published = p.get("PublishedPort")?.as_u64()?;
                    if published == 0 {
                        return None;
                    }
                    let url = p.get("URL").and_then(|u| u.as_str()).unwrap_or("0.0.0.0");
                    let target = p.get("TargetPort")?.as_u64()?;
                    let proto = p.get("Protocol").and_then(|u| u.as_str()).unwrap_or("tcp");
                    Some(format!("{url}:{published}->{target}/{proto}"))
                })
                .collect();
            ports.sort();
            ports.dedup();
            Container {
                id: s(v, "ID"),
                name: s(v, "Name"),
                service: s(v, "Service"),
                state: s(v, "State"),
                health: s(v, "Health"),
                exit_code: v.get("ExitCode").and_then(|x| x.as_i64()).unwrap_or(0),
                ports,
            }
        })
        .collect())
}

/// The phase of a service from its containers; `healthchecked` when its compose definition has
/// a health check (then only `healthy` is ready: right after a start Docker may not report a
/// health state yet).
pub fn phase(kind: Kind, healthchecked: bool, containers: &[&Container]) -> Phase {
    if containers.is_empty() {
        return Phase::Pending;
    }
    let mut phases = containers.iter().map(|c| one(kind, healthchecked, c));
    let all: Vec<Phase> = phases.by_ref().collect();
    if let Some(f) = all.iter().find(|p| matches!(p, Phase::Failed(_))) {
        return f.clone();
    }
    if all.iter().all(Phase::done) {
        return all[0].clone();
    }
    Phase::Starting
}

fn one(kind: Kind, healthchecked: bool, c: &Container) -> Phase {
    match (c.state.as_str(), kind.one_shot()) {
        ("exited", true) if c.exit_code == 0 => Phase::Completed,
        ("exited", _) | ("dead", _) => Phase::Failed(format!("exited with code {}", c.exit_code)),
        ("restarting", _) => Phase::Failed(format!(
            "keeps crashing and restarting (last exit code {})",
            c.exit_code
        )),
        ("paused", _) => Phase::Failed("is paused (`docker unpause` it)".into()),
        ("running", true) => Phase::Starting,
        ("running", false) => match c.health.as_str() {
            "healthy" => Phase::Healthy,
            "unhealthy" => Phase::Failed("is unhealthy: its health check keeps failing".into()),
            "" if !healthchecked => Phase::Running,
            _ => Phase::Starting,
        },
        _ => Phase::Starting,
    }
}
