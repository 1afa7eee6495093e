//! Semantic checks over a decoded spec: names, references, cycles, ports, quantities, platforms.

use crate::diag::Diagnostic;
use crate::spec::Spec;

/// Every semantic problem of the spec, in file order.
pub fn check(spec: &Spec) -> Vec<Diagnostic> {
    let _ = spec;
    Vec::new()
}
