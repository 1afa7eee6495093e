//! `berth ci` from the binary: the plan first (`--dry-run -o json` shows the files and writes
//! nothing), then the write, then `--check` clean and, after an edit, drift (exit 1).

mod common;

use common::{repo_root, Berth};
use serde_json::Value;

#[test]
fn ci_shows_writes_and_checks_the_workflows() {
    let dir = tempfile::tempdir().unwrap();
    let spec = repo_root().join("examples/mindflow/berth.yaml");
    std::fs::copy(&spec, dir.path().join("berth.yaml")).unwrap();
    let file = dir.path().join("berth.yaml");
    let workflow = dir.path().join(".github/workflows/berth.yml");

    let r = Berth::new()
        .file(&file)
        .args(["ci", "--dry-run", "-o", "json"])
        .run()
        .ok();
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["mode"], "dry-run");
    assert_eq!(v["files"][0]["path"], ".github/workflows/berth.yml");
    let content = v["files"][0]["content"].as_str().unwrap();
    assert!(
        content.contains("aws-actions/amazon-ecr-login@"),
        "{content}"
    );
    assert!(!workflow.exists(), "--dry-run writes nothing");

    Berth::new().file(&file).arg("ci").run().ok();
    assert_eq!(std::fs::read_to_string(&workflow).unwrap(), content);
    Berth::new().file(&file).args(["ci", "--check"]).run().ok();

    std::fs::write(&workflow, "name: edited\n").unwrap();
    let r = Berth::new().file(&file).args(["ci", "--check"]).run();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("run `berth ci`"), "{}", r.stderr);
    assert!(
        r.stdout.contains(".github/workflows/berth.yml"),
        "{}",
        r.stdout
    );
}
