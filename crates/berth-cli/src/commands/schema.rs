//! `berth schema`: the JSON Schema of berth.yaml (checked in as berth.schema.json).

use crate::printer::Printer;
use crate::project::exit;

pub fn run(printer: &Printer) -> u8 {
    printer.out(berth_spec::schema::json());
    exit::OK
}
