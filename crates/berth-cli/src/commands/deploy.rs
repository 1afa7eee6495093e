//! `berth deploy NAME`: a named recipe from `deployments:`: its environment, `only:
//! stores|services` or a services subset, pre and post commands. Without NAME: the recipes.

use super::drive;
use super::up::{self, Plan};
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project::{self, Project};
use crate::settings::{DeploySettings, GlobalSettings};
use berth_drive::compose::UpOptions;
use serde::Serialize;

/// One recipe of `deployments:`.
#[derive(Serialize)]
struct Recipe {
    name: String,
    environment: String,
    description: Option<String>,
}

/// The recipes, in spec order.
#[derive(Serialize)]
#[serde(transparent)]
struct Recipes(Vec<Recipe>);

impl Recipes {
    fn of(project: &Project) -> Self {
        Recipes(
            project
                .spec
                .deployments
                .iter()
                .map(|(name, d)| Recipe {
                    name: name.value.clone(),
                    environment: d.environment.value.clone(),
                    description: d.description.as_ref().map(|x| x.value.clone()),
                })
                .collect(),
        )
    }

    /// As (name, environment, description) lines.
    fn listing(&self) -> String {
        let w = self.0.iter().map(|r| r.name.len()).max().unwrap_or(0);
        let mut s = String::new();
        for r in &self.0 {
            s.push_str(&format!(
                "  {:w$}  {}{}\n",
                r.name,
                r.environment,
                r.description
                    .as_ref()
                    .map(|x| format!(" — {x}"))
                    .unwrap_or_default()
            ));
        }
        s
    }
}

impl Report for Recipes {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        printer.out(format!("recipes:\n{}", self.listing()));
        Ok(())
    }
}

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: DeploySettings,
) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    let recipes = Recipes::of(&project);
    let Some(name) = s.name.as_deref() else {
        if recipes.0.is_empty() {
            return Err(CliError::usage(format!(
                "{} has no `deployments:`; add a recipe (see docs/drive.md) or use `berth up`",
                project.source.path
            )));
        }
        printer.report(&recipes)?;
        return Err(CliError::usage("name a recipe: `berth deploy NAME`"));
    };
    let Some(recipe) = project.spec.deployments.get(name) else {
        return Err(CliError::usage(format!(
            "no recipe `{name}` in `deployments:`{}",
            if recipes.0.is_empty() {
                String::new()
            } else {
                format!("; the recipes are:\n{}", recipes.listing().trim_end())
            }
        )));
    };
    let plan = Plan {
        recipe: Some(name),
        only: recipe.only.as_ref().map(|o| o.value),
        services: recipe.services.iter().map(|s| s.value.clone()).collect(),
        pre: recipe.pre.iter().map(|s| s.value.clone()).collect(),
        post: recipe.post.iter().map(|s| s.value.clone()).collect(),
        opts: UpOptions {
            timeout: s.timeout,
            build: false,
        },
        dry_run: s.dry_run,
        atomic: false,
        no_build: false,
    };
    let env = recipe.environment.value.clone();
    let session = drive::session(g, printer, Some(&env))?;
    up::execute(printer, &session, &plan)
}
