//! `berth` with no arguments in a terminal: a menu (inquire) of the spec's recipes and of
//! up/status/down per compose and Kubernetes environment; the choice comes back as the settings of the
//! command to run. The settings choose the menu only when a person can answer (stdin and
//! stderr are terminals, not in CI); otherwise `berth` prints the usage.

use super::drive;
use crate::error::CliError;
use crate::project::{self, Project};
use crate::settings::{
    CommandSettings, DeploySettings, DownSettings, GlobalSettings, StatusSettings, UpSettings,
    DEFAULT_TIMEOUT,
};

/// Ask what to run; `None` when the person quits.
pub fn choose(g: &GlobalSettings) -> Result<Option<CommandSettings>, CliError> {
    let project = project::load(&g.file)?;
    let (labels, mut commands): (Vec<String>, Vec<Option<CommandSettings>>) =
        items(&project).into_iter().unzip();
    let choice = inquire::Select::new(
        &format!("{}: what do you want to run?", project.spec.name.value),
        labels.clone(),
    )
    .with_page_size(15)
    .prompt();
    let label = match choice {
        Ok(l) => l,
        Err(inquire::InquireError::OperationCanceled)
        | Err(inquire::InquireError::OperationInterrupted) => return Ok(None),
        Err(e) => return Err(CliError::failure(format!("cannot show the menu: {e}"))),
    };
    Ok(labels
        .iter()
        .position(|l| *l == label)
        .and_then(|i| commands[i].take()))
}

/// The menu's lines and what each runs (quit runs nothing).
fn items(project: &Project) -> Vec<(String, Option<CommandSettings>)> {
    let mut items = Vec::new();
    for (name, d) in &project.spec.deployments {
        let label = format!(
            "deploy {}  ({}{})",
            name.value,
            d.environment.value,
            d.description
                .as_ref()
                .map(|x| format!(": {}", x.value))
                .unwrap_or_default()
        );
        let deploy = DeploySettings {
            name: Some(name.value.clone()),
            timeout: DEFAULT_TIMEOUT,
            dry_run: false,
        };
        items.push((label, Some(CommandSettings::Deploy(deploy))));
    }
    for env in drive::driven_envs(project) {
        let up = UpSettings {
            environment: Some(env.clone()),
            services: Vec::new(),
            build: false,
            timeout: DEFAULT_TIMEOUT,
            dry_run: false,
            atomic: false,
            no_build: false,
        };
        let status = StatusSettings {
            environment: Some(env.clone()),
        };
        let down = DownSettings {
            environment: Some(env.clone()),
            volumes: false,
        };
        items.push((format!("up {env}"), Some(CommandSettings::Up(up))));
        items.push((
            format!("status {env}"),
            Some(CommandSettings::Status(status)),
        ));
        items.push((
            format!("down {env}  (volumes kept)"),
            Some(CommandSettings::Down(down)),
        ));
    }
    items.push(("quit".into(), None));
    items
}
