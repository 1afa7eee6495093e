//! `berth restart SERVICE`: restart one service or store and wait until it is healthy again,
//! under the environment's lock (it writes the secrets the service reads).

use super::drive::{self, Progress};
use crate::args::Global;
use crate::printer::Printer;
use crate::project::exit;
use std::time::Duration;

pub fn run(g: &Global, printer: &Printer, env: Option<&str>, service: &str, timeout: u64) -> u8 {
    let session = match drive::session(g, printer, env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut driver = match session.driver() {
        Ok(d) => d,
        Err(e) => return drive::report(printer, &e),
    };
    driver.cancel = drive::cancel_flag();
    let lock = match driver.lock() {
        Ok(l) => l,
        Err(e) => return drive::report(printer, &e),
    };
    let progress = Progress::new(printer);
    match driver
        .prepare(&lock)
        .and_then(|p| driver.restart(&p, service, Duration::from_secs(timeout), &progress))
    {
        Ok(()) => {
            printer.success(format!("{service} restarted"));
            exit::OK
        }
        Err(e) => drive::report(printer, &e),
    }
}
