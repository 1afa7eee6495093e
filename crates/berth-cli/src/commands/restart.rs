//! `berth restart SERVICE`: restart one service or store and wait until it is healthy again.

use super::drive::{self, Progress};
use crate::error::{CliError, ExitStatus};
use crate::printer::Printer;
use crate::settings::{GlobalSettings, RestartSettings};

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: RestartSettings,
) -> Result<ExitStatus, CliError> {
    let session = drive::session(&g.file, printer, s.environment.as_deref())?;
    let mut driver = session.driver()?;
    driver.cancel = drive::cancel_flag();
    let progress = Progress::new(printer);
    driver
        .prepare()
        .and_then(|p| driver.restart(&p, &s.service, s.timeout, &progress))?;
    printer.success(format!("{} restarted", s.service));
    Ok(ExitStatus::Success)
}
