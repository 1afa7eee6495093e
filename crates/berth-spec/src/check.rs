//! Semantic checks over a decoded spec: names, references, cycles, ports, quantities, platforms.
//!
//! Every rule has a stable code documented in docs/diagnostics.md. Codes: B1xxx names and
//! references, B2xxx values, B3xxx environments and platforms, B4xxx deployments.

mod envs;
mod graph;
mod refs;
mod services;

use crate::diag::{unknown_help, Diagnostic};
use crate::names;
use crate::source::{Span, Spanned};
use crate::spec::{Spec, StoreType};
use std::collections::HashSet;

/// Every semantic problem of the spec (errors and warnings).
pub fn check(spec: &Spec) -> Vec<Diagnostic> {
    let mut cx = Cx {
        spec,
        out: Vec::new(),
        seen: HashSet::new(),
    };
    cx.label(&spec.name, "the stack name");
    services::check_services(&mut cx);
    graph::check_cycles(&mut cx);
    services::check_stores(&mut cx);
    services::check_secrets(&mut cx);
    envs::check_environments(&mut cx);
    envs::check_deployments(&mut cx);
    services::check_unused(&mut cx);
    cx.out
}

/// The checking context: the spec and the findings so far.
pub(crate) struct Cx<'a> {
    pub spec: &'a Spec,
    out: Vec<Diagnostic>,
    /// (code, span, message) already reported; environments that extend one another share
    /// spans, and a problem written once is reported once.
    seen: HashSet<(&'static str, Span, String)>,
}

impl Cx<'_> {
    /// Record a finding. Values with no place in the file were already reported by the decoder.
    pub fn push(&mut self, d: Diagnostic) {
        if d.span.is_none() {
            return;
        }
        if self.seen.insert((d.code, d.span, d.message.clone())) {
            self.out.push(d);
        }
    }

    /// B1001: an RFC 1123 label (stack, service, store, secret, environment, deployment names).
    pub fn label(&mut self, name: &Spanned<String>, what: &str) {
        if !names::is_rfc1123_label(name) {
            let why = label_problem(name);
            self.push(
                Diagnostic::error(
                    "B1001",
                    name.span,
                    format!("{what} `{name}` is not a valid name: {why}"),
                )
                .help(match suggest_label(name) {
                    Some(s) => format!("use lowercase letters, digits and `-`, e.g. `{s}`"),
                    None => "use 1-63 lowercase letters, digits and `-`, starting and ending with a letter or digit".into(),
                }),
            );
        }
    }

    pub fn is_service(&self, name: &str) -> bool {
        self.spec.services.contains_key(name)
    }

    pub fn is_store(&self, name: &str) -> bool {
        self.spec.stores.contains_key(name)
    }

    pub fn service_names(&self) -> impl Iterator<Item = &str> {
        self.spec.services.keys().map(|k| k.value.as_str())
    }

    pub fn store_names(&self) -> impl Iterator<Item = &str> {
        self.spec.stores.keys().map(|k| k.value.as_str())
    }

    pub fn secret_names(&self) -> impl Iterator<Item = &str> {
        self.spec.secrets.keys().map(|k| k.value.as_str())
    }

    pub fn env_names(&self) -> impl Iterator<Item = &str> {
        self.spec.environments.keys().map(|k| k.value.as_str())
    }
}

fn label_problem(s: &str) -> &'static str {
    if s.is_empty() {
        "it is empty"
    } else if s.len() > 63 {
        "it is longer than 63 characters"
    } else if s.bytes().any(|b| b.is_ascii_uppercase()) {
        "it contains uppercase letters"
    } else if s.starts_with('-') || s.ends_with('-') {
        "it starts or ends with `-`"
    } else {
        "it may only contain lowercase letters, digits and `-`"
    }
}

/// A valid label close to `s`, if one is obvious (`My_Api` → `my-api`).
fn suggest_label(s: &str) -> Option<String> {
    let mut out: String = s
        .chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            'a'..='z' | '0'..='9' | '-' => c,
            _ => '-',
        })
        .collect();
    out = out.trim_matches('-').to_string();
    out.truncate(63);
    let out = out.trim_end_matches('-').to_string();
    names::is_rfc1123_label(&out).then_some(out)
}

/// Help for an unknown name, with did-you-mean.
pub(crate) fn unknown<'a>(
    word: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    unknown_help(word, what, candidates)
}

/// Whether an image reference pins a version: a tag other than `latest`, or a digest.
pub(crate) fn image_is_pinned(image: &str) -> bool {
    if image.contains('@') {
        return true;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((name, tag)) => !name.is_empty() && !tag.is_empty() && tag != "latest",
        None => false,
    }
}

/// A duration like `10s`, `1m30s`, `500ms`, `2h`.
pub(crate) fn is_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "h", "m", "s"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// The standard client port of a store type.
pub(crate) fn standard_port(t: StoreType) -> u16 {
    match t {
        StoreType::Redis => 6379,
        StoreType::Postgres => 5432,
        StoreType::Mongodb => 27017,
        StoreType::Rabbitmq => 5672,
    }
}

/// `line:col` for notes that point at another place.
pub(crate) fn at(span: Span) -> String {
    format!("line {}, column {}", span.line, span.col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert!(image_is_pinned("nginx:1.27"));
        assert!(image_is_pinned("localhost:5000/app:1.0"));
        assert!(image_is_pinned("redis@sha256:abc"));
        assert!(!image_is_pinned("nginx"));
        assert!(!image_is_pinned("nginx:latest"));
        assert!(!image_is_pinned("localhost:5000/app"));
        assert!(!image_is_pinned(""));
    }

    #[test]
    fn durations() {
        for ok in ["10s", "1m30s", "500ms", "2h", "0s"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "10", "s", "10 s", "1.5s", "10sec"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn labels() {
        assert_eq!(suggest_label("My_Api").as_deref(), Some("my-api"));
        assert_eq!(suggest_label("___"), None);
    }
}
