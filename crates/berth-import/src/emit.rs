//! Writes an imported stack as a commented, deterministic berth.yaml: a header naming the compose
//! files and every note, then the spec through its own serializer.

use crate::notes::{Notes, Warning};
use crate::yaml;
use berth_spec::Spec;
use std::fmt::Write;

/// Renders berth.yaml. `sources` are the compose files (project-relative), `profiles` the active ones.
pub fn emit(spec: &Spec, notes: &Notes, sources: &[String], profiles: &[String]) -> String {
    let mut o = header(notes, sources, profiles);
    o.push('\n');
    o.push_str(&yaml::write(spec));
    o
}

/// The comment block above the spec.
fn header(notes: &Notes, sources: &[String], profiles: &[String]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# yaml-language-server: $schema=./berth.schema.json");
    let with_profiles = if profiles.is_empty() {
        String::new()
    } else {
        format!(" with profiles {}", profiles.join(", "))
    };
    let _ = writeln!(
        o,
        "# Imported by `berth import` from {}{with_profiles}.",
        sources.join(" + ")
    );
    let _ = writeln!(
        o,
        "# Review the notes below, then run `berth validate` and `berth render`."
    );
    section(&mut o, "Inferred", &notes.inferred);
    section(
        &mut o,
        "Dropped or approximated (compose key path: why)",
        &notes.warnings,
    );
    o
}

fn section(o: &mut String, title: &str, notes: &[Warning]) {
    if notes.is_empty() {
        return;
    }
    let _ = writeln!(o, "#\n# {title}:");
    for n in notes {
        let msg = n.message.replace('\n', " ");
        let _ = writeln!(o, "#   - {}: {msg}", n.path);
    }
}
