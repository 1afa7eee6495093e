//! Checks of deployment recipes: names, target environments, the services they name (B4xxx).

use super::cx::{unknown, Cx};
use crate::diag::Diagnostic;
use crate::spec::Name;

/// Deployment names are typed at the command line and never become DNS or Kubernetes names, so
/// besides RFC 1123 labels they may use `_` (teams' existing deployment scripts name them `s_a_dbs`).
fn deployment_name(cx: &mut Cx, name: &Name) {
    let b = name.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric();
    if !ok {
        cx.push(
            Diagnostic::error(
                "B1001",
                name.span,
                format!("deployment name `{name}` is not a valid name"),
            )
            .help("use 1-63 lowercase letters, digits, `-` and `_`, starting and ending with a letter or digit"),
        );
    }
}

pub fn check_deployments(cx: &mut Cx) {
    let spec = cx.spec;
    for (name, d) in &spec.deployments {
        deployment_name(cx, name);
        let env = &d.environment;
        if !env.span.is_none() && !spec.environments.contains_key(env.value.as_str()) {
            let help = unknown(env, "environments", cx.env_names());
            cx.push(
                Diagnostic::error(
                    "B4001",
                    env.span,
                    format!("deployment `{name}` targets unknown environment `{env}`"),
                )
                .help(help),
            );
        }
        for s in &d.services {
            if cx.is_service(s) {
                continue;
            }
            let help = if cx.is_store(s) {
                format!("`{s}` is a store; stores come with the services that use them, or use `only: stores`")
            } else {
                unknown(s, "services", cx.service_names())
            };
            cx.push(
                Diagnostic::error(
                    "B4002",
                    s.span,
                    format!("deployment `{name}` names unknown service `{s}`"),
                )
                .help(help),
            );
        }
        if let (Some(only), false) = (&d.only, d.services.is_empty()) {
            cx.push(
                Diagnostic::error(
                    "B4003",
                    only.span,
                    format!("deployment `{name}` has both `only` and `services`"),
                )
                .help("keep `only: stores|services` for a half of the stack, or `services:` for a subset"),
            );
        }
    }
}
