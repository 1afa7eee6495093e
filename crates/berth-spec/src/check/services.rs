//! Checks of services, stores and secrets on their own (no environment involved).

use super::{at, image_is_pinned, is_duration, refs, unknown, Cx};
use crate::diag::Diagnostic;
use crate::names;
use crate::quantity;
use crate::source::{Span, Spanned};
use crate::spec::{
    Autoscale, Expose, Map, Name, Resources, Secret, Service, StoreType, WorkloadKind,
};
use std::collections::{HashMap, HashSet};

pub fn check_services(cx: &mut Cx) {
    let spec = cx.spec;
    for (name, svc) in &spec.services {
        cx.label(name, "service name");
        check_service(cx, name, svc);
    }
}

fn check_service(cx: &mut Cx, name: &Name, svc: &Service) {
    let job = svc.kind() == WorkloadKind::Job;
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
        pinned(cx, image);
    }

    // Ports: names, numbers, duplicates.
    let mut numbers: HashMap<u16, &Name> = HashMap::new();
    for (pname, port) in &svc.ports {
        port_name(cx, pname);
        if port.value == 0 {
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
    publish(cx, name, svc, &svc.publish);

    // Health.
    match &svc.health {
        Some(h) => {
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
                    port_ref_exists(cx, name, svc, p);
                }
            }
            if let Some(http) = &h.http {
                path(cx, &http.path, "health check path");
            }
            for d in [&h.interval, &h.timeout, &h.start_period].into_iter().flatten() {
                if !is_duration(d) {
                    cx.push(
                        Diagnostic::error("B2007", d.span, format!("`{}` is not a duration", d.value))
                            .help("write a duration like `10s`, `1m30s` or `500ms`"),
                    );
                }
            }
        }
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

    // Dependencies.
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
    for s in &svc.secrets {
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
    env(cx, name, svc, &svc.env);

    // Scaling and exposure.
    job_field(
        cx,
        name,
        job,
        svc.replicas.as_ref().map(|r| r.span),
        "replicas",
        "B2032",
    );
    job_field(
        cx,
        name,
        job,
        svc.autoscale.as_ref().map(|a| a.span),
        "autoscale",
        "B2031",
    );
    job_field(
        cx,
        name,
        job,
        svc.expose.as_ref().map(|e| e.span),
        "expose",
        "B2030",
    );
    if let Some(a) = &svc.autoscale {
        autoscale(cx, a);
    }
    if let Some(e) = &svc.expose {
        expose(cx, name, svc, e);
    }
    if let Some(r) = &svc.resources {
        resources(cx, r);
    }
    for (vname, vol) in &svc.volumes {
        cx.label(vname, "volume name");
        if !vol.path.span.is_none() && !vol.path.starts_with('/') {
            cx.push(
                Diagnostic::error(
                    "B2014",
                    vol.path.span,
                    format!("volume path `{}` is not absolute", vol.path.value),
                )
                .help(format!(
                    "mount at an absolute path, e.g. `/{}`",
                    vol.path.value.trim_start_matches("./")
                )),
            );
        }
        if let Some(size) = &vol.size {
            memory(cx, size, "volume size");
        }
    }
}

pub(super) fn job_field(
    cx: &mut Cx,
    name: &str,
    job: bool,
    span: Option<Span>,
    field: &str,
    code: &'static str,
) {
    if let (true, Some(span)) = (job, span) {
        let why = match field {
            "expose" => "a job runs once and serves no traffic",
            "replicas" => "a job runs exactly once",
            _ => "a job runs once and is not scaled",
        };
        cx.push(
            Diagnostic::error(code, span, format!("job `{name}` has `{field}`: {why}")).help(
                format!("remove `{field}`, or make `{name}` a service (drop `kind: job`)"),
            ),
        );
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

/// B1113: a port name that must be declared under `ports`.
fn port_ref_exists(cx: &mut Cx, name: &str, svc: &Service, p: &Name) {
    if !svc.ports.contains_key(p.value.as_str()) {
        let help = unknown(p, "ports", svc.ports.keys().map(|k| k.value.as_str()));
        cx.push(
            Diagnostic::error("B1113", p.span, format!("`{name}` has no port named `{p}`"))
                .help(help),
        );
    }
}

pub(super) fn publish(cx: &mut Cx, name: &str, svc: &Service, publish: &Map<Spanned<u16>>) {
    for (pname, host) in publish {
        port_ref_exists(cx, name, svc, pname);
        if host.value == 0 {
            cx.push(
                Diagnostic::error("B2004", host.span, format!("host port for `{pname}` is 0"))
                    .help("publish on a host port from 1 to 65535, or remove the entry"),
            );
        }
    }
}

pub(super) fn env(cx: &mut Cx, owner: &str, svc: &Service, env: &Map<Spanned<String>>) {
    for (key, value) in env {
        if !names::is_env_name(key) {
            let fixed: String = key
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            cx.push(
                Diagnostic::error(
                    "B1003",
                    key.span,
                    format!("`{key}` is not a valid environment variable name"),
                )
                .help(format!(
                    "use letters, digits and `_`, not starting with a digit (e.g. `{fixed}`)"
                )),
            );
        }
        refs::check_value(cx, owner, svc, value);
    }
}

pub(super) fn pinned(cx: &mut Cx, image: &Spanned<String>) {
    if !image.span.is_none() && !image_is_pinned(image) {
        let base = image.value.strip_suffix(":latest").unwrap_or(&image.value);
        cx.push(
            Diagnostic::error(
                "B2002",
                image.span,
                format!("image `{}` is not pinned to a version", image.value),
            )
            .help(format!("pin a tag or digest, e.g. `{base}:1.2.3`, so every environment runs the same image")),
        );
    }
}

pub(super) fn autoscale(cx: &mut Cx, a: &Autoscale) {
    if !a.min.span.is_none() && a.min.value < 1 {
        cx.push(
            Diagnostic::error("B2008", a.min.span, "autoscale `min` must be at least 1")
                .help("set `min: 1` or more; to stop a service, remove it from the deployment"),
        );
    }
    if !a.min.span.is_none() && !a.max.span.is_none() && a.min.value > a.max.value {
        cx.push(
            Diagnostic::error(
                "B2009",
                a.min.span,
                format!(
                    "autoscale `min` ({}) is greater than `max` ({})",
                    a.min.value, a.max.value
                ),
            )
            .help("make `min` less than or equal to `max`"),
        );
    }
    for (t, what) in [(&a.cpu, "cpu"), (&a.memory, "memory")] {
        if let Some(t) = t {
            if !(1..=100).contains(&t.value) {
                cx.push(
                    Diagnostic::error(
                        "B2010",
                        t.span,
                        format!("autoscale `{what}` target {}% is out of range", t.value),
                    )
                    .help("use a utilisation percentage from 1 to 100 (70 is a common choice)"),
                );
            }
        }
    }
}

pub(super) fn expose(cx: &mut Cx, name: &str, svc: &Service, e: &Expose) {
    if svc.ports.is_empty() {
        cx.push(
            Diagnostic::error(
                "B2015",
                e.span,
                format!("`{name}` is exposed but has no ports"),
            )
            .help(format!(
                "declare the port to expose under `ports` of `{name}`"
            )),
        );
    } else if let Some(p) = &e.port {
        port_ref_exists(cx, name, svc, p);
    }
    if let Some(host) = &e.host {
        host_name(cx, host);
    }
    if let Some(p) = &e.path {
        path(cx, p, "expose path");
    }
}

fn host_name(cx: &mut Cx, host: &Spanned<String>) {
    if !names::is_host_name(host) {
        cx.push(
            Diagnostic::error(
                "B2016",
                host.span,
                format!("`{}` is not a valid host name", host.value),
            )
            .help("use a lowercase DNS name like `api.example.com` (labels of letters, digits and `-`, up to 63 each; `*.` allowed in front)"),
        );
    }
}

pub(super) fn path(cx: &mut Cx, p: &Spanned<String>, what: &str) {
    if !p.span.is_none() && !p.starts_with('/') {
        cx.push(
            Diagnostic::error(
                "B2017",
                p.span,
                format!("{what} `{}` does not start with `/`", p.value),
            )
            .help(format!("write `/{}`", p.value)),
        );
    }
}

pub(super) fn resources(cx: &mut Cx, r: &Resources) {
    let cpu = r.cpu.as_ref().and_then(|c| cpu(cx, c));
    let mem = r.memory.as_ref().and_then(|m| memory(cx, m, "memory"));
    let Some(l) = &r.limits else { return };
    if let Some(lc) = &l.cpu {
        if let (Some(req), Some(lim)) = (cpu, self::cpu(cx, lc)) {
            if lim < req {
                below(cx, lc, r.cpu.as_ref(), "cpu");
            }
        }
    }
    if let Some(lm) = &l.memory {
        if let (Some(req), Some(lim)) = (mem, memory(cx, lm, "memory limit")) {
            if lim < req {
                below(cx, lm, r.memory.as_ref(), "memory");
            }
        }
    }
}

fn below(cx: &mut Cx, limit: &Spanned<String>, req: Option<&Spanned<String>>, what: &str) {
    let req = req.map(|r| r.value.as_str()).unwrap_or_default();
    cx.push(
        Diagnostic::error(
            "B2013",
            limit.span,
            format!(
                "{what} limit `{}` is below the request `{req}`",
                limit.value
            ),
        )
        .help(format!(
            "raise the limit to at least `{req}`, or lower the request"
        )),
    );
}

fn cpu(cx: &mut Cx, q: &Spanned<String>) -> Option<u64> {
    let v = quantity::cpu_millis(q);
    if v.is_none() {
        cx.push(
            Diagnostic::error(
                "B2011",
                q.span,
                format!("`{}` is not a valid CPU quantity", q.value),
            )
            .help("write cores as `0.5` or `2`, or millicores as `250m` (no finer than 1m)"),
        );
    }
    v
}

/// A memory-like quantity (memory, storage, volume size); `256m` (millibytes) is refused since
/// it is always a typo for `256Mi`.
pub(super) fn memory(cx: &mut Cx, q: &Spanned<String>, what: &str) -> Option<u64> {
    if q.span.is_none() {
        return None;
    }
    let text = q.value.trim();
    let v = if text.ends_with('m') {
        None
    } else {
        quantity::memory_bytes(text)
    };
    if v.is_none() {
        let digits: String = text
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let unit = text[digits.len()..].trim().to_ascii_lowercase();
        let fix = match unit.as_str() {
            "m" | "mb" | "mib" => Some("Mi"),
            "g" | "gb" | "gib" => Some("Gi"),
            "k" | "kb" | "kib" => Some("Ki"),
            "t" | "tb" | "tib" => Some("Ti"),
            _ => None,
        };
        let help = match fix {
            Some(u) if !digits.is_empty() => format!("did you mean `{digits}{u}`?"),
            _ => "write bytes with a suffix: `256Mi`, `1Gi`, `512M`, or plain bytes".into(),
        };
        cx.push(
            Diagnostic::error(
                "B2012",
                q.span,
                format!("`{}` is not a valid {what} quantity", q.value),
            )
            .help(help),
        );
    }
    v
}

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
        let v = &store.version;
        if !v.span.is_none() && !is_version(v) {
            cx.push(
                Diagnostic::error(
                    "B2018",
                    v.span,
                    format!("`{}` is not a valid store version", v.value),
                )
                .help("write `major`, `major.minor` or `major.minor.patch` in quotes, e.g. `\"16\"` or `\"7.2\"`"),
            );
        }
        if let Some(s) = &store.storage {
            memory(cx, s, "storage");
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
            if typed && !matches!(t, StoreType::Postgres | StoreType::Mongodb) {
                cx.push(
                    Diagnostic::error(
                        "B2021",
                        db.span,
                        format!("`database` is only for postgres and mongodb, but `{name}` is {t}"),
                    )
                    .help("remove `database`"),
                );
            }
        }
        if let Some(image) = &store.image {
            pinned(cx, image);
        }
        if let Some(r) = &store.resources {
            resources(cx, r);
        }
    }
}

/// `^\d+(\.\d+){0,2}$`
fn is_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() <= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The sources a secret declares.
pub(super) fn sources(s: &Secret) -> Vec<(&'static str, Span)> {
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
pub(super) fn secret_sources(cx: &mut Cx, name: &str, s: &Secret) -> usize {
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
        let missing: Vec<&str> = spec
            .environments
            .keys()
            .filter(|e| {
                !super::envs::chain(spec, e)
                    .iter()
                    .any(|(_, env)| env.secrets.contains_key(name.value.as_str()))
            })
            .map(|e| e.value.as_str())
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

pub fn check_unused(cx: &mut Cx) {
    let spec = cx.spec;
    let used: HashSet<&str> = spec
        .services
        .values()
        .flat_map(|s| s.uses.iter().map(|u| u.value.as_str()))
        .collect();
    for name in spec.stores.keys() {
        if !used.contains(name.value.as_str()) {
            cx.push(
                Diagnostic::warning(
                    "B1301",
                    name.span,
                    format!("store `{name}` is not used by any service"),
                )
                .help(format!(
                    "add `{name}` to the `uses` of the services that need it, or remove the store"
                )),
            );
        }
    }
    let mut used_secrets: HashSet<&str> = spec
        .services
        .values()
        .flat_map(|s| s.secrets.iter().map(|u| u.value.as_str()))
        .collect();
    // Env values and external store URLs may read secrets as `${secrets.NAME}`.
    for svc in spec.services.values() {
        for v in svc.env.values() {
            for r in refs::scan(v) {
                if let Some(("secrets", name)) = r.parts {
                    used_secrets.insert(name);
                }
            }
        }
    }
    for env in spec.environments.values() {
        for o in env.services.values() {
            for v in o.env.values() {
                for r in refs::scan(v) {
                    if let Some(("secrets", name)) = r.parts {
                        used_secrets.insert(name);
                    }
                }
            }
        }
    }
    let mut externals = String::new();
    for env in spec.environments.values() {
        if let Some(crate::spec::Realizations::PerStore(m)) = &env.stores {
            for r in m.values() {
                if let crate::spec::Realization::External(e) = r {
                    externals.push_str(&e.external.value);
                    externals.push('\n');
                }
            }
        }
    }
    for name in spec.secrets.keys() {
        let n = name.value.as_str();
        if !externals.is_empty()
            && (externals.contains(&format!("${{secret:{n}}}"))
                || externals.contains(&format!("${{secrets.{n}}}")))
        {
            used_secrets.insert(n);
        }
    }
    for name in spec.secrets.keys() {
        if !used_secrets.contains(name.value.as_str()) {
            cx.push(
                Diagnostic::warning(
                    "B1302",
                    name.span,
                    format!("secret `{name}` is not used by any service"),
                )
                .help(format!(
                    "add `{name}` to the `secrets` of the services that need it, or remove it"
                )),
            );
        }
    }
}
