//! Checks of each service on its own: build or image, ports, health, dependencies, secrets,
//! scaling, exposure and volumes.

use super::cx::{at, unknown, Cx};
use super::fields;
use crate::diag::Diagnostic;
use crate::names;
use crate::port::Port;
use crate::spec::{Health, Name, Service, WorkloadKind};
use std::collections::HashMap;

pub fn check_services(cx: &mut Cx) {
    let spec = cx.spec;
    for (name, svc) in &spec.services {
        cx.label(name, "service name");
        check_service(cx, name, svc);
    }
}

fn check_service(cx: &mut Cx, name: &Name, svc: &Service) {
    let job = svc.kind() == WorkloadKind::Job;
    build_or_image(cx, name, svc);
    ports(cx, name, svc);
    fields::publish(cx, name, svc, &svc.publish);
    match &svc.health {
        Some(h) => health(cx, name, svc, h),
        None if !job => cx.push(
            Diagnostic::warning(
                "B2040",
                name.span,
                format!("service `{name}` has no health check"),
            )
            .help("add `health: { http: { path: /health } }`, `health: { tcp: <port> }` or `health: { exec: [...] }`"),
        ),
        None => {}
    }
    uses(cx, name, svc);
    before(cx, name, svc, job);
    secrets(cx, name, svc);
    fields::env(cx, name, svc, &svc.env);
    scaling(cx, name, svc, job);
    volumes(cx, &svc.volumes);
    mounts(cx, name, svc);
    dev(cx, svc);
}

/// B2001: exactly one of `build` and `image`; B2002: the image is pinned.
fn build_or_image(cx: &mut Cx, name: &Name, svc: &Service) {
    match (&svc.build, &svc.image) {
        (Some(_), Some(image)) => cx.push(
            Diagnostic::error(
                "B2001",
                image.span,
                format!("service `{name}` has both `build` and `image`"),
            )
            .help("keep `build` to build from source, or `image` to run an existing image"),
        ),
        (None, None) => cx.push(
            Diagnostic::error(
                "B2001",
                name.span,
                format!("service `{name}` has neither `build` nor `image`"),
            )
            .help("add `build: { context: . }` or `image: repo/name:1.2.3`"),
        ),
        _ => {}
    }
    if let Some(image) = &svc.image {
        let production = cx.production_env();
        fields::pinned(cx, image, production);
    }
}

/// Port names (B1002), numbers (B2004) and duplicates (B2003).
fn ports(cx: &mut Cx, name: &Name, svc: &Service) {
    let mut numbers: HashMap<Port, &Name> = HashMap::new();
    for (pname, port) in &svc.ports {
        port_name(cx, pname);
        if port.number == 0 {
            cx.push(
                Diagnostic::error("B2004", port.span, format!("port `{pname}` is 0"))
                    .help("use the port the process listens on, from 1 to 65535"),
            );
            continue;
        }
        if let Some(first) = numbers.get(&port.value) {
            cx.push(
                Diagnostic::error(
                    "B2003",
                    port.span,
                    format!("port {} is declared twice in `{name}`", port.value),
                )
                .note(format!("first declared as `{first}` at {}", at(first.span)))
                .help("give each named port its own number, or remove the duplicate"),
            );
        } else {
            numbers.insert(port.value, pname);
        }
    }
}

/// B1002: IANA service name.
fn port_name(cx: &mut Cx, pname: &Name) {
    if !names::is_port_name(pname) {
        cx.push(
            Diagnostic::error("B1002", pname.span, format!("`{pname}` is not a valid port name"))
                .help("use at most 15 lowercase letters, digits and single `-`, with at least one letter (e.g. `http`, `grpc`, `metrics`)"),
        );
    }
}

