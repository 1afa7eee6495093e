//! `berth run JOB`: run a job once in a fresh container (`docker compose run --rm`), its
//! output on the terminal; berth exits with the job's exit code. No lock is taken, so a
//! recipe's post command may call it.

use super::drive;
use crate::error::{CliError, ExitStatus};
use crate::printer::Printer;
use crate::settings::{GlobalSettings, RunSettings};

pub fn run(g: &GlobalSettings, printer: &Printer, s: RunSettings) -> Result<ExitStatus, CliError> {
    let session = drive::session(g, printer, s.environment.as_deref())?;
    if session.is_kubernetes() {
        return super::kube::run(printer, &session, &s.job, crate::settings::DEFAULT_TIMEOUT);
    }
    let driver = session.driver()?;
    let lock = driver.lock()?;
    let job = &s.job;
    match driver
        .prepare(&lock)
        .and_then(|p| driver.run_job(&p, job, s.tty))?
    {
        Some(0) => {
            printer.success(format!("{job} completed"));
            Ok(ExitStatus::Success)
        }
        code => {
            let status = code
                .and_then(|c| u8::try_from(c).ok())
                .filter(|c| *c != 0)
                .map_or(ExitStatus::Failure, ExitStatus::Code);
            Err(CliError::new(
                status,
                format!(
                    "{job} failed ({}); see its output above",
                    code.map(|c| format!("exit {c}"))
                        .unwrap_or_else(|| "killed by a signal".into())
                ),
            ))
        }
    }
}
