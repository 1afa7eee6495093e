//! Damaged compose files give errors or results, never panics.

use berth_import::{import, ImportOptions, Reader};
use std::path::Path;

fn corpus_files() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/import-corpus");
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).unwrap().flatten() {
        for f in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
            let n = f.file_name().to_string_lossy().to_string();
            if n.ends_with(".yml") || n.ends_with(".yaml") {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn truncated_and_mangled_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    for f in corpus_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let cuts: Vec<usize> = (1..8).map(|i| text.len() * i / 8).collect();
        let mut variants: Vec<String> = cuts
            .iter()
            .filter(|c| text.is_char_boundary(**c))
            .map(|c| text[..*c].to_string())
            .collect();
        variants.push(text.replace("  ", " "));
        variants.push(text.replace(": ", ": ${"));
        variants.push(text.replace('"', ""));
        variants.push(text.replace("services:", "services: 3\nx:"));
        for v in variants {
            std::fs::write(dir.path().join("compose.yaml"), v).unwrap();
            let _ = import(&ImportOptions {
                project_dir: Some(dir.path().to_path_buf()),
                reader: Reader::Builtin,
                ..Default::default()
            });
        }
    }
}

#[test]
fn colliding_service_names_stay_distinct() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "name: clash\nservices:\n  api_v1:\n    image: acme/api:1.0.0\n  api-v1:\n    image: acme/api:2.0.0\n  Cache:\n    image: redis:7.2\n",
    )
    .unwrap();
    let out = import(&ImportOptions {
        project_dir: Some(dir.path().to_path_buf()),
        reader: Reader::Builtin,
        ..Default::default()
    })
    .unwrap();
    assert!(out.yaml.contains("  api-v1:\n"), "{}", out.yaml);
    // The renamed one gets a suffix hashed from its compose name, and a warning.
    let renamed = out
        .spec
        .services
        .keys()
        .find(|k| k.value.starts_with("api-v1-"))
        .unwrap_or_else(|| panic!("{}", out.yaml));
    assert_eq!(renamed.value.len(), "api-v1-".len() + 6, "{}", out.yaml);
    assert!(
        out.warnings
            .iter()
            .any(|w| w.path == "services.api_v1" && w.message.contains(&renamed.value)),
        "{:?}",
        out.warnings
    );
    assert!(out.yaml.contains("  cache: { type: redis"), "{}", out.yaml);
}
