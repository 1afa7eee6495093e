//! The berth.yaml spec: loading with spans, checks with diagnostics, JSON Schema, and
//! resolution of one environment into a fully resolved model.

pub mod check;
pub mod decode;
pub mod diag;
pub mod load;
pub mod names;
pub mod node;
pub mod quantity;
pub mod source;
pub mod spec;

pub use diag::{Diagnostic, Severity};
pub use load::{load, Loaded};
pub use source::{Source, Span, Spanned};
pub use spec::*;

/// Load and check a spec: the spec (when its structure was readable) and every diagnostic,
/// sorted by position. The spec is only safe to resolve when no diagnostic is an error.
pub fn validate(source: &Source) -> Loaded {
    let mut loaded = load(source);
    if let Some(spec) = &loaded.spec {
        loaded.diagnostics.extend(check::check(spec));
    }
    loaded
        .diagnostics
        .sort_by(|a, b| (a.span.line, a.span.col, a.code).cmp(&(b.span.line, b.span.col, b.code)));
    loaded
}
pub mod model;
pub mod resolve;
pub mod template;
pub use model::Model;
pub use resolve::{resolve, ResolveError};
pub mod schema;
