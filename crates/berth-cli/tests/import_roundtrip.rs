//! Every corpus project imports into a berth.yaml that validates with no errors, renders, and whose
//! rendered compose (as the real `docker compose config` reads it) has the same services, images,
//! ports and dependency order as the original — a semantic comparison, not a text one.

use berth_import::{compare, corpus, import, Reader};
use std::process::Command;

#[test]
fn corpus_imports_validate_render_and_match_the_original() {
    berth_testkit::require!(berth_testkit::DOCKER_COMPOSE);
    let projects = corpus::projects();
    assert!(
        projects.len() >= 25,
        "corpus has {} projects",
        projects.len()
    );
    let mut failures = Vec::new();
    for dir in projects {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let opts = corpus::options(&dir, Reader::Docker).unwrap();
        let outcome = import(&opts).unwrap_or_else(|e| panic!("{name}: import failed: {e}"));
        let source = berth_spec::Source::new(format!("{name}/berth.yaml"), outcome.yaml.as_str());
        let loaded = berth_spec::validate(&source);
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.render(&source))
            .collect();
        if !errors.is_empty() {
            failures.push(format!(
                "{name}: emitted berth.yaml is invalid:\n{}",
                errors.join("\n")
            ));
            continue;
        }
        let spec = loaded.spec.unwrap();
        let model = berth_spec::resolve(&spec, "local").unwrap();
        let set = berth_render::compose::render(&model);
        let tmp = tempfile::tempdir().unwrap();
        berth_drive::artifacts::write(&set, tmp.path()).unwrap();
        let dummy = |_: &str, _: &str| Some("dummy-secret-value".to_string());
        let secrets = berth_render::compose::secret_files(&model, &dummy).unwrap();
        berth_drive::artifacts::write(&secrets, tmp.path()).unwrap();
        let compose_dir = tmp.path().join("compose/local");
        let out = Command::new("docker")
            .current_dir(&compose_dir)
            .args([
                "compose",
                "-p",
                &model.stack,
                "-f",
                "compose.stores.yaml",
                "-f",
                "compose.services.yaml",
                "config",
                "--format",
                "json",
            ])
            .output()
            .expect("docker runs");
        if !out.status.success() {
            failures.push(format!(
                "{name}: docker compose rejects the rendered files: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let rendered: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let diffs = compare(&outcome.compose, &rendered);
        if !diffs.is_empty() {
            failures.push(format!(
                "{name}: rendered compose differs:\n  {}",
                diffs.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