/// B2005 (exactly one kind), B2006 (a network check needs ports), the port it names, the path.
fn health(cx: &mut Cx, name: &Name, svc: &Service, h: &Health) {
    let count = [h.http.is_some(), h.tcp.is_some(), h.exec.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if count != 1 {
        cx.push(
            Diagnostic::error(
                "B2005",
                h.span,
                format!(
                    "the health check of `{name}` must have exactly one of http, tcp, exec (found {count})"
                ),
            )
            .help("keep one of `http: { path: /health }`, `tcp: <port>` or `exec: [cmd]`"),
        );
    }
    let port_ref = h
        .http
        .as_ref()
        .map(|x| (x.port.as_ref(), x.span))
        .or(h.tcp.as_ref().map(|t| (Some(t), t.span)));
    if let Some((port, span)) = port_ref {
        if svc.ports.is_empty() {
            cx.push(
                Diagnostic::error(
                    "B2006",
                    span,
                    format!("`{name}` has a network health check but no ports"),
                )
                .help(format!(
                    "declare the port under `ports` of `{name}` (e.g. `ports: {{ http: 8080 }}`), or use `exec`"
                )),
            );
        } else if let Some(p) = port {
            fields::port_ref_exists(cx, name, svc, p);
        }
    }
    if let Some(http) = &h.http {
        fields::path(cx, &http.path, "health check path");
    }
}

/// B1102 (itself) and B1101 (unknown) in `uses`.
fn uses(cx: &mut Cx, name: &Name, svc: &Service) {
    for u in &svc.uses {
        if u.value == name.value {
            cx.push(
                Diagnostic::error("B1102", u.span, format!("`{name}` uses itself"))
                    .help(format!("remove `{name}` from its own `uses`")),
            );
        } else if !cx.is_service(u) && !cx.is_store(u) {
            let help = unknown(
                u,
                "stores or services",
                cx.store_names().chain(cx.service_names()),
            );
            cx.push(
                Diagnostic::error("B1101", u.span, format!("`{name}` uses unknown `{u}`"))
                    .help(help),
            );
        }
    }
}

/// B1104 (`before` on a service), B1102 (itself) and B1103 (a store or unknown) in `before`.
fn before(cx: &mut Cx, name: &Name, svc: &Service, job: bool) {
    if !job {
        if let Some(first) = svc.before.first() {
            cx.push(
                Diagnostic::error(
                    "B1104",
                    first.span,
                    format!("`before` is only for jobs, but `{name}` is a service"),
                )
                .help(format!(
                    "add `kind: job` to `{name}`, or express the order with `uses` on the later service"
                )),
            );
        }
    }
    for b in &svc.before {
        if b.value == name.value {
            cx.push(
                Diagnostic::error("B1102", b.span, format!("`{name}` runs before itself"))
                    .help(format!("remove `{name}` from its own `before`")),
            );
        } else if cx.is_store(b) {
            cx.push(
                Diagnostic::error(
                    "B1103",
                    b.span,
                    format!("`before` names store `{b}`; it may only name services"),
                )
                .help(format!(
                    "remove `{b}`; to run after the store, add it to `uses`"
                )),
            );
        } else if !cx.is_service(b) {
            let help = unknown(b, "services", cx.service_names());
            cx.push(
                Diagnostic::error(
                    "B1103",
                    b.span,
                    format!("`before` names unknown service `{b}`"),
                )
                .help(help),
            );
        }
    }
}

/// B1105: the secrets a service is given are declared.
fn secrets(cx: &mut Cx, name: &Name, svc: &Service) {
    for s in &svc.secrets {
        declared_secret(cx, name, s);
    }
}

pub(super) fn declared_secret(cx: &mut Cx, name: &Name, s: &Name) {
    if !cx.spec.secrets.contains_key(s.value.as_str()) {
        let help = unknown(s, "secrets", cx.secret_names());
        cx.push(
            Diagnostic::error(
                "B1105",
                s.span,
                format!("`{name}` uses unknown secret `{s}`"),
            )
            .help(help),
        );
    }
}

/// Replicas, autoscaling and exposure (none of them on a job), and resources.
fn scaling(cx: &mut Cx, name: &Name, svc: &Service, job: bool) {
    let replicas = svc.replicas.as_ref().map(|r| r.span);
    fields::job_field(cx, name, job, replicas, "replicas", "B2032");
    let autoscale = svc.autoscale.as_ref().map(|a| a.span);
    fields::job_field(cx, name, job, autoscale, "autoscale", "B2031");
    let expose = svc.expose.as_ref().map(|e| e.span);
    fields::job_field(cx, name, job, expose, "expose", "B2030");
    if let Some(a) = &svc.autoscale {
        fields::autoscale(cx, a);
    }
    if let Some(e) = &svc.expose {
        fields::expose(cx, name, svc, e);
    }
    if let Some(r) = &svc.resources {
        fields::resources(cx, r);
    }
}

/// Volume names (B1001), absolute mount paths (B2014), exact names (B2026).
pub(super) fn volumes(cx: &mut Cx, volumes: &crate::spec::Map<crate::spec::Volume>) {
    for (vname, vol) in volumes {
        cx.label(vname, "volume name");
        fields::absolute(cx, &vol.path, "volume path");
        match &vol.name {
            Some(n) if !names::is_volume_name(n) => cx.push(
                Diagnostic::error("B2026", n.span, format!("`{n}` is not a valid volume name"))
                    .help("use letters, digits, `_`, `.` and `-`, starting with a letter or digit"),
            ),
            None if vol.external.as_ref().is_some_and(|e| e.value) => cx.push(
                Diagnostic::error(
                    "B2026",
                    vol.span,
                    format!("external volume `{vname}` has no `name`"),
                )
                .help("add `name:` with the name of the existing volume"),
            ),
            _ => {}
        }
    }
}

/// Project files (B2014, B2027), secret files (B2014, B1105) and writable paths (B2014).
fn mounts(cx: &mut Cx, name: &Name, svc: &Service) {
    files(cx, &svc.files);
    for (file, secret) in &svc.secret_files {
        if file.contains('/') {
            fields::absolute(cx, file, "secret file path");
        }
        declared_secret(cx, name, secret);
    }
    for path in &svc.writable {
        fields::absolute(cx, path, "writable path");
    }
}

/// Project files (B2014, B2027) of a service or store.
pub(super) fn files(cx: &mut Cx, files: &crate::spec::Map<crate::Spanned<String>>) {
    for (path, source) in files {
        fields::absolute(cx, path, "file mount path");
        if source.starts_with('/') || source.is_empty() {
            cx.push(
                Diagnostic::error(
                    "B2027",
                    source.span,
                    format!(
                        "file `{}` is not a path relative to berth.yaml",
                        source.value
                    ),
                )
                .help("name the file or folder relative to berth.yaml, e.g. `config/nginx.conf`"),
            );
        }
    }
}

/// `dev`: its project paths (`watch`, `sync` sources) stay inside the project (B2041), sync
/// targets are absolute (B2014).
fn dev(cx: &mut Cx, svc: &Service) {
    let Some(dev) = &svc.dev else { return };
    let paths = dev
        .watch
        .iter()
        .map(|p| (p, "watch"))
        .chain(dev.sync.values().map(|p| (p, "sync")));
    for (path, key) in paths {
        if !path.span.is_none() && !inside_project(path) {
            cx.push(
                Diagnostic::error(
                    "B2041",
                    path.span,
                    format!(
                        "`dev.{key}` path `{}` is not a path inside the project",
                        path.value
                    ),
                )
                .help("write it relative to berth.yaml, without `..`, e.g. `src`"),
            );
        }
    }
    for target in dev.sync.keys() {
        fields::absolute(cx, target, "`dev.sync` target");
    }
}

/// Relative to berth.yaml and not climbing out of its directory.
pub(crate) fn inside_project(path: &str) -> bool {
    !path.trim().is_empty() && !path.starts_with('/') && !path.split('/').any(|part| part == "..")
}
