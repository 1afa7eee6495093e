//! The foundation through the binary: examples validate and resolve, schema is fresh, errors are
//! clear and exit codes are stable.

mod common;
use common::{examples, repo_root, Berth};

#[test]
fn every_example_validates_and_resolves_every_environment() {
    let examples = examples();
    assert!(
        examples.len() >= 5,
        "expected the 5 examples, found {}",
        examples.len()
    );
    for (path, envs) in examples {
        Berth::new().file(&path).args(["validate"]).run().ok();
        assert!(
            !envs.is_empty(),
            "{} declares no environment",
            path.display()
        );
        for env in envs {
            let run = Berth::new()
                .file(&path)
                .args(["resolve", &env, "--output", "json"])
                .run()
                .ok();
            let model: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(model["environment"], env.as_str());
            assert!(model["workloads"].as_array().is_some_and(|w| !w.is_empty()));
        }
    }
}

#[test]
fn checked_in_schema_is_fresh() {
    let run = Berth::new().args(["schema"]).run().ok();
    let on_disk = std::fs::read_to_string(repo_root().join("berth.schema.json")).unwrap();
    assert!(
        run.stdout == on_disk,
        "berth.schema.json is stale: run `cargo run -p berth-cli -- schema > berth.schema.json`"
    );
}

#[test]
fn schema_accepts_every_example_and_rejects_unknown_keys() {
    let schema: serde_json::Value =
        serde_json::from_str(&Berth::new().args(["schema"]).run().ok().stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    for (path, _) in examples() {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    let bad = serde_json::json!({"name": "x", "services": {"a": {"imag": "x:1"}}});
    assert!(
        !validator.is_valid(&bad),
        "the schema must reject unknown keys like the loader does"
    );
}

#[test]
fn invalid_spec_exits_1_with_location_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("berth.yaml");
    std::fs::write(
        &path,
        "name: demo\nservices:\n  api:\n    image: nginx:1.27\n    replcas: 2\n",
    )
    .unwrap();
    let run = Berth::new().file(&path).args(["validate"]).run().code(1);
    assert!(run.stderr.contains("B0101"), "{}", run.stderr);
    assert!(run.stderr.contains(":5:5"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `replicas`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    Berth::new().args(["validate", "--nope"]).run().code(2);
    let dir = tempfile::tempdir().unwrap();
    let run = Berth::new()
        .dir(dir.path())
        .args(["validate"])
        .run()
        .code(2);
    assert!(run.stderr.contains("berth init"), "{}", run.stderr);
    let spec = repo_root().join("examples/quickstart/berth.yaml");
    let run = Berth::new()
        .file(&spec)
        .args(["resolve", "lcoal"])
        .run()
        .code(2);
    assert!(
        run.stderr.contains("did you mean `local`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn init_writes_a_valid_spec_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    Berth::new()
        .dir(dir.path())
        .args(["init", "--name", "shop"])
        .run()
        .ok();
    Berth::new().dir(dir.path()).args(["validate"]).run().ok();
    Berth::new().dir(dir.path()).args(["init"]).run().code(2);
    let run = Berth::new()
        .dir(dir.path())
        .args(["resolve", "local"])
        .run()
        .ok();
    assert!(run.stdout.contains("POSTGRES_URL"), "{}", run.stdout);
}

#[test]
fn validate_json_output_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("berth.yaml");
    std::fs::write(&path, "name: demo\nservices:\n  api:\n    imag: x\n").unwrap();
    let run = Berth::new()
        .file(&path)
        .args(["validate", "--output", "json"])
        .run()
        .code(1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["diagnostics"][0]["code"], "B0101");
    assert_eq!(v["diagnostics"][0]["span"]["line"], 4);
}

#[test]
fn completions_are_generated() {
    let run = Berth::new().args(["completions", "bash"]).run().ok();
    assert!(run.stdout.contains("berth"));
}
