//! The notes an import leaves for the reader: what was inferred and what compose said that Berth
//! drops or approximates, each with its compose key path.

/// A dropped or approximated compose key, or an inference worth reviewing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// Compose key path, e.g. `services.api.container_name`.
    pub path: String,
    pub message: String,
}

/// Both kinds of note, in the order they were made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notes {
    pub inferred: Vec<Warning>,
    pub warnings: Vec<Warning>,
}

impl Notes {
    /// Records an inference worth reviewing.
    pub fn infer(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.inferred.push(Warning {
            path: path.into(),
            message: msg.into(),
        });
    }

    /// Records a compose key that was dropped or approximated.
    pub fn warn(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.warnings.push(Warning {
            path: path.into(),
            message: msg.into(),
        });
    }
}
