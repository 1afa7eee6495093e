//! `berth completions SHELL`.

use crate::args::Cli;
use crate::error::{CliError, ExitStatus};
use clap::CommandFactory;

pub fn run(shell: clap_complete::Shell) -> Result<ExitStatus, CliError> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "berth", &mut std::io::stdout());
    Ok(ExitStatus::Success)
}
