//! Semantic checks over a decoded spec: names, references, cycles, ports, quantities, platforms.
//! (Values that do not parse — durations, quantities, versions — were already reported by the
//! decoder.)
//!
//! Every rule has a stable code documented in docs/diagnostics.md. Codes: B1xxx names and
//! references, B2xxx values, B3xxx environments and platforms, B4xxx deployments.

mod cx;
mod deployments;
mod envs;
mod fields;
mod graph;
mod refs;
mod secrets;
mod services;
mod stores;
mod unused;

use crate::diag::Diagnostic;
use crate::spec::Spec;
use cx::Cx;

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
    unused::check_unused(&mut cx);
    cx.finish()
}
