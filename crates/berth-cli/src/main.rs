//! The `berth` binary: args (clap) → settings (args + environment) → `commands/<name>.rs`.
//! A command returns its exit status or one error, which is printed here, once.

mod args;
mod commands;
mod error;
mod printer;
mod project;
mod settings;

/// Rendering builds and drops hundreds of thousands of small JSON values; with mimalloc the
/// render benchmark runs about 20% faster than with the system allocator (benches/render.rs
/// uses it too, so it measures what the binary runs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let invocation = args::parse(std::env::args_os().collect());
    let (global, command) = settings::resolve(invocation, &settings::Environment::capture());
    let printer = global.printer();
    let status = match command.and_then(|c| commands::run(c, &global, &printer)) {
        Ok(status) => status,
        Err(e) => {
            printer.failure(&e);
            e.status()
        }
    };
    status.into()
}
