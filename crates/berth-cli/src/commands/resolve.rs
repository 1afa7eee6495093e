//! `berth resolve ENV`: the fully resolved model of one environment.

use crate::args::{Global, OutputFormat};
use crate::printer::Printer;
use crate::project::{self, exit};

pub fn run(g: &Global, printer: &Printer, environment: &str) -> u8 {
    let project = match project::load(&g.file, printer) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let model = match berth_spec::resolve(&project.spec, environment) {
        Ok(m) => m,
        Err(e) => {
            printer.error(e.to_string());
            return exit::USAGE;
        }
    };
    let text = match printer.format {
        OutputFormat::Json => serde_json::to_string_pretty(&model).map_err(|e| e.to_string()),
        _ => serde_saphyr::to_string(&model).map_err(|e| e.to_string()),
    };
    match text {
        Ok(t) => {
            printer.out(t);
            exit::OK
        }
        Err(e) => {
            printer.error(format!("cannot serialize the model: {e}"));
            exit::FAILED
        }
    }
}
