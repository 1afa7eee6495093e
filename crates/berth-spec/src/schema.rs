//! The JSON Schema of berth.yaml, derived from the spec types (see `spec_struct!`).

/// The schema as pretty JSON with a trailing newline (what `berth schema` prints and what
/// berth.schema.json holds).
pub fn json() -> String {
    let mut schema = schemars::schema_for!(crate::spec::Spec);
    schema.insert("title".into(), "berth.yaml".into());
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
