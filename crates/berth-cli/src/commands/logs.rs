//! `berth logs [SERVICE] [-f] [--tail N]`: the services' logs through `docker compose logs`.

use super::drive;
use crate::error::{CliError, ExitStatus};
use crate::printer::Printer;
use crate::settings::{GlobalSettings, LogsSettings};

pub fn run(g: &GlobalSettings, printer: &Printer, s: LogsSettings) -> Result<ExitStatus, CliError> {
    let session = drive::session(g, printer, s.environment.as_deref())?;
    if session.is_kubernetes() {
        return super::kube::logs(&session, s.service.as_deref(), s.follow, s.tail);
    }
    if session.model.platform == berth_spec::Platform::Native {
        return super::dev_session::logs(&session, s.service.as_deref(), s.follow, s.tail);
    }
    let driver = session.driver()?;
    let code = driver
        .write_files()
        .and_then(|f| driver.logs(&f, s.service.as_deref(), s.follow, s.tail))?;
    // docker compose has shown its own error on its output.
    Ok(match code {
        Some(0) => ExitStatus::Success,
        _ => ExitStatus::Failure,
    })
}
