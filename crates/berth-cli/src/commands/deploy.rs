//! `berth deploy NAME`: a named recipe from `deployments:`: its
//! environment, `only: stores|services` or a services subset, pre and post commands.

use super::drive;
use super::up::{self, Plan};
use crate::args::Global;
use crate::printer::Printer;
use crate::project::{self, exit, Project};
use berth_drive::compose::UpOptions;
use std::time::Duration;

/// The recipes as (name, environment, description) lines.
pub fn listing(project: &Project) -> String {
    let w = project
        .spec
        .deployments
        .keys()
        .map(|k| k.value.len())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for (name, d) in &project.spec.deployments {
        s.push_str(&format!(
            "  {:w$}  {}{}\n",
            name.value,
            d.environment.value,
            d.description
                .as_ref()
                .map(|x| format!(" — {}", x.value))
                .unwrap_or_default()
        ));
    }
    s
}

pub fn run(g: &Global, printer: &Printer, name: Option<&str>, timeout: u64) -> u8 {
    let project = match project::load(&g.file, printer) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let Some(name) = name else {
        if project.spec.deployments.is_empty() {
            printer.error(format!(
                "{} has no `deployments:`; add a recipe (see docs/drive.md) or use `berth up`",
                project.source.path
            ));
        } else {
            printer.out(format!("recipes:\n{}", listing(&project)));
            printer.error("name a recipe: `berth deploy NAME`");
        }
        return exit::USAGE;
    };
    let Some(recipe) = project.spec.deployments.get(name) else {
        printer.error(format!(
            "no recipe `{name}` in `deployments:`{}",
            if project.spec.deployments.is_empty() {
                String::new()
            } else {
                format!("; the recipes are:\n{}", listing(&project).trim_end())
            }
        ));
        return exit::USAGE;
    };
    let plan = Plan {
        recipe: Some(name),
        only: recipe.only.as_ref().map(|o| o.value),
        services: recipe.services.iter().map(|s| s.value.clone()).collect(),
        pre: recipe.pre.iter().map(|s| s.value.clone()).collect(),
        post: recipe.post.iter().map(|s| s.value.clone()).collect(),
        opts: UpOptions {
            timeout: Duration::from_secs(timeout),
            build: false,
        },
    };
    let env = recipe.environment.value.clone();
    let session = match drive::session(g, printer, Some(&env)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    up::execute(printer, &session, &plan)
}
