//! `Reader::Auto` falls back to the built-in parser when docker compose is missing.
//! A separate test binary, because it changes the process environment.

use berth_import::{import, ImportError, ImportOptions, Reader};

#[test]
fn auto_falls_back_without_docker() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  api:\n    image: acme/api:1.0.0\n    ports: [\"8080:3000\"]\n",
    )
    .unwrap();
    std::env::set_var("BERTH_DOCKER", "/nonexistent/docker-for-berth-tests");
    let opts = ImportOptions {
        project_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let out = import(&opts).unwrap();
    assert_eq!(out.reader, Reader::Builtin);
    assert!(out.yaml.contains("publish: { http: 8080 }"), "{}", out.yaml);
    let err = import(&ImportOptions {
        reader: Reader::Docker,
        ..opts
    })
    .unwrap_err();
    assert!(matches!(err, ImportError::DockerUnavailable(_)), "{err:?}");
}
