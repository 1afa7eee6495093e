//! `berth completions SHELL`.

use crate::args::Cli;
use crate::project::exit;
use clap::CommandFactory;

pub fn run(shell: clap_complete::Shell) -> u8 {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "berth", &mut std::io::stdout());
    exit::OK
}
