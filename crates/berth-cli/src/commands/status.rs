//! `berth status [ENV]`: per service its state, health, restart count and published ports,
//! and the last deploy from the history; `--output json` for machines. Exit 0 whatever the
//! state (it is a report); 1 only when Docker cannot be asked.

use super::drive;
use crate::error::{CliError, ExitStatus};
use crate::printer::{Printer, Report};
use crate::settings::{GlobalSettings, StatusSettings};
use berth_drive::compose::ServiceStatus;
use berth_drive::history::{History, Record};
use serde::Serialize;

/// The environment's services as Docker sees them.
#[derive(Serialize)]
struct Status<'a> {
    stack: &'a str,
    environment: &'a str,
    services: Vec<ServiceStatus>,
    last_deploy: Option<&'a Record>,
}

pub fn run(
    g: &GlobalSettings,
    printer: &Printer,
    s: StatusSettings,
) -> Result<ExitStatus, CliError> {
    let session = drive::session(g, printer, s.environment.as_deref())?;
    if session.is_kubernetes() {
        return super::kube::status(printer, &session);
    }
    if session.model.platform == berth_spec::Platform::Native {
        return super::dev_session::status(printer, &session);
    }
    let driver = session.driver()?;
    // Only the compose files: status never materialises secrets and takes no lock.
    let services = driver.write_files().and_then(|f| driver.status(&f))?;
    let history = History::load(&session.workspace.history_path());
    printer.report(&Status {
        stack: &session.model.stack,
        environment: &session.model.environment,
        services,
        last_deploy: history.last(&session.model.environment),
    })?;
    Ok(ExitStatus::Success)
}

impl Report for Status<'_> {
    fn text(&self, printer: &Printer) -> Result<(), CliError> {
        let mut out = format!("{} ({})\n", self.stack, self.environment);
        out.push_str(&table(&self.services));
        if let Some(l) = self.last_deploy {
            out.push_str(
                &format!(
                    "last {}: {}{} at {} ({})\n",
                    l.command,
                    l.outcome,
                    l.recipe
                        .as_ref()
                        .map(|r| format!(" [{r}]"))
                        .unwrap_or_default(),
                    l.time,
                    l.detail.as_deref().unwrap_or("")
                )
                .replace(" ()", ""),
            );
        }
        printer.out(out);
        Ok(())
    }
}

/// NAME KIND STATE HEALTH RESTARTS PORTS, columns padded to their widest cell.
fn table(rows: &[ServiceStatus]) -> String {
    let mut table = vec![[
        "NAME".to_string(),
        "KIND".into(),
        "STATE".into(),
        "HEALTH".into(),
        "RESTARTS".into(),
        "PORTS".into(),
    ]];
    for r in rows {
        let state = match r.exit_code {
            Some(c) if r.state.contains("exited") => format!("{} ({c})", r.state),
            _ => r.state.clone(),
        };
        let name = match r.serves.is_empty() {
            true => r.name.clone(),
            false => format!("{} (+{})", r.name, r.serves.join(", ")),
        };
        table.push([
            name,
            serde_json::to_value(r.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            state,
            if r.health.is_empty() {
                "-".into()
            } else {
                r.health.clone()
            },
            r.restarts.to_string(),
            r.ports.join(", "),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            table
                .iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &table {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i == 5 {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
