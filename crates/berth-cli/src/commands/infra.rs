//! `berth infra plan|apply|destroy ENV`: render the environment's Terraform (only that) into
//! `deploy/terraform`, then drive real terraform (init, plan, apply) on render's plan with
//! streamed output and a summary. `--endpoint` runs against an AWS emulator in a work dir under
//! `.berth/`; the work dirs and the terraform executable (`BERTH_TERRAFORM`) are the workspace's.

use crate::args::{Global, InfraAction, InfraArgs, OutputFormat};
use crate::printer::Printer;
use crate::project::{self, exit};
use berth_drive::terraform::{self as drive, Action, Counts, Emulator, Options, SystemRunner};
use std::io::{BufRead, IsTerminal, Write};

pub fn run(g: &Global, printer: &Printer, action: InfraAction) -> u8 {
    let (action, args) = match action {
        InfraAction::Plan(a) => (Action::Plan, a),
        InfraAction::Apply(a) => (Action::Apply, a),
        InfraAction::Destroy(a) => (Action::Destroy, a),
    };
    infra(g, printer, action, &args)
}

fn infra(g: &Global, printer: &Printer, action: Action, args: &InfraArgs) -> u8 {
    let project = match project::load(&g.file, printer) {
        Ok(p) => p,
        Err(code) => return code,
    };
    printer.diagnostics(&project.source, &project.warnings);
    let env = &args.environment;
    let cloud_envs: Vec<String> = project
        .spec
        .environments
        .keys()
        .map(|k| k.value.clone())
        .filter(|k| berth_spec::resolve(&project.spec, k).is_ok_and(|m| m.cloud.is_some()))
        .collect();
    let model = match berth_spec::resolve(&project.spec, env) {
        Ok(m) => m,
        Err(e) => {
            printer.error(format!(
                "{e}; `berth infra` takes a cloud environment: {}",
                list(&cloud_envs)
            ));
            return exit::USAGE;
        }
    };
    // This environment's Terraform, and nothing else; none without a cloud.
    let Some(rendered) = berth_render::plan::terraform(&model) else {
        printer.error(format!(
            "environment `{env}` has no cloud, so there is no infrastructure to provision; \
             `berth infra` takes an environment with `cloud: aws`: {}",
            list(&cloud_envs)
        ));
        return exit::USAGE;
    };
    let interactive = std::io::stdin().is_terminal();
    if action != Action::Plan && !args.auto_approve && !interactive {
        printer.error(format!(
            "`berth infra {}` needs confirmation and stdin is not a terminal: \
             pass --auto-approve to {} `{env}` without asking",
            action.name(),
            action.name()
        ));
        return exit::USAGE;
    }
    let emulator = match &args.endpoint {
        Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
            printer.error(format!(
                "--endpoint `{url}` is not a URL: give the emulator's address, e.g. http://127.0.0.1:5000"
            ));
            return exit::USAGE;
        }
        Some(url) => Some(Emulator {
            endpoint: url.clone(),
            override_tf: berth_render::terraform::emulator_override(url),
            tfvars: berth_render::terraform::emulator_tfvars(&model),
        }),
        None => None,
    };

    let out = super::render::out_dir(&project, args.out.clone());
    match berth_drive::artifacts::write(&rendered.files, &out) {
        Ok(changed) => printer.info(format!(
            "rendered Terraform for `{env}` into {} ({} file(s) changed)",
            out.join(&rendered.plan.root).display(),
            changed.len()
        )),
        Err(e) => {
            printer.error(e.to_string());
            return exit::FAILED;
        }
    }
    let workspace = super::drive::workspace(&project);
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

    let auto = args.auto_approve;
    let mut confirm = |c: &Counts| -> bool {
        if auto {
            return true;
        }
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
    };
    let opts = Options {
        action,
        plan: rendered.plan,
        out,
        workspace,
        emulator,
        confirm: &mut confirm,
    };
    let quiet = printer.quiet;
    let result = drive::run(&SystemRunner, opts, &mut |_, line| {
        if !quiet {
            eprintln!("  {line}");
        }
    });
    match result {
        Ok(summary) => {
            if printer.format == OutputFormat::Json {
                printer.out(serde_json::to_string_pretty(&summary).unwrap_or_default());
                return exit::OK;
            }
            let p = summary.planned;
            match summary.applied {
                None => printer.success(format!(
                    "plan `{env}`: {} to add, {} to change, {} to destroy",
                    p.add, p.change, p.destroy
                )),
                Some(a) => printer.success(format!(
                    "{} `{env}`: {} added, {} changed, {} destroyed; {} resource(s) in state",
                    action.name(),
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
            exit::OK
        }
        Err(e) => {
            printer.error(e.to_string());
            exit::FAILED
        }
    }
}

fn list(envs: &[String]) -> String {
    if envs.is_empty() {
        "this spec has none (add `cloud: aws` to an environment)".into()
    } else {
        envs.join(", ")
    }
}
