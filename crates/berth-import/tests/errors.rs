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

fn both(dir: &Path) -> [Result<berth_import::ImportOutcome, ImportError>; 2] {
    [Reader::Docker, Reader::Builtin].map(|reader| {
        import(&ImportOptions {
            project_dir: Some(dir.to_path_buf()),
            reader,
            ..Default::default()
        })
    })
}

#[test]
fn missing_compose_file() {
    let dir = project(&[("README.md", "nothing here")]);
    for r in both(dir.path()) {
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
    let [docker, builtin] = both(dir.path());
    assert!(matches!(docker, Err(ImportError::Docker(_))), "{docker:?}");
    assert!(
        matches!(builtin, Err(ImportError::Yaml { .. })),
        "{builtin:?}"
    );
}

#[test]
fn required_variable_missing() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  api:\n    image: acme/api:${BERTH_TEST_SURELY_UNSET:?set the api tag}\n",
    )]);
    for r in both(dir.path()) {
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
    for r in both(dir.path()) {
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
    for r in both(dir.path()) {
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
    for r in both(dir.path()) {
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
