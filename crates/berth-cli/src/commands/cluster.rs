//! `berth cluster create|delete|status ENV`: the local Kubernetes cluster of an environment
//! (minikube, kind, k3d). The plan comes first (`--dry-run` prints it, `-o json` as JSON);
//! then berth-drive's `cluster` module reads the cluster's state and runs what it calls for.

use super::drive::RUNNER;
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project;
use crate::settings::{ClusterSettings, GlobalSettings};
use berth_drive::cluster::{self, Action, ClusterPlan, ClusterState, Outcome, State, Step};
use berth_drive::process::Cmd;
use serde::Serialize;

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: ClusterSettings,
) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    printer.diagnostics(&project.source, &project.warnings);
    let model = berth_spec::resolve(&project.spec, &s.environment)?;
    let workspace = g.workspace.workspace(project.root());
    // Absolute, so the plan's commands name the files wherever they run.
    let berth_dir = std::path::absolute(&workspace.dir).unwrap_or(workspace.dir.clone());
    let plan = cluster::plan(&model, s.action, &berth_dir)?;
    if s.dry_run {
        printer.report(&PlanReport(&plan))?;
        return Ok(ExitStatus::Success);
    }
    if s.action == Action::Status {
        let state = cluster::status(&RUNNER, &plan)?;
        printer.report(&StatusReport { plan: &plan, state })?;
        return Ok(ExitStatus::Success);
    }
    if plan.steps.iter().any(|s| matches!(s, Step::Write { .. })) {
        workspace
            .ensure()
            .map_err(|e| CliError::failure(format!("cannot create .berth/: {e}")))?;
    }
    let outcome = cluster::execute(&RUNNER, &plan, &mut |l| printer.info(format!("  {l}")))?;
    printer.report(&OutcomeReport {
        plan: &plan,
        outcome,
    })?;
    Ok(ExitStatus::Success)
}

/// `tool, cluster NAME, context C`.
fn who(plan: &ClusterPlan) -> String {
    let c = &plan.cluster;
    format!(
        "`{}` ({}, context {})",
        c.cluster,
        c.tool.program(),
        c.context
    )
}

fn line(argv: &[String]) -> String {
    Cmd::new(&argv[0]).args(&argv[1..]).display()
}

fn step_text(step: &Step) -> String {
    match step {
        Step::Write { path, .. } => format!("write {}", path.display()),
        Step::Run { argv } => line(argv),
        Step::HostAlias {
            context,
            network,
            alias,
            file,
        } => format!(
            "map {alias} to the gateway of Docker network `{network}` in CoreDNS \
             (kubectl --context {context} replace --filename {}; not on Docker Desktop)",
            file.display()
        ),
    }
}

/// `--dry-run`: the plan.
struct PlanReport<'a>(&'a ClusterPlan);

impl Serialize for PlanReport<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Report for PlanReport<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let p = self.0;
        let mut out = format!(
            "cluster {} of `{}`: {}\n",
            p.action.name(),
            p.environment,
            who(p)
        );
        out.push_str("  read the state:\n");
        for argv in &p.probe {
            out.push_str(&format!("    {}\n", line(argv)));
        }
        let when = match p.action {
            Action::Create => "  when it does not exist:\n",
            _ => "  when it exists:\n",
        };
        for (title, steps) in [(when, &p.steps), ("  when it is stopped:\n", &p.resume)] {
            if !steps.is_empty() {
                out.push_str(title);
                for s in steps {
                    out.push_str(&format!("    {}\n", step_text(s)));
                }
            }
        }
        printer.out(out.trim_end());
        Ok(())
    }
}

fn state_text(state: &ClusterState) -> String {
    let mut s = match state.state {
        State::Running => "running".to_string(),
        State::Stopped => "stopped".to_string(),
        State::Absent => "does not exist".to_string(),
    };
    if let Some(n) = state.nodes {
        s.push_str(&format!(
            "; servers {}/{}, agents {}/{}",
            n.servers_running, n.servers, n.agents_running, n.agents
        ));
    }
    if let Some(d) = &state.detail {
        s.push_str(&format!(" ({d})"));
    }
    s
}

#[derive(Serialize)]
struct StatusReport<'a> {
    #[serde(flatten)]
    plan: &'a ClusterPlan,
    state: ClusterState,
}

impl Report for StatusReport<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        printer.out(format!(
            "cluster {}: {}",
            who(self.plan),
            state_text(&self.state)
        ));
        if self.state.state == State::Running {
            printer.out(format!(
                "pods reach this machine at {}",
                self.plan.cluster.host_alias
            ));
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct OutcomeReport<'a> {
    #[serde(flatten)]
    plan: &'a ClusterPlan,
    #[serde(flatten)]
    outcome: Outcome,
}

impl Report for OutcomeReport<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let (o, who) = (&self.outcome, who(self.plan));
        let msg = match (self.plan.action, o.before.state, o.ran.is_empty()) {
            (Action::Create, State::Running, true) => {
                format!("cluster {who} already exists and runs; nothing to do")
            }
            (Action::Create, State::Stopped, false) => {
                format!("started cluster {who}: {}", state_text(&o.after))
            }
            (Action::Create, _, _) => format!("created cluster {who}: {}", state_text(&o.after)),
            (_, State::Absent, true) => {
                format!("cluster {who} does not exist; nothing to delete")
            }
            _ => format!("deleted cluster {who}"),
        };
        printer.success(msg);
        Ok(())
    }
}
