//! Checks of secrets: exactly one source (B2022, B2023) and the generated length (B2024), for
//! declared secrets and environments' overrides alike.

use super::cx::Cx;
use crate::diag::Diagnostic;
use crate::source::Span;
use crate::spec::Secret;

/// The sources a secret declares.
pub fn sources(s: &Secret) -> Vec<(&'static str, Span)> {
    let mut out = Vec::new();
    if let Some(g) = &s.generate {
        out.push(("generate", g.span));
    }
    if let Some(e) = &s.env {
        out.push(("env", e.span));
    }
    if let Some(f) = &s.file {
        out.push(("file", f.span));
    }
    if let Some(a) = &s.aws {
        out.push(("aws", a.span));
    }
    out
}

/// B2022 (more than one source) and B2024 (generated length), for top-level and env-level
/// secrets alike. Returns the number of sources.
pub fn secret_sources(cx: &mut Cx, name: &str, s: &Secret) -> usize {
    let found = sources(s);
    if found.len() > 1 {
        let list: Vec<&str> = found.iter().map(|(k, _)| *k).collect();
        cx.push(
            Diagnostic::error(
                "B2022",
                found[1].1,
                format!("secret `{name}` has more than one source: {}", list.join(", ")),
            )
            .help("keep exactly one of `generate`, `env`, `file`, `aws`; override it per environment under `environments.<env>.secrets`"),
        );
    }
    if let Some(len) = s.generate.as_ref().and_then(|g| g.length.as_ref()) {
        if !(16..=4096).contains(&len.value) {
            cx.push(
                Diagnostic::error(
                    "B2024",
                    len.span,
                    format!("generated secret length {} is out of range", len.value),
                )
                .help("use a length from 16 to 4096 (32 or 64 are common)"),
            );
        }
    }
    found.len()
}

pub fn check_secrets(cx: &mut Cx) {
    let spec = cx.spec;
    for (name, secret) in &spec.secrets {
        cx.label(name, "secret name");
        if secret_sources(cx, name, secret) > 0 {
            continue;
        }
        // No source: every environment must supply one.
        let missing: Vec<&str> = cx
            .chains
            .iter()
            .filter(|c| c.secret(name).is_none())
            .map(|c| c.name().value.as_str())
            .collect();
        if spec.environments.is_empty() || !missing.is_empty() {
            let mut d =
                Diagnostic::error("B2023", name.span, format!("secret `{name}` has no source"));
            if !missing.is_empty() {
                d = d.note(format!("no source in environments: {}", missing.join(", ")));
            }
            cx.push(d.help(format!(
                "add `generate: {{ length: 32 }}`, `env: VAR`, `file: path` or `aws: name` to `{name}`, or set one in every environment's `secrets`"
            )));
        }
    }
}
