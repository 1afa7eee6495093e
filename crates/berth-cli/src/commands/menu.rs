//! `berth` with no arguments in a terminal: a menu (inquire) of the spec's recipes and of
//! up/status/down per compose environment. Without a terminal it never prompts: the caller
//! prints the usage and exits 2.

use super::{deploy, down, drive, status, up};
use crate::args::Global;
use crate::printer::Printer;
use crate::project::{self, exit};
use std::io::IsTerminal;

/// True when a person can answer prompts (stdin and stderr are terminals, not in CI).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
}

enum Action {
    Deploy(String),
    Up(String),
    Status(String),
    Down(String),
    Quit,
}

pub fn run(g: &Global, printer: &Printer) -> u8 {
    let project = match project::load(&g.file, printer) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut items: Vec<(String, Action)> = Vec::new();
    for (name, d) in &project.spec.deployments {
        items.push((
            format!(
                "deploy {}  ({}{})",
                name.value,
                d.environment.value,
                d.description
                    .as_ref()
                    .map(|x| format!(": {}", x.value))
                    .unwrap_or_default()
            ),
            Action::Deploy(name.value.clone()),
        ));
    }
    for env in drive::compose_envs(&project) {
        items.push((format!("up {env}"), Action::Up(env.clone())));
        items.push((format!("status {env}"), Action::Status(env.clone())));
        items.push((format!("down {env}  (volumes kept)"), Action::Down(env)));
    }
    items.push(("quit".into(), Action::Quit));
    let labels: Vec<String> = items.iter().map(|(l, _)| l.clone()).collect();
    let choice = inquire::Select::new(
        &format!("{}: what do you want to run?", project.spec.name.value),
        labels.clone(),
    )
    .with_page_size(15)
    .prompt();
    let label = match choice {
        Ok(l) => l,
        Err(inquire::InquireError::OperationCanceled)
        | Err(inquire::InquireError::OperationInterrupted) => return exit::OK,
        Err(e) => {
            printer.error(format!("cannot show the menu: {e}"));
            return exit::FAILED;
        }
    };
    let idx = labels
        .iter()
        .position(|l| *l == label)
        .unwrap_or(labels.len() - 1);
    match &items[idx].1 {
        Action::Deploy(name) => deploy::run(g, printer, Some(name), 300),
        Action::Up(env) => up::run(g, printer, Some(env), Vec::new(), false, 300),
        Action::Status(env) => status::run(g, printer, Some(env)),
        Action::Down(env) => down::run(g, printer, Some(env), false),
        Action::Quit => exit::OK,
    }
}
