//! `berth import` through the binary: writes a berth.yaml that validates and renders with no hand
//! edits, reports dropped keys by path, never overwrites silently, and fails clearly on bad input.

mod common;
use common::{copy_dir, repo_root, Berth};

fn corpus(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &repo_root().join("tests/import-corpus").join(name),
        tmp.path(),
    );
    tmp
}

#[test]
fn import_then_validate_and_render_with_no_hand_edits() {
    let dir = corpus("02-srvthreds");
    let run = Berth::new()
        .dir(dir.path())
        .args([
            "import",
            "-f",
            "docker-compose-db.yml",
            "-f",
            "docker-compose-services.yml",
            "--kubernetes",
            "minikube",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("imported `"), "{}", run.stderr);
    let yaml = std::fs::read_to_string(dir.path().join("berth.yaml")).unwrap();
    assert!(yaml.starts_with('#'), "commented header expected:\n{yaml}");
    assert!(yaml.contains("minikube"), "{yaml}");
    let v = Berth::new().dir(dir.path()).args(["validate"]).run();
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let r = Berth::new()
        .dir(dir.path())
        .args(["render", "-e", "local"])
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir
        .path()
        .join("deploy/compose/local/compose.services.yaml")
        .exists());
    let check = Berth::new()
        .dir(dir.path())
        .args(["render", "-e", "local", "--check"])
        .run();
    assert_eq!(check.code, 0, "{}", check.stderr);
}

#[test]
fn dropped_keys_are_warnings_with_their_path() {
    let dir = corpus("30-runtime-options");
    let run = Berth::new()
        .dir(dir.path())
        .args([
            "import",
            "-f",
            "compose.yaml",
            "-o",
            "out/berth.yaml",
            "--reader",
            "builtin",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    // One warning for the service, its losses below it by key.
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(
        warnings
            .iter()
            .filter(|l| **l == "warning: services.proxy")
            .count(),
        1,
        "{}",
        run.stderr
    );
    for key in ["sysctls", "cap_add", "dns"] {
        assert!(
            run.stderr
                .lines()
                .any(|l| l.starts_with(&format!("  - {key}: "))),
            "no warning naming services.proxy.{key}:\n{}",
            run.stderr
        );
    }
    let yaml = std::fs::read_to_string(dir.path().join("out/berth.yaml")).unwrap();
    assert!(
        yaml.contains("services.proxy.sysctls"),
        "header lists the key:\n{yaml}"
    );
}

#[test]
fn never_overwrites_without_force() {
    let dir = corpus("01-node-postgres");
    std::fs::write(dir.path().join("berth.yaml"), "# mine\n").unwrap();
    let run = Berth::new().dir(dir.path()).args(["import"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("berth.yaml")).unwrap(),
        "# mine\n"
    );
    let forced = Berth::new()
        .dir(dir.path())
        .args(["import", "--force"])
        .run();
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_ne!(
        std::fs::read_to_string(dir.path().join("berth.yaml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn stdout_mode_writes_no_file() {
    let dir = corpus("01-node-postgres");
    let run = Berth::new()
        .dir(dir.path())
        .args(["-q", "import", "-o", "-"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("services:"), "{}", run.stdout);
    assert!(!dir.path().join("berth.yaml").exists());
}

#[test]
fn missing_compose_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = Berth::new().dir(dir.path()).args(["import"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no compose file found"),
        "{}",
        run.stderr
    );
    let run = Berth::new()
        .dir(dir.path())
        .args(["import", "-f", "nope.yaml"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope.yaml"), "{}", run.stderr);
    assert!(!dir.path().join("berth.yaml").exists());
}

#[test]
fn broken_compose_yaml_fails_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  api: [unclosed\n",
    )
    .unwrap();
    let run = Berth::new()
        .dir(dir.path())
        .args(["import", "--reader", "builtin"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("compose.yaml"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!dir.path().join("berth.yaml").exists());
}

#[test]
fn import_is_listed_in_help() {
    let run = Berth::new().args(["--help"]).run();
    assert!(run.stdout.contains("import"), "{}", run.stdout);
    let run = Berth::new().args(["import", "--help"]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("--profile"), "{}", run.stdout);
    assert!(run.stdout.contains("--kubernetes"), "{}", run.stdout);
}

#[test]
fn an_import_that_does_not_validate_is_written_as_rejected_with_its_warnings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  api:\n    image: acme/api:1.0.0\n    sysctls: [net.core.somaxconn=1024]\n    environment:\n      \"BAD NAME\": x\n",
    )
    .unwrap();
    let run = Berth::new()
        .dir(dir.path())
        .args(["import", "--reader", "builtin"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!dir.path().join("berth.yaml").exists());
    let rejected = std::fs::read_to_string(dir.path().join("berth.yaml.rejected")).unwrap();
    assert!(rejected.contains("BAD NAME"), "{rejected}");
    let line = rejected
        .lines()
        .position(|l| l.contains("BAD NAME"))
        .unwrap()
        + 1;
    assert!(
        run.stderr
            .contains(&format!("--> berth.yaml.rejected:{line}:")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("warning: services.api\n  - sysctls: dropped"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rename it to berth.yaml"),
        "{}",
        run.stderr
    );
}
