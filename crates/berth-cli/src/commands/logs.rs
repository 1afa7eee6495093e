//! `berth logs [SERVICE] [-f] [--tail N]`: the services' logs through `docker compose logs`.

use super::drive;
use crate::args::Global;
use crate::printer::Printer;
use crate::project::exit;

pub fn run(
    g: &Global,
    printer: &Printer,
    env: Option<&str>,
    service: Option<&str>,
    follow: bool,
    tail: Option<u32>,
) -> u8 {
    let session = match drive::session(g, printer, env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let driver = match session.driver() {
        Ok(d) => d,
        Err(e) => return drive::report(printer, &e),
    };
    match driver
        .write_files()
        .and_then(|f| driver.logs(&f, service, follow, tail))
    {
        Ok(Some(0)) => exit::OK,
        Ok(_) => exit::FAILED,
        Err(e) => drive::report(printer, &e),
    }
}
