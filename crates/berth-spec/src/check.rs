//! Semantic checks over a decoded spec: names, references, cycles, ports, quantities, platforms.
//! (Values that do not parse — durations, quantities, versions — were already reported by the
//! decoder.)
//!
//! Every rule has a stable code documented in docs/diagnostics.md. Codes: B1xxx names and
//! references, B2xxx values, B3xxx environments and platforms, B4xxx deployments.

mod cx;
mod delivery;
mod deployments;
mod envs;
mod fields;
mod graph;
mod observe;
mod refs;
mod secrets;
mod services;
mod stores;
mod unused;

use crate::diag::Diagnostic;
use crate::spec::Spec;
use cx::Cx;

/// B2028: every `files` source exists, as `exists` (a path relative to berth.yaml) says; B2042:
/// every `dev.sync` source. The caller owns the file system; this stays pure.
pub fn missing_files(spec: &Spec, exists: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    out.extend(missing_sync_sources(spec, exists));
    let services = spec.services.iter().map(|(n, s)| (n, &s.files));
    let stores = spec.stores.iter().map(|(n, s)| (n, &s.files));
    for (name, files) in services.chain(stores) {
        for source in files.values() {
            let relative = !source.starts_with('/') && !source.is_empty();
            if relative && !source.span.is_none() && !exists(&source.value) {
                out.push(
                    Diagnostic::error(
                        "B2028",
                        source.span,
                        format!("`{}` (a file of `{name}`) does not exist", source.value),
                    )
                    .help("create it next to berth.yaml, or fix the path (relative to berth.yaml)"),
                );
            }
        }
    }
    out
}

/// B2042: every `dev.sync` source inside the project exists.
fn missing_sync_sources(spec: &Spec, exists: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, svc) in &spec.services {
        let sync = svc.dev.iter().flat_map(|d| d.sync.values());
        for source in sync.filter(|s| services::inside_project(s)) {
            if !source.span.is_none() && !exists(&source.value) {
                out.push(
                    Diagnostic::error(
                        "B2042",
                        source.span,
                        format!(
                            "`{}` (synced into `{name}` by `dev.sync`) does not exist",
                            source.value
                        ),
                    )
                    .help("create it next to berth.yaml, or fix the path (relative to berth.yaml)"),
                );
            }
        }
    }
    out
}

/// Every semantic problem of the spec (errors and warnings).
pub fn check(spec: &Spec) -> Vec<Diagnostic> {
    let mut cx = Cx::new(spec);
    cx.label(&spec.name, "the stack name");
    services::check_services(&mut cx);
    graph::check_cycles(&mut cx);
    stores::check_stores(&mut cx);
    secrets::check_secrets(&mut cx);
    envs::check_environments(&mut cx);
    deployments::check_deployments(&mut cx);
    delivery::check_delivery(&mut cx);
    observe::check_observability(&mut cx);
    unused::check_unused(&mut cx);
    cx.finish()
}

#[cfg(test)]
mod tests {
    use crate::{validate_with, Source};

    #[test]
    fn missing_project_files_point_at_their_source() {
        let text = "name: demo\nservices:\n  web:\n    image: nginx:1.27\n    health: { exec: [true] }\n    files:\n      /etc/nginx/conf.d/default.conf: nginx.conf\n      /etc/nginx/html: ./html\n";
        let source = Source::new("berth.yaml", text);
        let loaded = validate_with(&source, &|p| p == "nginx.conf");
        let missing: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == "B2028")
            .map(|d| (d.span.line, d.span.col, d.message.as_str()))
            .collect();
        assert_eq!(
            missing,
            [(8, 24, "`./html` (a file of `web`) does not exist")]
        );
        assert!(validate_with(&source, &|_| true).diagnostics.is_empty());
    }

    #[test]
    fn missing_sync_sources_point_at_their_path() {
        let text = "name: demo\nservices:\n  web:\n    build: { context: . }\n    health: { exec: [true] }\n    dev:\n      sync: { /app/src: src, /app/static: ./static }\n";
        let source = Source::new("berth.yaml", text);
        let loaded = validate_with(&source, &|p| p == "src");
        let missing: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.code, d.span.line, d.span.col, d.message.as_str()))
            .collect();
        assert_eq!(
            missing,
            [(
                "B2042",
                7,
                43,
                "`./static` (synced into `web` by `dev.sync`) does not exist"
            )]
        );
        assert!(validate_with(&source, &|_| true).diagnostics.is_empty());
    }

    #[test]
    fn store_ports_volumes_files_and_password() {
        let text = "name: demo
services:
  api:
    image: nginx:1.27
    health: { exec: [true] }
    uses: [mq, db]
stores:
  mq:
    type: rabbitmq
    version: \"3.13\"
    publish: 0
    publish_ports: { management: 15672, amqps: 5671 }
  db:
    type: postgres
    version: \"16\"
    password: db-pass
    files: { /docker-entrypoint-initdb.d: ./initdb, /etc/x.conf: /etc/host.conf }
    volumes:
      extra: { path: relative/path }
";
        let source = Source::new("berth.yaml", text);
        let loaded = validate_with(&source, &|p| p != "./initdb");
        let found: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.code, d.span.line))
            .collect();
        // An unknown further port, an undeclared password secret, a host path, a missing
        // project folder and a relative volume path; `management` and `./initdb` are fine.
        for want in [
            ("B2187", 12),
            ("B1105", 16),
            ("B2027", 17),
            ("B2028", 17),
            ("B2014", 19),
        ] {
            assert!(found.contains(&want), "{want:?} in {found:?}");
        }
        assert_eq!(found.iter().filter(|(c, _)| *c == "B2187").count(), 1);
    }
}
