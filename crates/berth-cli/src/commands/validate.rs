//! `berth validate`: every problem of the spec in one run.

use crate::args::{Global, OutputFormat};
use crate::printer::Printer;
use crate::project::{exit, read_source};

pub fn run(g: &Global, printer: &Printer) -> u8 {
    let source = match read_source(&g.file, printer) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let loaded = berth_spec::validate(&source);
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = loaded.diagnostics.len() - errors;
    if printer.format == OutputFormat::Json {
        let out = serde_json::json!({
            "file": source.path,
            "valid": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": loaded.diagnostics,
        });
        printer.out(serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        printer.diagnostics(&source, &loaded.diagnostics);
        if errors == 0 {
            let spec = loaded.spec.as_ref();
            let count =
                |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            printer.success(format!(
                "{} is valid: {}, {}, {}{}",
                source.path,
                count(spec.map_or(0, |s| s.services.len()), "service"),
                count(spec.map_or(0, |s| s.stores.len()), "store"),
                count(spec.map_or(0, |s| s.environments.len()), "environment"),
                if warnings > 0 {
                    format!(" ({})", count(warnings, "warning"))
                } else {
                    String::new()
                }
            ));
        } else {
            printer.error(format!(
                "{} is invalid: {errors} error{}{}",
                source.path,
                if errors == 1 { "" } else { "s" },
                if warnings > 0 {
                    format!(", {warnings} warning(s)")
                } else {
                    String::new()
                }
            ));
        }
    }
    if errors > 0 {
        exit::FAILED
    } else {
        exit::OK
    }
}
