//! The berth.yaml spec: loading with spans, checks with diagnostics, JSON Schema, and
//! resolution of one environment into a fully resolved model.

pub mod decode;
pub mod diag;
pub mod load;
pub mod node;
pub mod source;
pub mod spec;

pub use diag::{Diagnostic, Severity};
pub use load::{load, Loaded};
pub use source::{Source, Span, Spanned};
pub use spec::*;
