//! The `berth` binary: clap args → settings → `commands/<name>.rs`; commands return an exit code.

mod args;
mod commands;
mod printer;
mod project;

use clap::Parser;

/// Rendering builds and drops hundreds of thousands of small JSON values; with mimalloc the
/// render benchmark runs about 20% faster than with the system allocator (benches/render.rs
/// uses it too, so it measures what the binary runs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(import_argv) = commands::import::split_import(&argv) {
        let cli = commands::import::ImportCli::parse_from(import_argv);
        return std::process::ExitCode::from(commands::import::run(cli));
    }
    let cli = args::Cli::parse_from(args::normalize(argv));
    let printer = printer::Printer::new(&cli.global);
    let code = commands::run(cli, &printer);
    std::process::ExitCode::from(code)
}
