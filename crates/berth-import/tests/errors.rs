//! Bad input gives typed, clear errors from both readers, never a panic.

use berth_import::{import, ImportError, ImportOptions, Reader};
use std::path::Path;

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("berth-import-")
        .tempdir()
        .unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// The project read by each reader: the built-in one always, `docker compose` when it is
/// installed (its half of a test is skipped otherwise, unless BERTH_REQUIRE_ORACLES=1).
fn both(dir: &Path) -> Vec<(Reader, Result<berth_import::ImportOutcome, ImportError>)> {
    let mut readers = vec![Reader::Builtin];
    if berth_testkit::present(&[berth_testkit::DOCKER_COMPOSE]) {
        readers.insert(0, Reader::Docker);
    }
    readers
        .into_iter()
        .map(|reader| {
            let r = import(&ImportOptions {
                project_dir: Some(dir.to_path_buf()),
                reader,
                ..Default::default()
            });
            (reader, r)
        })
        .collect()
}

#[test]
fn missing_compose_file() {
    let dir = project(&[("README.md", "nothing here")]);
    for (_, r) in both(dir.path()) {
        assert!(matches!(r, Err(ImportError::NoComposeFile(_))), "{r:?}");
    }
    let err = import(&ImportOptions {
        files: vec![dir.path().join("nope.yaml")],
        reader: Reader::Builtin,
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("nope.yaml"), "{err}");
}

#[test]
fn invalid_yaml() {
    let dir = project(&[("compose.yaml", "services:\n  api: [unclosed\n")]);
    for (reader, r) in both(dir.path()) {
        match reader {
            Reader::Docker => assert!(matches!(r, Err(ImportError::Docker(_))), "{r:?}"),
            _ => assert!(matches!(r, Err(ImportError::Yaml { .. })), "{r:?}"),
        }
    }
}

#[test]
fn required_variable_missing() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  api:\n    image: acme/api:${BERTH_TEST_SURELY_UNSET:?set the api tag}\n",
    )]);
    for (_, r) in both(dir.path()) {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("set the api tag"), "{e}");
    }
}

#[test]
fn undefined_dependency() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  api:\n    image: acme/api:1\n    depends_on: [db]\n",
    )]);
    for (_, r) in both(dir.path()) {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("db"), "{e}");
    }
}

#[test]
fn missing_env_file() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  api:\n    image: acme/api:1\n    env_file: [missing.env]\n",
    )]);
    for (_, r) in both(dir.path()) {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("missing.env"), "{e}");
    }
}

#[test]
fn extends_cycle_and_bad_shapes() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
    )]);
    for (_, r) in both(dir.path()) {
        assert!(r.is_err());
    }
    for text in [
        "services: [a, b]\n",
        "- just\n- a list\n",
        "services:\n  api:\n    image: x:1\n    ports: 3000\n",
        "services:\n  api:\n    image: x:1\n    ports: [\"abc\"]\n",
        "services:\n  api:\n    image: x:1\n    command: \"echo 'unterminated\"\n",
    ] {
        let dir = project(&[("compose.yaml", text)]);
        let r = import(&ImportOptions {
            project_dir: Some(dir.path().to_path_buf()),
            reader: Reader::Builtin,
            ..Default::default()
        });
        assert!(r.is_err(), "accepted {text:?}");
    }
}

#[test]
fn builtin_reader_imports_minimal_project() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  api:\n    image: acme/api:1.0.0\n",
    )]);
    let out = import(&ImportOptions {
        project_dir: Some(dir.path().to_path_buf()),
        reader: Reader::Builtin,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(out.reader, Reader::Builtin);
    assert!(
        out.yaml.contains("image: \"acme/api:1.0.0\""),
        "{}",
        out.yaml
    );
}

#[test]
fn build_contexts_follow_the_output_directory() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  api:\n    build: ./services/api\n",
    )]);
    let out = import(&ImportOptions {
        project_dir: Some(dir.path().to_path_buf()),
        reader: Reader::Builtin,
        output_dir: Some(dir.path().join("deploy")),
        ..Default::default()
    })
    .unwrap();
    assert!(
        out.yaml.contains("context: ../services/api"),
        "{}",
        out.yaml
    );
}

#[test]
fn include_without_files_is_an_error() {
    let dir = project(&[(
        "compose.yaml",
        "include:\n  - path: []\nservices:\n  api:\n    image: acme/api:1\n",
    )]);
    let err = import(&ImportOptions {
        project_dir: Some(dir.path().to_path_buf()),
        reader: Reader::Builtin,
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("include entry without path"),
        "{err}"
    );
}
