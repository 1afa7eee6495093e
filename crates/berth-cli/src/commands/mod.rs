//! One module per command; each returns the process exit code.

mod completions;
mod deploy;
mod diff;
mod down;
mod drive;
pub mod import;
mod infra;
mod init;
mod logs;
mod menu;
mod render;
mod resolve;
mod restart;
mod run;
mod schema;
mod status;
mod up;
mod validate;

use crate::args::{Cli, Command};
use crate::printer::Printer;
use crate::project::exit;

pub fn run(cli: Cli, printer: &Printer) -> u8 {
    let g = &cli.global;
    match cli.command {
        Some(Command::Validate) => validate::run(g, printer),
        Some(Command::Resolve { environment }) => resolve::run(g, printer, &environment),
        Some(Command::Render {
            environments,
            all: _,
            out,
            check,
        }) => render::run(g, printer, &environments, out, check),
        Some(Command::Diff { environment, out }) => diff::run(g, printer, environment, out),
        Some(Command::Infra { action }) => infra::run(g, printer, action),
        Some(Command::Schema) => schema::run(printer),
        Some(Command::Init { name, force }) => init::run(g, printer, name, force),
        Some(Command::Completions { shell }) => completions::run(shell),
        Some(Command::Import { args }) => {
            use clap::Parser;
            let argv = std::iter::once("berth import".to_string()).chain(args);
            import::run(import::ImportCli::parse_from(argv))
        }
        Some(Command::Up {
            environment,
            services,
            build,
            timeout,
        }) => up::run(g, printer, environment.as_deref(), services, build, timeout),
        Some(Command::Down {
            environment,
            volumes,
        }) => down::run(g, printer, environment.as_deref(), volumes),
        Some(Command::Status { environment }) => status::run(g, printer, environment.as_deref()),
        Some(Command::Logs {
            service,
            follow,
            tail,
            environment,
        }) => logs::run(
            g,
            printer,
            environment.as_deref(),
            service.as_deref(),
            follow,
            tail,
        ),
        Some(Command::Restart {
            service,
            environment,
            timeout,
        }) => restart::run(g, printer, environment.as_deref(), &service, timeout),
        Some(Command::Run { job, environment }) => {
            run::run(g, printer, environment.as_deref(), &job)
        }
        Some(Command::Deploy { name, timeout }) => {
            deploy::run(g, printer, name.as_deref(), timeout)
        }
        None if menu::interactive() && g.file.exists() => menu::run(g, printer),
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            exit::USAGE
        }
    }
}
