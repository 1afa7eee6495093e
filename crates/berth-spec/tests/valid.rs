//! A spec that uses every feature validates cleanly: no errors and no warnings.

use berth_spec::{validate, Source};

#[test]
fn rich_spec_is_clean() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rich.yaml")).unwrap();
    let src = Source::new("rich.yaml", text);
    let loaded = validate(&src);
    let rendered: Vec<String> = loaded.diagnostics.iter().map(|d| d.render(&src)).collect();
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
    let spec = loaded.spec.expect("spec decodes");
    assert_eq!(spec.services.len(), 4);
    assert_eq!(spec.environments.len(), 6);
}
