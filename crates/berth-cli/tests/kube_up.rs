//! `berth up ENV --dry-run -o json` on every Kubernetes environment of every example: exit 0
//! without a cluster (kubectl and the cluster CLIs on PATH are stubs that record any call; none
//! may happen), every Deployment, StatefulSet and Job of the hydrated file applied, every
//! Deployment and StatefulSet waited for, stores before services, built images loaded into
//! local clusters, no secret value and nothing written.

mod common;

use common::{examples, TempProject};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn hydrated_workloads(model: &berth_spec::Model) -> BTreeSet<(String, String)> {
    serde_saphyr::from_multiple::<Value>(&berth_render::kube::hydrated(model))
        .unwrap()
        .into_iter()
        .filter(|o| {
            matches!(
                o["kind"].as_str(),
                Some("Deployment" | "StatefulSet" | "Job")
            )
        })
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn index_of(steps: &[Value], pred: impl Fn(&Value) -> bool) -> Option<usize> {
    steps.iter().position(pred)
}

#[test]
fn dry_run_plans_every_kubernetes_environment_of_every_example() {
    let mut checked = 0;
    for (path, envs) in examples() {
        let name = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy();
        let project = TempProject::example(&name);
        let stubs = common::cluster_cli_stubs();
        let path_var = stubs.path_with_host();
        let text = std::fs::read_to_string(&path).unwrap();
        let spec = berth_spec::validate_strict(&berth_spec::Source::new("b", text)).unwrap();
        for env in envs {
            let model = berth_spec::resolve(&spec, &env).unwrap();
            if model.platform != berth_spec::Platform::Kubernetes {
                continue;
            }
            let run = project
                .berth()
                .env("PATH", &path_var)
                .args(["up", &env, "--dry-run", "-o", "json"])
                .run()
                .ok();
            let plan = run.stdout_json();
            let steps = plan["steps"].as_array().unwrap().clone();
            let applied: BTreeSet<(String, String)> = steps
                .iter()
                .filter(|s| s["step"] == "apply")
                .flat_map(|s| s["objects"].as_array().unwrap().clone())
                .map(|o| {
                    (
                        o["kind"].as_str().unwrap().to_string(),
                        o["name"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let waited: BTreeSet<(String, String)> = steps
                .iter()
                .filter(|s| s["step"] == "wait")
                .flat_map(|s| s["targets"].as_array().unwrap().clone())
                .map(|t| {
                    (
                        t["kind"].as_str().unwrap().to_string(),
                        t["name"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            for w in hydrated_workloads(&model) {
                assert!(applied.contains(&w), "{name}/{env}: {w:?} not applied");
                assert!(waited.contains(&w), "{name}/{env}: {w:?} not waited for");
            }
            let stores = index_of(&steps, |s| s["step"] == "apply" && s["phase"] == "stores");
            let services = index_of(&steps, |s| s["step"] == "apply" && s["phase"] == "services");
            if let (Some(a), Some(b)) = (stores, services) {
                assert!(a < b, "{name}/{env}: services before stores");
            }
            for w in model.workloads.iter().filter(|w| w.build.is_some()) {
                let built = index_of(&steps, |s| s["step"] == "build" && s["service"] == *w.name)
                    .unwrap_or_else(|| panic!("{name}/{env}: {} not built", w.name));
                let image = steps[built]["image"].as_str().unwrap();
                let delivered = if model.is_local_cluster() {
                    "load"
                } else {
                    "push"
                };
                let d = index_of(&steps, |s| s["step"] == delivered && s["image"] == image)
                    .unwrap_or_else(|| panic!("{name}/{env}: {image} not {delivered}ed"));
                let first_apply = index_of(&steps, |s| s["step"] == "apply").unwrap();
                assert!(built < d && d < first_apply, "{name}/{env}");
                // The applied workload uses the exact tag that is built.
                assert!(image.ends_with(&format!(":{}", plan["tag"].as_str().unwrap())));
            }
            checked += 1;
        }
        assert!(
            stubs.lines().is_empty(),
            "{name}: a dry run called {:?}",
            stubs.lines()
        );
        assert!(
            !project.path().join(".berth").exists(),
            "{name}: wrote .berth"
        );
    }
    assert!(checked >= 9, "{checked}");
}

#[test]
fn dry_run_text_lists_every_step_and_wrong_usage_is_clear() {
    let project = TempProject::example("quickstart");
    let run = project
        .berth()
        .args(["up", "minikube", "--dry-run"])
        .run()
        .ok();
    assert!(
        run.stdout.contains("plan for minikube (context minikube"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("apply stores:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("prune what left the spec"),
        "{}",
        run.stdout
    );
    // A recipe subset cannot apply to a Kubernetes environment.
    let run = project
        .berth()
        .args(["up", "minikube", "--dry-run", "-s", "web"])
        .run()
        .code(2);
    assert!(run.stderr.contains("applied whole"), "{}", run.stderr);
    // --dry-run on compose says what to use instead.
    let run = project.berth().args(["up", "--dry-run"]).run().code(2);
    assert!(
        run.stderr.contains("Kubernetes environments"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_kubectl_is_one_clear_message_and_nothing_is_applied() {
    let project = TempProject::example("quickstart");
    // git and sh only: no kubectl, no minikube.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["git", "sh"] {
        if let Ok(p) = which(tool) {
            std::os::unix::fs::symlink(p, bin.path().join(tool)).unwrap();
        }
    }
    let run = project
        .berth()
        .env("PATH", bin.path().to_str().unwrap())
        .args(["up", "minikube"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("`kubectl` is not installed"),
        "{}",
        run.stderr
    );
}

fn which(tool: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.exists())
        .ok_or(())
}
