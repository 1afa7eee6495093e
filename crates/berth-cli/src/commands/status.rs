//! `berth status [ENV]`: per service its state, health, restart count and published ports,
//! and the last deploy from the history; `--output json` for machines. Exit 0 whatever the
//! state (it is a report); 1 only when Docker cannot be asked.

use super::drive;
use crate::args::{Global, OutputFormat};
use crate::printer::Printer;
use crate::project::exit;
use berth_drive::history::History;
use serde_json::json;

pub fn run(g: &Global, printer: &Printer, env: Option<&str>) -> u8 {
    let session = match drive::session(g, printer, env) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let driver = match session.driver() {
        Ok(d) => d,
        Err(e) => return drive::report(printer, &e),
    };
    // Only the compose files: status never materialises secrets and takes no lock.
    let rows = match driver.write_files().and_then(|f| driver.status(&f)) {
        Ok(r) => r,
        Err(e) => return drive::report(printer, &e),
    };
    let history = History::load(&drive::workspace(&session.project).history_path());
    let last = history.last(&session.model.environment);
    match printer.format {
        OutputFormat::Json | OutputFormat::Yaml => {
            let v = json!({
                "stack": session.model.stack,
                "environment": session.model.environment,
                "services": rows,
                "last_deploy": last,
            });
            let text = if printer.format == OutputFormat::Json {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            } else {
                serde_saphyr::to_string(&v).unwrap_or_default()
            };
            printer.out(text);
        }
        OutputFormat::Text => {
            let mut table = vec![[
                "NAME".to_string(),
                "KIND".into(),
                "STATE".into(),
                "HEALTH".into(),
                "RESTARTS".into(),
                "PORTS".into(),
            ]];
            for r in &rows {
                let state = match r.exit_code {
                    Some(c) if r.state.contains("exited") => format!("{} ({c})", r.state),
                    _ => r.state.clone(),
                };
                table.push([
                    r.name.clone(),
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
            let mut out = format!("{} ({})\n", session.model.stack, session.model.environment);
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
            if let Some(l) = last {
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
        }
    }
    exit::OK
}
