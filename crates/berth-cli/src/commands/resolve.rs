//! `berth resolve ENV`: the fully resolved model of one environment (YAML as text).

use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::project;
use crate::settings::GlobalSettings;
use berth_spec::Model;

/// The model reads as YAML for people too.
impl Report for Model {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        printer.yaml(self)
    }
}

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    environment: &str,
) -> Result<ExitStatus, CliError> {
    let project = project::load(&g.file)?;
    let model = berth_spec::resolve(&project.spec, environment)?;
    printer.report(&model)?;
    Ok(ExitStatus::Success)
}
