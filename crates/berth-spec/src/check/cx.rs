//! The checking context: the spec, the `extends` chain of every environment (walked once), and
//! the findings so far; with the helpers every check uses (names, did-you-mean, places).

use crate::diag::{unknown_help, Diagnostic};
use crate::extends::Chain;
use crate::names;
use crate::source::{Span, Spanned};
use crate::spec::Spec;
use std::collections::HashSet;

/// The checking context: the spec, the chains of its environments and the findings so far.
pub(crate) struct Cx<'a> {
    pub spec: &'a Spec,
    /// The chain of each environment, in declaration order.
    pub chains: Vec<Chain<'a>>,
    out: Vec<Diagnostic>,
    /// (code, span, message) already reported; environments that extend one another share
    /// spans, and a problem written once is reported once.
    seen: HashSet<(&'static str, Span, String)>,
}

impl<'a> Cx<'a> {
    pub fn new(spec: &'a Spec) -> Self {
        Cx {
            spec,
            chains: spec
                .environments
                .keys()
                .filter_map(|name| Chain::of(spec, name))
                .collect(),
            out: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Every finding, in the order found.
    pub fn finish(self) -> Vec<Diagnostic> {
        self.out
    }

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

    /// The first production-grade environment (cloud, or `production: true`), if any.
    pub fn production_env(&self) -> Option<&'a str> {
        self.chains
            .iter()
            .find(|c| c.production())
            .map(|c| c.name().value.as_str())
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
pub fn unknown<'a>(
    word: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    unknown_help(word, what, candidates)
}

/// `line:col` for notes that point at another place.
pub fn at(span: Span) -> String {
    format!("line {}, column {}", span.line, span.col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(suggest_label("My_Api").as_deref(), Some("my-api"));
        assert_eq!(suggest_label("___"), None);
    }
}
