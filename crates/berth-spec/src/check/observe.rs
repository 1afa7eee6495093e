//! Checks of the observability settings: a service's `metrics` endpoint and the
//! `observability:` blocks of the stack and its environments (codes B2190–B2192,
//! docs/observability.md).

use super::cx::{unknown, Cx};
use crate::diag::Diagnostic;
use crate::spec::Observability;

pub fn check_observability(cx: &mut Cx) {
    let spec = cx.spec;
    for (name, svc) in &spec.services {
        let Some(m) = &svc.metrics else { continue };
        if !svc.ports.contains_key(m.port.value.as_str()) {
            let help = unknown(&m.port, "ports", svc.ports.keys().map(|k| k.value.as_str()));
            cx.push(
                Diagnostic::error(
                    "B2190",
                    m.port.span,
                    format!(
                        "`metrics.port` of `{name}` names no port of `{name}`: `{}`",
                        m.port
                    ),
                )
                .help(help),
            );
        }
        if let Some(path) = m.path.as_ref().filter(|p| !p.starts_with('/')) {
            cx.push(
                Diagnostic::error(
                    "B2191",
                    path.span,
                    format!("`metrics.path` `{}` does not start with `/`", path.value),
                )
                .help(format!("write `/{}`", path.value)),
            );
        }
    }
    let blocks = std::iter::once(spec.observability.as_ref())
        .chain(spec.environments.values().map(|e| e.observability.as_ref()));
    for o in blocks.flatten() {
        ratio(cx, o);
    }
}

/// B2192: the sampling ratio is a share, from 0 to 1.
fn ratio(cx: &mut Cx, o: &Observability) {
    let Some(r) = &o.sampling_ratio else { return };
    if !(0.0..=1.0).contains(&r.value) {
        cx.push(
            Diagnostic::error(
                "B2192",
                r.span,
                format!("`sampling_ratio` {} is not between 0 and 1", r.value),
            )
            .help("keep a share of the traces, e.g. `sampling_ratio: 0.1` (1 keeps all)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::{validate, Source};

    fn codes(text: &str) -> Vec<(String, usize, usize)> {
        let loaded = validate(&Source::new("b.yaml", text));
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.code.starts_with("B219"))
            .map(|d| (d.code.to_string(), d.span.line, d.span.col))
            .collect()
    }

    #[test]
    fn metrics_name_a_declared_port_under_an_absolute_path_and_ratios_are_shares() {
        let text = "name: t\nservices:\n  api:\n    image: a/b:1\n    ports: { http: 8080 }\n    health: { tcp: http }\n    metrics: { port: metric, path: metrics }\n\
                    observability: { traces: true, sampling_ratio: 1.5 }\n\
                    environments:\n  local: { platform: compose, observability: { sampling_ratio: 0.5 } }\n";
        assert_eq!(
            codes(text),
            [
                ("B2190".to_string(), 7, 22),
                ("B2191".to_string(), 7, 36),
                ("B2192".to_string(), 8, 48),
            ]
        );
        let good = text
            .replace("port: metric, path: metrics", "port: http")
            .replace("1.5", "1");
        assert!(codes(&good).is_empty());
    }
}
