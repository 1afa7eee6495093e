//! `berth infra plan|apply|destroy ENV`: render the environment's Terraform (only that) into
//! `deploy/terraform`, then drive real terraform (init, plan, apply) on render's plan with
//! streamed output and a summary. `--endpoint` runs against an AWS emulator in a work dir under
//! `.berth/`; the work dirs and the terraform executable (`BERTH_TERRAFORM`) are the workspace's.

use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project::{self, Project};
use crate::settings::{GlobalSettings, InfraSettings};
use berth_drive::terraform::{
    self as drive, Action, Counts, Emulator, Options, Summary, SystemRunner,
};
use berth_drive::Workspace;
use berth_render::plan::{Rendered, TerraformPlan};
use berth_spec::Model;
use serde::Serialize;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: InfraSettings,
) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    printer.diagnostics(&project.source, &project.warnings);
    // Ctrl-C and SIGTERM stop terraform (SIGTERM to its process group, which it handles).
    super::drive::cancel_flag();
    let env = &s.environment;
    let (model, rendered) = cloud_model(&project, env)?;
    if s.action != Action::Plan && !s.auto_approve && !s.interactive {
        return Err(CliError::usage(format!(
            "`berth infra {}` needs confirmation and stdin is not a terminal: \
             pass --auto-approve to {} `{env}` without asking",
            s.action.name(),
            s.action.name()
        )));
    }
    let emulator = s.endpoint.as_ref().map(|url| Emulator {
        endpoint: url.clone(),
        override_tf: berth_render::terraform::emulator_override(url),
        tfvars: berth_render::terraform::emulator_tfvars(&model),
    });
    let out = project.out_dir(s.out.as_deref());
    let plan = write_terraform(printer, rendered, &out, env)?;
    let workspace = g.workspace.workspace(project.root());
    if let Some(emu) = &emulator {
        printer.info(format!(
            "emulator mode: AWS calls go to {}; state in {}",
            emu.endpoint,
            workspace.emulator_dir(env).display()
        ));
        for t in berth_render::terraform::emulator_toggles(&model) {
            printer.info(format!("  left out: {} ({})", t.what, t.why));
        }
    }
    let summary = terraform(printer, &s, plan, out, workspace, emulator)?;
    printer.report(&Infra {
        summary: &summary,
        action: s.action,
        environment: env,
    })?;
    Ok(ExitStatus::Success)
}

/// ENV resolved with its Terraform (and nothing else); it must have a cloud. The errors list
/// the environments that do.
fn cloud_model(project: &Project, env: &str) -> Result<(Model, Rendered<TerraformPlan>), CliError> {
    let cloud_envs: Vec<String> = project
        .spec
        .environments
        .keys()
        .map(|k| k.value.clone())
        .filter(|k| berth_spec::resolve(&project.spec, k).is_ok_and(|m| m.cloud.is_some()))
        .collect();
    let model = berth_spec::resolve(&project.spec, env).map_err(|e| {
        CliError::usage(format!(
            "{e}; `berth infra` takes a cloud environment: {}",
            list(&cloud_envs)
        ))
    })?;
    let Some(rendered) = berth_render::plan::terraform(&model) else {
        return Err(CliError::usage(format!(
            "environment `{env}` has no cloud, so there is no infrastructure to provision; \
             `berth infra` takes an environment with `cloud: aws`: {}",
            list(&cloud_envs)
        )));
    };
    Ok((model, rendered))
}

/// Write the environment's Terraform into the output dir OUT; returns the plan.
fn write_terraform(
    printer: &Printer,
    rendered: Rendered<TerraformPlan>,
    out: &Path,
    env: &str,
) -> Result<TerraformPlan, CliError> {
    let changed = berth_drive::artifacts::write(&rendered.files, out)
        .map_err(|e| CliError::failure(e.to_string()))?;
    printer.info(format!(
        "rendered Terraform for `{env}` into {} ({} file(s) changed)",
        out.join(&rendered.plan.root).display(),
        changed.len()
    ));
    Ok(rendered.plan)
}

/// Run terraform on the plan, its output streamed (indented) on stderr.
fn terraform(
    printer: &Printer,
    s: &InfraSettings,
    plan: TerraformPlan,
    out: PathBuf,
    workspace: Workspace,
    emulator: Option<Emulator>,
) -> Result<Summary, CliError> {
    let (action, env, auto) = (s.action, s.environment.as_str(), s.auto_approve);
    let mut confirm = |c: &Counts| auto || ask(action, env, c);
    let opts = Options {
        action,
        plan,
        out,
        workspace,
        emulator,
        confirm: &mut confirm,
    };
    drive::run(&SystemRunner, opts, &mut |_, line| {
        printer.info(format!("  {line}"))
    })
    .map_err(|e| match e {
        drive::Error::Interrupted(_) => CliError::new(ExitStatus::Interrupted, e.to_string()),
        e => CliError::failure(e.to_string()),
    })
}

/// Ask on the terminal whether to go on with the plan's counts.
fn ask(action: Action, env: &str, c: &Counts) -> bool {
    eprint!(
        "{} `{env}`: {} to add, {} to change, {} to destroy. Continue? [y/N] ",
        action.name(),
        c.add,
        c.change,
        c.destroy
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    matches!(answer.trim(), "y" | "Y" | "yes")
}

/// terraform's summary; serialized as the driver's summary.
struct Infra<'a> {
    summary: &'a Summary,
    action: Action,
    environment: &'a str,
}

impl Serialize for Infra<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.summary.serialize(s)
    }
}

impl Report for Infra<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let (summary, env) = (self.summary, self.environment);
        let p = summary.planned;
        match summary.applied {
            None => printer.success(format!(
                "plan `{env}`: {} to add, {} to change, {} to destroy",
                p.add, p.change, p.destroy
            )),
            Some(a) => printer.success(format!(
                "{} `{env}`: {} added, {} changed, {} destroyed; {} resource(s) in state",
                self.action.name(),
                a.add,
                a.change,
                a.destroy,
                summary.resources_in_state.unwrap_or(0)
            )),
        }
        for (k, v) in &summary.outputs {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            printer.out(format!("{k} = {v}"));
        }
        Ok(())
    }
}

fn list(envs: &[String]) -> String {
    if envs.is_empty() {
        "this spec has none (add `cloud: aws` to an environment)".into()
    } else {
        envs.join(", ")
    }
}
