//! One module per command; each returns the process exit code.

mod completions;
mod diff;
mod infra;
mod init;
mod render;
mod resolve;
mod schema;
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
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            exit::USAGE
        }
    }
}
