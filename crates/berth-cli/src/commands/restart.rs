//! `berth restart SERVICE`: restart one service or store and wait until it is healthy again,
//! under the environment's lock. It needs no secret value: the container keeps the
//! environment it was created with (`berth up` recreates it when a value changed).

use super::drive::{self, Progress};
use crate::error::{CliError, ExitStatus};
use crate::printer::Printer;
use crate::settings::{GlobalSettings, RestartSettings};

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: RestartSettings,
) -> Result<ExitStatus, CliError> {
    let session = drive::session(g, printer, s.environment.as_deref())?;
    if session.is_kubernetes() {
        return super::kube::restart(printer, &session, &s.service, s.timeout);
    }
    if session.model.platform == berth_spec::Platform::Native {
        return super::dev_session::restart(printer, &session, &s.service, s.timeout);
    }
    let mut driver = session.driver()?;
    driver.cancel = drive::cancel_flag();
    let _lock = driver.lock()?;
    let progress = Progress::new(printer);
    driver
        .write_files()
        .and_then(|f| driver.restart(&f, &s.service, s.timeout, &progress))?;
    printer.success(format!("{} restarted", s.service));
    Ok(ExitStatus::Success)
}
