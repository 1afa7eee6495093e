//! One module per command. Each takes its settings and returns `Result<ExitStatus, CliError>`;
//! results go through the printer's [`Report`](crate::printer::Report), a failure back to `main`.

mod backup;
mod ci;
mod cluster;
mod completions;
mod deploy;
mod dev;
mod dev_session;
mod diff;
mod down;
mod drive;
mod forward;
mod import;
mod infra;
mod init;
mod kube;
mod logs;
mod menu;
mod render;
mod resolve;
mod restart;
mod run;
mod schema;
mod secrets;
mod status;
mod up;
mod validate;

use crate::error::{CliError, ExitStatus};
use crate::printer::Printer;
use crate::settings::{CommandSettings, GlobalSettings};

pub fn run(
    command: CommandSettings,
    g: &GlobalSettings,
    printer: &Printer,
) -> Result<ExitStatus, CliError> {
    match command {
        CommandSettings::Validate => validate::run(g, printer),
        CommandSettings::Resolve { environment } => resolve::run(g, printer, &environment),
        CommandSettings::Render(s) => render::run(g, printer, s),
        CommandSettings::Ci(s) => ci::run(g, printer, s),
        CommandSettings::Backup(s) => backup::run(g, printer, s),
        CommandSettings::Diff(s) => diff::run(g, printer, s),
        CommandSettings::Infra(s) => infra::run(g, printer, s),
        CommandSettings::Cluster(s) => cluster::run(g, printer, s),
        CommandSettings::Forward(s) => forward::run(g, printer, s),
        CommandSettings::Secrets(s) => secrets::run(g, printer, s),
        CommandSettings::Schema => schema::run(printer),
        CommandSettings::Init(s) => init::run(g, printer, s),
        CommandSettings::Completions(shell) => completions::run(shell),
        CommandSettings::Import(s) => import::run(printer, s),
        CommandSettings::Up(s) => up::run(g, printer, s),
        CommandSettings::Dev(s) => dev::run(g, printer, s),
        CommandSettings::Down(s) => down::run(g, printer, s),
        CommandSettings::Status(s) => status::run(g, printer, s),
        CommandSettings::History { environment } => kube::history(g, printer, &environment),
        CommandSettings::Rollback(s) => kube::rollback(g, printer, s),
        CommandSettings::Logs(s) => logs::run(g, printer, s),
        CommandSettings::Restart(s) => restart::run(g, printer, s),
        CommandSettings::Run(s) => run::run(g, printer, s),
        CommandSettings::Deploy(s) => deploy::run(g, printer, s),
        CommandSettings::Menu => match menu::choose(g)? {
            Some(chosen) => run(chosen, g, printer),
            None => Ok(ExitStatus::Success),
        },
        CommandSettings::Help => {
            use clap::CommandFactory;
            let _ = crate::args::Cli::command().print_help();
            Ok(ExitStatus::Usage)
        }
    }
}
