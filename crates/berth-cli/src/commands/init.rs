//! `berth init`: a commented starter berth.yaml that validates as written.

use crate::args::Global;
use crate::printer::Printer;
use crate::project::exit;

const TEMPLATE: &str = include_str!("../../templates/init.yaml");

pub fn run(g: &Global, printer: &Printer, name: Option<String>, force: bool) -> u8 {
    if g.file.exists() && !force {
        printer.error(format!(
            "{} already exists; pass --force to overwrite it",
            g.file.display()
        ));
        return exit::USAGE;
    }
    let name = name.unwrap_or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .map(|n| sanitize(&n))
            .unwrap_or_else(|| "my-stack".into())
    });
    let text = TEMPLATE.replace("{{name}}", &name);
    // The starter must validate as written; a bad --name shows up here with its diagnostic.
    let source = berth_spec::Source::new(g.file.display().to_string(), text.as_str());
    let loaded = berth_spec::validate(&source);
    if loaded.diagnostics.iter().any(|d| d.is_error()) {
        printer.diagnostics(&source, &loaded.diagnostics);
        printer.error(format!(
            "`{name}` cannot be used as the stack name; pass --name NAME"
        ));
        return exit::USAGE;
    }
    let tmp = g.file.with_extension("yaml.tmp");
    if let Err(e) = std::fs::write(&tmp, &text).and_then(|_| std::fs::rename(&tmp, &g.file)) {
        printer.error(format!("cannot write {}: {e}", g.file.display()));
        return exit::FAILED;
    }
    printer.success(format!(
        "wrote {}; next: `berth validate`, then `berth up`",
        g.file.display()
    ));
    exit::OK
}

fn sanitize(name: &str) -> String {
    let s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s = s.trim_matches('-').chars().take(63).collect::<String>();
    if s.is_empty() {
        "my-stack".into()
    } else {
        s
    }
}
