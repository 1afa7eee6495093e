//! Checks of the delivery settings: `repository`, service `strategy`, store `backup`
//! (codes B2180–B2186, docs/delivery.md).

use super::cx::Cx;
use crate::diag::Diagnostic;
use crate::spec::{Strategy, WorkloadKind};

pub fn check_delivery(cx: &mut Cx) {
    let spec = cx.spec;
    if let Some(repo) = &spec.repository {
        let url = repo.url.value.as_str();
        let ok =
            url.starts_with("https://") || url.starts_with("ssh://") || url.starts_with("git@");
        if !ok || url.contains("CHANGE-ME") {
            cx.push(
                Diagnostic::error(
                    "B2180",
                    repo.url.span,
                    format!("`{url}` is not a Git clone URL"),
                )
                .help("write the clone URL, e.g. `https://github.com/acme/shop.git`"),
            );
        }
    }
    for (name, svc) in &spec.services {
        let Some(strategy) = &svc.strategy else {
            continue;
        };
        if svc.kind() == WorkloadKind::Job {
            cx.push(
                Diagnostic::error(
                    "B2181",
                    name.span,
                    format!("`{name}` is a job; only services have a delivery `strategy`"),
                )
                .help("remove `strategy:` from the job"),
            );
        }
        if let Strategy::Detailed(d) = strategy {
            let steps: Vec<u32> = d.steps.iter().map(|s| s.value).collect();
            let increasing = steps.windows(2).all(|w| w[0] < w[1]);
            if let Some(bad) = d
                .steps
                .iter()
                .find(|s| s.value == 0 || s.value >= 100)
                .or_else(|| if increasing { None } else { d.steps.first() })
            {
                cx.push(
                    Diagnostic::error(
                        "B2182",
                        bad.span,
                        format!("canary `steps` of `{name}` must increase, each between 1 and 99"),
                    )
                    .help("write traffic percentages, e.g. `steps: [10, 25, 50]` (100 is the promotion)"),
                );
            }
            if let Some(p) = &d.max_error_percent {
                if p.value == 0 || p.value > 100 {
                    cx.push(
                        Diagnostic::error(
                            "B2183",
                            p.span,
                            "`max_error_percent` must be between 1 and 100",
                        )
                        .help("e.g. `max_error_percent: 5`"),
                    );
                }
            }
        }
    }
    for store in spec.stores.values() {
        let Some(b) = &store.backup else { continue };
        if !crate::store::has_backups(store.r#type.value) {
            cx.push(
                Diagnostic::error(
                    "B2186",
                    b.schedule.span,
                    format!("{} stores have no backups", store.r#type.value.as_str()),
                )
                .help(
                    "remove `backup:`; back up postgres, mysql, mongodb, redis and rabbitmq stores",
                ),
            );
            continue;
        }
        if !is_cron(&b.schedule.value) {
            cx.push(
                Diagnostic::error(
                    "B2184",
                    b.schedule.span,
                    format!("`{}` is not a cron schedule", b.schedule.value),
                )
                .help("write five fields (minute hour day month weekday), e.g. `0 3 * * *`"),
            );
        }
        if let Some(r) = &b.retain {
            if r.value == 0 {
                cx.push(
                    Diagnostic::error("B2185", r.span, "`retain` must be at least 1 day")
                        .help("e.g. `retain: 7`"),
                );
            }
        }
    }
}

/// Five fields of digits and `*`, `,`, `-`, `/` (or a `@daily`-style macro).
fn is_cron(text: &str) -> bool {
    let t = text.trim();
    if matches!(t, "@hourly" | "@daily" | "@weekly" | "@monthly" | "@yearly") {
        return true;
    }
    let fields: Vec<&str> = t.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '*' | ',' | '-' | '/'))
        })
}

#[cfg(test)]
mod tests {
    use crate::{validate, Source};

    fn codes(text: &str) -> Vec<(String, usize)> {
        let loaded = validate(&Source::new("berth.yaml", text.to_string()));
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.code.starts_with("B218"))
            .map(|d| (d.code.to_string(), d.span.line))
            .collect()
    }

    #[test]
    fn bad_delivery_settings_are_named_where_they_are() {
        let text = "name: t\nrepository: { url: \"https://git.example.com/CHANGE-ME/REPO.git\" }\n\
services:\n  api:\n    image: a/b:1\n    strategy: { type: canary, steps: [50, 20] }\n\
stores:\n  pg:\n    type: postgres\n    version: \"16\"\n    backup: { schedule: \"daily at 3\", retain: 0 }\n\
environments:\n  local: { platform: compose }\n";
        assert_eq!(
            codes(text),
            [
                ("B2180".to_string(), 2),
                ("B2182".to_string(), 6),
                ("B2184".to_string(), 11),
                ("B2185".to_string(), 11)
            ]
        );
        let good = text
            .replace("CHANGE-ME/REPO", "acme/shop")
            .replace("[50, 20]", "[20, 50]")
            .replace("daily at 3", "0 3 * * *")
            .replace("retain: 0", "retain: 7");
        assert_eq!(codes(&good), Vec::<(String, usize)>::new());
    }
}
