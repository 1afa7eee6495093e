//! The berth.yaml spec: loading with spans (values decoded once into typed durations,
//! quantities, image references and versions), checks with diagnostics, JSON Schema, and
//! resolution of one environment into a fully resolved model. The table of store facts
//! ([`store`]) and the `extends` chain ([`extends`]) each live in one module.

pub mod check;
pub mod decode;
pub mod diag;
pub mod duration;
pub mod emulator;
pub mod extends;
pub mod image;
pub mod load;
pub mod model;
pub mod names;
pub mod node;
pub mod port;
pub mod quantity;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod spec;
pub mod store;
pub mod template;
pub mod version;

pub use diag::{Diagnostic, Severity};
pub use duration::Duration;
pub use image::ImageRef;
pub use load::{load, Loaded};
pub use model::Model;
pub use port::{Port, Protocol};
pub use quantity::{Cpu, Memory};
pub use resolve::{resolve, ResolveError};
pub use source::{Source, Span, Spanned};
pub use spec::*;
pub use version::Version;

/// Load and check a spec: the spec (when its structure was readable) and every diagnostic,
/// sorted by position. The spec is only safe to resolve when no diagnostic is an error.
pub fn validate(source: &Source) -> Loaded {
    validate_with(source, &|_| true)
}

/// [`validate`], also checking that the project files a spec mounts exist (B2028): `exists`
/// answers for a path relative to berth.yaml.
pub fn validate_with(source: &Source, exists: &dyn Fn(&str) -> bool) -> Loaded {
    let mut loaded = load(source);
    if let Some(spec) = &loaded.spec {
        loaded.diagnostics.extend(check::check(spec));
        loaded
            .diagnostics
            .extend(check::missing_files(spec, exists));
    }
    loaded
        .diagnostics
        .sort_by(|a, b| (a.span.line, a.span.col, a.code).cmp(&(b.span.line, b.span.col, b.code)));
    loaded
}

/// [`validate`], then the spec only when no diagnostic is an error; otherwise every error
/// rendered with its source line (for tests, benches and tools that need a valid spec).
pub fn validate_strict(source: &Source) -> Result<Spec, String> {
    let loaded = validate(source);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(source))
        .collect();
    match loaded.spec {
        Some(spec) if errors.is_empty() => Ok(spec),
        _ if errors.is_empty() => Err(format!("{}: the spec could not be read", source.path)),
        _ => Err(errors.join("\n")),
    }
}
