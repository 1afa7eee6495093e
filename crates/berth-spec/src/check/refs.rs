//! Checks of the `${dep.field}` and `${secrets.NAME}` references inside env values (found by
//! [`crate::template::scan`]).

use super::cx::{unknown, Cx};
use crate::diag::Diagnostic;
use crate::source::{Span, Spanned};
use crate::spec::{Service, Store, StoreType};
use crate::template::{scan, FIELDS};

const SERVICE_FIELDS: &[&str] = &["url", "host", "port"];

/// The span of a piece of a scalar: precise when the scalar sits on one line as written (plain
/// or quoted without escapes), else the whole scalar.
pub fn sub_span(value: &Spanned<String>, start: usize, len: usize) -> Span {
    let n = value.value.chars().count();
    let off = if value.span.len == n {
        0
    } else if value.span.len == n + 2 {
        1
    } else {
        return value.span;
    };
    Span::new(value.span.line, value.span.col + off + start, len)
}

/// Check the references of one env value of workload `owner`.
pub fn check_value(cx: &mut Cx, owner: &str, svc: &Service, value: &Spanned<String>) {
    if !value.value.contains("${") {
        return;
    }
    for r in scan(value) {
        let span = sub_span(value, r.start, r.len);
        match r.parts {
            None => cx.push(
                Diagnostic::error(
                    "B1108",
                    span,
                    "malformed reference: expected `${name.field}` or `${secrets.NAME}`",
                )
                .help("write `${dep.url}` (fields: url, host, port, user, password, db), or `$${` for a literal `${`"),
            ),
            Some(("secrets", name)) => secret_ref(cx, name, span),
            Some((target, field)) => dep_ref(cx, owner, svc, (target, field), span),
        }
    }
}

/// B1105: `${secrets.NAME}` names a declared secret.
fn secret_ref(cx: &mut Cx, name: &str, span: Span) {
    if !cx.spec.secrets.contains_key(name) {
        let help = unknown(name, "secrets", cx.secret_names());
        cx.push(
            Diagnostic::error(
                "B1105",
                span,
                format!("unknown secret `{name}` in a reference"),
            )
            .help(help),
        );
    }
}

/// `${target.field}`: a known store or service (B1101), a field it has (B1107), in `uses` of
/// the owner (B1106).
fn dep_ref(cx: &mut Cx, owner: &str, svc: &Service, (target, field): (&str, &str), span: Span) {
    let store = cx.spec.stores.get(target);
    if store.is_none() && !cx.is_service(target) {
        let help = unknown(
            target,
            "stores or services",
            cx.store_names().chain(cx.service_names()),
        );
        cx.push(
            Diagnostic::error(
                "B1101",
                span,
                format!("reference to unknown store or service `{target}`"),
            )
            .help(help),
        );
        return;
    }
    if !FIELDS.contains(&field) {
        let help = unknown(field, "fields", FIELDS.iter().copied());
        cx.push(
            Diagnostic::error(
                "B1107",
                span,
                format!("`{field}` is not a field of a reference"),
            )
            .help(help),
        );
        return;
    }
    // A store has the fields of its type's wiring (store::StoreFacts::fields).
    let store_fields;
    let allowed: &[&str] = match store {
        None => SERVICE_FIELDS,
        Some(s) => {
            let replicas = s.replicas.as_ref().map_or(1, |r| r.value);
            let shards = s.shards.as_ref().map_or(1, |r| r.value);
            let cdn = s.cdn.as_ref().is_some_and(|c| c.value);
            store_fields = crate::store::facts(s.r#type.value).fields(replicas, shards, cdn);
            &store_fields
        }
    };
    if !allowed.contains(&field) {
        let kind = match store {
            Some(s) => format!("a {} store", s.r#type.value),
            None => "a service".to_string(),
        };
        cx.push(
            Diagnostic::error(
                "B1107",
                span,
                format!("`{target}` is {kind}, which has no `{field}`"),
            )
            .help(missing_field_help(store, target, field, allowed)),
        );
        return;
    }
    if !svc.uses.iter().any(|u| u.value == target) {
        cx.push(
            Diagnostic::error(
                "B1106",
                span,
                format!("`{owner}` references `{target}` but does not use it"),
            )
            .help(format!("add `{target}` to `uses` of `{owner}`")),
        );
    }
}

/// The help of B1107 for a field the target lacks: `cdn_url` of a bucket needs `cdn: true`.
fn missing_field_help(
    store: Option<&Store>,
    target: &str,
    field: &str,
    allowed: &[&str],
) -> String {
    let fields = allowed.join(", ");
    match store.map(|s| s.r#type.value) {
        Some(StoreType::S3) if field == "cdn_url" => {
            format!("add `cdn: true` to store `{target}` to serve it through a CDN, or use one of: {fields}")
        }
        _ => format!("use one of: {fields}"),
    }
}
