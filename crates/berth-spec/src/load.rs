//! Loading: text → node tree → typed spec, collecting every structural problem on the way.

use crate::decode::Decode;
use crate::diag::Diagnostic;
use crate::node::{self, Value};
use crate::source::{Source, Span};
use crate::spec::Spec;

/// The outcome of loading: the spec if its structure could be read (even with errors in parts of
/// it), and every diagnostic found.
#[derive(Debug)]
pub struct Loaded {
    pub spec: Option<Spec>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parse and decode a berth.yaml. Never panics, whatever the input.
pub fn load(source: &Source) -> Loaded {
    let mut diagnostics = Vec::new();
    let root = match node::parse(&source.text, &mut diagnostics) {
        Ok(root) => root,
        Err(d) => {
            diagnostics.push(d);
            return Loaded {
                spec: None,
                diagnostics,
            };
        }
    };
    if root.value == Value::Null {
        diagnostics.push(
            Diagnostic::error("B0005", Span::new(1, 1, 1), "the spec is empty")
                .help("start from `berth init`, which writes a commented starter berth.yaml"),
        );
        return Loaded {
            spec: None,
            diagnostics,
        };
    }
    let spec = Spec::decode(&root, "the spec", &mut diagnostics);
    Loaded { spec, diagnostics }
}
