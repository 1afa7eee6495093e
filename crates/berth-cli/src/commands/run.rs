//! `berth run JOB`: run a job once in a fresh container (`docker compose run --rm`), its
//! output on the terminal; berth exits with the job's exit code. It holds the environment's
//! lock (it writes the secrets the job reads); a recipe's post command may still call it, as it
//! shares the lock of the berth running the recipe.

use super::drive;
use crate::args::Global;
use crate::printer::Printer;
use crate::project::exit;
use std::io::IsTerminal;

pub fn run(g: &Global, printer: &Printer, env: Option<&str>, job: &str) -> u8 {
    let session = match drive::session(g, printer, env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let driver = match session.driver() {
        Ok(d) => d,
        Err(e) => return drive::report(printer, &e),
    };
    let lock = match driver.lock() {
        Ok(l) => l,
        Err(e) => return drive::report(printer, &e),
    };
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    match driver
        .prepare(&lock)
        .and_then(|p| driver.run_job(&p, job, tty))
    {
        Ok(Some(0)) => {
            printer.success(format!("{job} completed"));
            exit::OK
        }
        Ok(code) => {
            printer.error(format!(
                "{job} failed ({}); see its output above",
                code.map(|c| format!("exit {c}"))
                    .unwrap_or_else(|| "killed by a signal".into())
            ));
            code.and_then(|c| u8::try_from(c).ok())
                .filter(|c| *c != 0)
                .unwrap_or(exit::FAILED)
        }
        Err(e) => drive::report(printer, &e),
    }
}
