//! `berth down [ENV] [--volumes]`: stop and remove the environment's containers and network.
//! Named volumes (the stores' data) stay unless `--volumes` is given.

use super::drive;
use crate::error::{CliError, ExitStatus};
use crate::printer::Printer;
use crate::settings::{DownSettings, GlobalSettings};
use std::time::Instant;

pub fn run(g: &GlobalSettings, printer: &Printer, s: DownSettings) -> Result<ExitStatus, CliError> {
    let started = Instant::now();
    let session = drive::session(g, printer, s.environment.as_deref())?;
    if session.is_kubernetes() {
        return super::kube::down(printer, &session, s.volumes);
    }
    let mut driver = session.driver()?;
    // Ctrl-C stops `docker compose down` and is recorded in the history (exit 130).
    driver.cancel = drive::cancel_flag();
    let _lock = driver.lock()?;
    // Removing containers needs the compose files, not the secrets.
    let result = driver
        .write_files()
        .and_then(|files| driver.down(&files, s.volumes));
    drive::record(
        printer,
        &session,
        "down",
        None,
        started,
        result.as_ref().copied(),
    );
    result?;
    printer.success(format!(
        "{} ({}) is down{}",
        session.model.stack,
        session.model.environment,
        if s.volumes {
            "; its volumes are removed"
        } else {
            "; volumes kept (`berth down --volumes` deletes the data)"
        }
    ));
    Ok(ExitStatus::Success)
}
