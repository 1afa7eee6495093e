//! Checks of each store on its own: its name, and the fields that depend on its type.

use super::cx::{at, Cx};
use super::fields;
use crate::diag::Diagnostic;
use crate::spec::StoreType;

pub fn check_stores(cx: &mut Cx) {
    let spec = cx.spec;
    for (name, store) in &spec.stores {
        cx.label(name, "store name");
        if let Some((svc, _)) = spec.services.get_key_value(name.value.as_str()) {
            cx.push(
                Diagnostic::error(
                    "B1004",
                    name.span,
                    format!("`{name}` is both a service and a store"),
                )
                .note(format!("the service is declared at {}", at(svc.span)))
                .help("rename one of them; `uses`, references and host names need one meaning"),
            );
        }
        if let Some(r) = &store.replicas {
            if r.value < 1 {
                cx.push(
                    Diagnostic::error("B2019", r.span, "store `replicas` must be at least 1")
                        .help("use `replicas: 1` for a single instance"),
                );
            }
        }
        let t = store.r#type.value;
        let typed = !store.r#type.span.is_none();
        let versionless = typed && crate::store::facts(t).default_image.is_some();
        if store.version.is_none() && store.image.is_none() && !versionless {
            cx.push(
                Diagnostic::error(
                    "B2025",
                    name.span,
                    format!("store `{name}` has neither `version` nor `image`"),
                )
                .help(
                    "add `version: \"16\"`, or the exact image, e.g. `image: postgres:16-alpine`",
                ),
            );
        }
        if let Some(v) = &store.volume {
            if !crate::names::is_volume_name(&v.value) {
                cx.push(
                    Diagnostic::error("B2026", v.span, format!("`{v}` is not a valid volume name"))
                        .help("use letters, digits, `_`, `.` and `-`, starting with a letter or digit"),
                );
            }
        }
        if let Some(a) = store.args.first() {
            if typed && t == StoreType::Rabbitmq {
                cx.push(
                    Diagnostic::error(
                        "B2200",
                        a.span,
                        format!("`args` is for redis, postgres and mongodb, but `{name}` is rabbitmq"),
                    )
                    .help("remove `args`; RabbitMQ reads its settings from its configuration, not its command line"),
                );
            }
        }
        if let Some(rs) = &store.replica_set {
            if typed && t != StoreType::Mongodb {
                cx.push(
                    Diagnostic::error(
                        "B2020",
                        rs.span,
                        format!("`replica_set` is only for mongodb, but `{name}` is {t}"),
                    )
                    .help("remove `replica_set`"),
                );
            }
        }
        if let Some(db) = &store.database {
            if typed && !crate::store::facts(t).has_db {
                cx.push(
                    Diagnostic::error(
                        "B2021",
                        db.span,
                        format!("`database` is only for postgres, mysql and mongodb, but `{name}` is {t}"),
                    )
                    .help("remove `database`"),
                );
            }
        }
        shards(cx, name, store);
        cdn(cx, name, store);
        subscribers(cx, name, store);
        publish_ports(cx, name, store);
        if let Some(p) = &store.password {
            super::services::declared_secret(cx, name, p);
        }
        super::services::volumes(cx, &store.volumes);
        super::services::files(cx, &store.files);
        if let Some(image) = &store.image {
            let production = cx.production_env();
            fields::pinned(cx, image, production);
        }
        if let Some(r) = &store.resources {
            fields::resources(cx, r);
        }
    }
}

/// B2187: `publish_ports` names the further ports of the store's type.
fn publish_ports(cx: &mut Cx, name: &crate::spec::Name, store: &crate::spec::Store) {
    let t = store.r#type.value;
    let image = store.image.as_ref().map(|i| &i.value);
    let extra = crate::emulator::for_store(t, image)
        .map_or(crate::store::facts(t).extra_ports, |e| e.extra_ports);
    for port in store.publish_ports.keys() {
        if !extra.iter().any(|(n, _)| *n == port.value) {
            let names: Vec<&str> = extra.iter().map(|(n, _)| *n).collect();
            cx.push(
                Diagnostic::error(
                    "B2187",
                    port.span,
                    format!("store `{name}` ({t}) has no further port `{port}`"),
                )
                .help(match names.is_empty() {
                    true => {
                        "remove `publish_ports`; use `publish` for the store's port".to_string()
                    }
                    false => format!("name one of: {}", names.join(", ")),
                }),
            );
        }
    }
}

/// ElastiCache runs 1 to 500 shards (node groups) in a replication group.
pub const MAX_SHARDS: u32 = 500;

/// A key (`code`, `key` at `span`) that only stores of type `only` take: false, with the error,
/// on a store of another type (a type that did not parse says nothing more).
fn only_on(
    cx: &mut Cx,
    (name, store): (&crate::spec::Name, &crate::spec::Store),
    (code, key, span): (&'static str, &str, crate::source::Span),
    only: StoreType,
    help: &str,
) -> bool {
    let t = store.r#type.value;
    if store.r#type.span.is_none() || t == only {
        return true;
    }
    cx.push(
        Diagnostic::error(
            code,
            span,
            format!("`{key}` is only for {only} stores, but `{name}` is {t}"),
        )
        .help(help),
    );
    false
}

/// B2102: only a redis store has `shards`; B2103: between 1 and 500 of them.
fn shards(cx: &mut Cx, name: &crate::spec::Name, store: &crate::spec::Store) {
    let Some(shards) = &store.shards else {
        return;
    };
    let help = "remove `shards`; use `replicas` for more members of one store";
    let key = ("B2102", "shards", shards.span);
    if !only_on(cx, (name, store), key, StoreType::Redis, help) {
        return;
    }
    if !(1..=MAX_SHARDS).contains(&shards.value) {
        cx.push(
            Diagnostic::error(
                "B2103",
                shards.span,
                format!(
                    "store `shards` must be between 1 and {MAX_SHARDS}, not {}",
                    shards.value
                ),
            )
            .help("use `shards: 1` (no cluster mode), or e.g. `shards: 3` for a sharded redis cluster"),
        );
    }
}

/// B2104: only an s3 store is served through a CDN.
fn cdn(cx: &mut Cx, name: &crate::spec::Name, store: &crate::spec::Store) {
    if let Some(cdn) = &store.cdn {
        let help = "remove `cdn`; a CDN serves a bucket's objects (`type: s3`)";
        only_on(
            cx,
            (name, store),
            ("B2104", "cdn", cdn.span),
            StoreType::S3,
            help,
        );
    }
}

/// B2100: only an sns store has `subscribers`; B2101: each one is an sqs store of the spec.
fn subscribers(cx: &mut Cx, name: &crate::spec::Name, store: &crate::spec::Store) {
    for sub in &store.subscribers {
        let help = "remove `subscribers`, or subscribe the queue to an sns store";
        let key = ("B2100", "subscribers", sub.span);
        if !only_on(cx, (name, store), key, StoreType::Sns, help) {
            return;
        }
        let target = cx
            .spec
            .stores
            .get(sub.value.as_str())
            .map(|s| s.r#type.value);
        if target != Some(StoreType::Sqs) {
            let what = match target {
                Some(other) => format!("`{sub}` is a {other} store"),
                None => format!("`{sub}` is not a store of this spec"),
            };
            cx.push(
                Diagnostic::error(
                    "B2101",
                    sub.span,
                    format!("topic `{name}` cannot deliver to `{sub}`: {what}"),
                )
                .help("list sqs stores only, e.g. `stores: {jobs: {type: sqs}}` and `subscribers: [jobs]`"),
            );
        }
    }
}
