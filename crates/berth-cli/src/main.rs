//! The `berth` binary: clap args → settings → `commands/<name>.rs`; commands return an exit code.

mod args;
mod commands;
mod printer;
mod project;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = args::Cli::parse_from(args::normalize(std::env::args_os()));
    let printer = printer::Printer::new(&cli.global);
    let code = commands::run(cli, &printer);
    std::process::ExitCode::from(code)
}
