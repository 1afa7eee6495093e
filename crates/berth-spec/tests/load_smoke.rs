use berth_spec::{load, Source};

#[test]
fn decodes_and_reports_all_unknown_keys() {
    let src = Source::new(
        "berth.yaml",
        "name: demo\nservices:\n  api:\n    image: nginx:1.27\n    replcas: 2\n    ports: { http: 80 }\nstores:\n  db: { type: postgress, version: '16' }\n",
    );
    let loaded = load(&src);
    let codes: Vec<_> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code, d.span.line, d.span.col))
        .collect();
    assert_eq!(codes, vec![("B0101", 5, 5), ("B0104", 8, 15)]);
    let rendered = loaded.diagnostics[0].render(&src);
    assert!(rendered.contains("did you mean `replicas`?"), "{rendered}");
    let spec = loaded.spec.unwrap();
    assert_eq!(spec.services["api"].ports["http"].number, 80);
}
