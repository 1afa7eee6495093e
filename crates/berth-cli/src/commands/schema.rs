//! `berth schema`: the JSON Schema of berth.yaml (checked in as berth.schema.json).

use crate::error::{CliError, ExitStatus};
use crate::printer::Printer;

pub fn run(printer: &Printer) -> Result<ExitStatus, CliError> {
    printer.out(berth_spec::schema::json());
    Ok(ExitStatus::Success)
}
