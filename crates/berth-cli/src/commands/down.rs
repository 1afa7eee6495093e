//! `berth down [ENV] [--volumes]`: stop and remove the environment's containers and network.
//! Named volumes (the stores' data) stay unless `--volumes` is given.

use super::drive;
use crate::args::Global;
use crate::printer::Printer;
use crate::project::exit;
use std::time::Instant;

pub fn run(g: &Global, printer: &Printer, env: Option<&str>, volumes: bool) -> u8 {
    let started = Instant::now();
    let session = match drive::session(g, printer, env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let driver = match session.driver() {
        Ok(d) => d,
        Err(e) => return drive::report(printer, &e),
    };
    let _lock = match driver.lock() {
        Ok(l) => l,
        Err(e) => return drive::report(printer, &e),
    };
    // Removing containers needs the compose files, not the secrets.
    let result = driver
        .write_files()
        .and_then(|files| driver.down(&files, volumes));
    drive::record(
        printer,
        &session,
        "down",
        None,
        started,
        result.as_ref().copied(),
    );
    match result {
        Ok(()) => {
            printer.success(format!(
                "{} ({}) is down{}",
                session.model.stack,
                session.model.environment,
                if volumes {
                    "; its volumes are removed"
                } else {
                    "; volumes kept (`berth down --volumes` deletes the data)"
                }
            ));
            exit::OK
        }
        Err(e) => drive::report(printer, &e),
    }
}
