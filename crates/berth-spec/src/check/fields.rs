//! Checks of fields a service and an environment's override of it share: job-only restrictions,
//! port references and published ports, env values, images, autoscaling, exposure, paths and
//! resource limits.

use super::cx::{unknown, Cx};
use super::refs;
use crate::diag::Diagnostic;
use crate::image::ImageRef;
use crate::names;
use crate::source::{Span, Spanned};
use crate::spec::{Autoscale, Expose, Map, Name, Resources, Service};

/// B2030–B2032: `field` (written at `span`) on a job.
pub fn job_field(
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

/// B1113: a port name that must be declared under `ports`.
pub fn port_ref_exists(cx: &mut Cx, name: &str, svc: &Service, p: &Name) {
    if !svc.ports.contains_key(p.value.as_str()) {
        let help = unknown(p, "ports", svc.ports.keys().map(|k| k.value.as_str()));
        cx.push(
            Diagnostic::error("B1113", p.span, format!("`{name}` has no port named `{p}`"))
                .help(help),
        );
    }
}

/// Published ports name declared ports (B1113) and are not 0 (B2004).
pub fn publish(cx: &mut Cx, name: &str, svc: &Service, publish: &Map<Spanned<u16>>) {
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

/// B1003 for variable names, and the references inside the values.
pub fn env(cx: &mut Cx, owner: &str, svc: &Service, env: &Map<Spanned<String>>) {
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
                    "use letters, digits, `_`, `.` and `-`, not starting with a digit (e.g. `{fixed}`)"
                )),
            );
        }
        refs::check_value(cx, owner, svc, value);
    }
}

/// B2002: an image should be pinned to a tag or digest: an error where a production-grade
/// environment (`production`, its name) runs it, a warning elsewhere.
pub fn pinned(cx: &mut Cx, image: &Spanned<ImageRef>, production: Option<&str>) {
    if image.span.is_none() || image.is_pinned() {
        return;
    }
    let written = image.value.to_string();
    let base = written.strip_suffix(":latest").unwrap_or(&written);
    let help = format!(
        "pin a tag or digest, e.g. `{base}:1.2.3`, so every environment runs the same image"
    );
    let d = match production {
        Some(env) => Diagnostic::error(
            "B2002",
            image.span,
            format!("image `{written}` is not pinned to a version, and production environment `{env}` runs it"),
        )
        .note("production environments (cloud ones, or `production: true`) run pinned images only"),
        None => Diagnostic::warning(
            "B2002",
            image.span,
            format!("image `{written}` is not pinned to a version"),
        ),
    };
    cx.push(d.help(help));
}

/// B2014: a path inside the container is absolute.
pub fn absolute(cx: &mut Cx, path: &Spanned<String>, what: &str) {
    if !path.span.is_none() && !path.starts_with('/') {
        cx.push(
            Diagnostic::error(
                "B2014",
                path.span,
                format!("{what} `{}` is not absolute", path.value),
            )
            .help(format!(
                "use an absolute path inside the container, e.g. `/{}`",
                path.value.trim_start_matches("./")
            )),
        );
    }
}

/// B2008–B2010: autoscaling bounds and targets.
pub fn autoscale(cx: &mut Cx, a: &Autoscale) {
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

/// B2015 (no ports), B1113 (the port), B2016 (host) and B2017 (path) of an exposure.
pub fn expose(cx: &mut Cx, name: &str, svc: &Service, e: &Expose) {
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

/// B2017: an HTTP path starts with `/`.
pub fn path(cx: &mut Cx, p: &Spanned<String>, what: &str) {
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

/// B2013: limits are not below the requests.
pub fn resources(cx: &mut Cx, r: &Resources) {
    let Some(l) = &r.limits else { return };
    if let (Some(req), Some(lim)) = (&r.cpu, &l.cpu) {
        if lim.millis() < req.millis() {
            below(cx, lim.span, lim.as_str(), req.as_str(), "cpu");
        }
    }
    if let (Some(req), Some(lim)) = (&r.memory, &l.memory) {
        if lim.bytes() < req.bytes() {
            below(cx, lim.span, lim.as_str(), req.as_str(), "memory");
        }
    }
}

fn below(cx: &mut Cx, span: Span, limit: &str, req: &str, what: &str) {
    cx.push(
        Diagnostic::error(
            "B2013",
            span,
            format!("{what} limit `{limit}` is below the request `{req}`"),
        )
        .help(format!(
            "raise the limit to at least `{req}`, or lower the request"
        )),
    );
}
