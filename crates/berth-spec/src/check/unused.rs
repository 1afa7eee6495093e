//! Warnings for stores and secrets that nothing uses (B1301, B1302).

use super::cx::Cx;
use crate::diag::Diagnostic;
use crate::spec::{Realization, Realizations, Spec};
use crate::template::scan;
use std::collections::HashSet;

pub fn check_unused(cx: &mut Cx) {
    unused_stores(cx);
    unused_secrets(cx);
}

/// B1301: a store no service `uses`.
fn unused_stores(cx: &mut Cx) {
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
}

/// B1302: a secret no service is given or reads.
fn unused_secrets(cx: &mut Cx) {
    let spec = cx.spec;
    let used = used_secrets(spec);
    for name in spec.secrets.keys() {
        if !used.contains(name.value.as_str()) {
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

/// The secrets services are given, and those env values (`${secrets.NAME}`) and external store
/// URLs (`${secrets.NAME}` or `${secret:NAME}`) read.
fn used_secrets(spec: &Spec) -> HashSet<&str> {
    let mut used: HashSet<&str> = spec
        .services
        .values()
        .flat_map(|s| s.secrets.iter().chain(s.secret_files.values()))
        .chain(spec.stores.values().filter_map(|s| s.password.as_ref()))
        .map(|u| u.value.as_str())
        .collect();
    let overrides = spec.environments.values().flat_map(|e| e.services.values());
    let envs = (spec.services.values().map(|s| &s.env)).chain(overrides.map(|o| &o.env));
    for v in envs.flat_map(|env| env.values()) {
        for r in scan(v) {
            if let Some(("secrets", name)) = r.parts {
                used.insert(name);
            }
        }
    }
    let mut externals = String::new();
    for env in spec.environments.values() {
        if let Some(Realizations::PerStore(m)) = &env.stores {
            for r in m.values() {
                if let Realization::External(e) = r {
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
            used.insert(n);
        }
    }
    used
}
