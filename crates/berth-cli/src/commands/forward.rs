//! `berth forward ENV [SERVICE]`: one foreground session of `kubectl port-forward`, one per
//! published port of the environment's services and in-cluster stores. The plan comes first
//! (`--dry-run`, `-o json`); Ctrl-C ends every forward (exit 130), and when one forward ends on
//! its own the others are stopped and its output is the error (exit 1).

use super::drive::{cancel_flag, CLOCK, RUNNER};
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project;
use crate::settings::{ForwardSettings, GlobalSettings};
use berth_drive::forward::{self, ForwardPlan};
use berth_spec::{Model, Platform};
use serde::Serialize;
use std::sync::Arc;

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: ForwardSettings,
) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    printer.diagnostics(&project.source, &project.warnings);
    let model = berth_spec::resolve(&project.spec, &s.environment)?;
    let context = kube_context(&model, g.context.as_deref())?;
    let plan = forward::plan(&model, &context, s.service.as_deref())?;
    if s.dry_run {
        printer.report(&PlanReport(&plan))?;
        return Ok(ExitStatus::Success);
    }
    for f in &plan.forwards {
        printer.info(format!(
            "forwarding 127.0.0.1:{} → {} {} port {} ({})",
            f.local, f.what, f.name, f.remote, f.port_name
        ));
    }
    printer.info("Ctrl-C stops every forward");
    let lines = Printer { ..*printer };
    forward::run(
        &RUNNER,
        &CLOCK,
        &plan,
        &cancel_flag(),
        Arc::new(move |f, l| lines.info(format!("  [{} {}] {l}", f.name, f.local))),
    )?;
    Ok(ExitStatus::Interrupted)
}

/// The kube context of a Kubernetes environment (`--context`, else the one its cluster names;
/// EKS needs `--context`).
fn kube_context(model: &Model, flag: Option<&str>) -> Result<String, CliError> {
    if model.platform != Platform::Kubernetes {
        return Err(CliError::usage(format!(
            "environment `{}` runs on {}, not Kubernetes: `berth forward` port-forwards a Kubernetes environment (compose environments publish their ports themselves)",
            model.environment,
            model.platform.as_str()
        )));
    }
    berth_drive::kube::context::expected(model, flag).map_err(CliError::usage)
}

struct PlanReport<'a>(&'a ForwardPlan);

impl Serialize for PlanReport<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WithCommands<'a> {
            #[serde(flatten)]
            plan: &'a ForwardPlan,
            commands: Vec<Vec<String>>,
        }
        let p = self.0;
        WithCommands {
            plan: p,
            commands: p
                .forwards
                .iter()
                .map(|f| {
                    let c = p.command(f);
                    std::iter::once(c.program).chain(c.args).collect()
                })
                .collect(),
        }
        .serialize(s)
    }
}

impl Report for PlanReport<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let p = self.0;
        let mut out = format!(
            "forward `{}` (context {}, namespace {}):\n",
            p.environment, p.context, p.namespace
        );
        for f in &p.forwards {
            out.push_str(&format!(
                "  127.0.0.1:{} → {} {} port {} ({}): {}\n",
                f.local,
                f.what,
                f.name,
                f.remote,
                f.port_name,
                p.command(f).display()
            ));
        }
        printer.out(out.trim_end());
        Ok(())
    }
}
