//! `berth ci`'s GitHub Actions workflows: snapshots for every example, every action pinned by
//! commit SHA, least permissions, per-environment concurrency, the path from build to deploy,
//! and actionlint (oracle) accepting them.

use berth_spec::{Model, Source, Spec};
use serde_json::Value;
use std::path::Path;

fn load_text(name: &str, text: String) -> Spec {
    let src = Source::new(name.to_string(), text);
    let loaded = berth_spec::validate(&src);
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    loaded.spec.unwrap()
}

fn examples() -> Vec<(String, Spec)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        "srvthreds",
        "automation-center",
        "comind-ops",
        "mindflow",
        "quickstart",
    ]
    .iter()
    .map(|n| {
        let p = root.join(format!("../../examples/{n}/berth.yaml"));
        (
            n.to_string(),
            load_text(n, std::fs::read_to_string(p).unwrap()),
        )
    })
    .collect()
}

/// A stack like the ones the seeds describe: a canary service, a store with backups, ECR, dev
/// → staging → prod on EKS, tests.
const SHOP: &str = r#"
name: shop
registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop
repository: { url: "https://github.com/acme/shop.git", branch: trunk, test: "make test" }
services:
  migrate: { kind: job, build: { context: api, target: migrate }, uses: [db], before: [api] }
  api:
    build: { context: api, dockerfile: Dockerfile.prod, args: { NODE_ENV: production } }
    ports: { http: 8080 }
    health: { http: { path: /healthz } }
    uses: [db]
    expose: { host: api }
    strategy: { type: canary, steps: [20, 50] }
  web:
    build: { context: web }
    ports: { http: 3000 }
    health: { http: { path: /health } }
    expose: { host: www }
stores:
  db: { type: postgres, version: "16", backup: { schedule: "0 2 * * *", retain: 14 } }
environments:
  local: { platform: compose }
  dev: { platform: kubernetes, cluster: eks, cloud: aws, region: eu-west-1, domain: dev.shop.example.com, stores: in-cluster }
  staging: { extends: dev, domain: staging.shop.example.com }
  prod: { extends: staging, domain: shop.example.com }
"#;

fn models(spec: &Spec) -> Vec<Model> {
    spec.environments
        .keys()
        .map(|k| berth_spec::resolve(spec, &k.value).unwrap())
        .collect()
}

fn workflow(spec: &Spec) -> (String, Value) {
    let set = berth_render::ci::github(&models(spec));
    let text = set
        .get_str(".github/workflows/berth.yml")
        .unwrap()
        .to_string();
    let v: Value = serde_saphyr::from_str(&text).unwrap();
    (text, v)
}

fn all_specs() -> Vec<(String, Spec)> {
    let mut v = examples();
    v.push(("shop".into(), load_text("shop", SHOP.to_string())));
    v
}

fn steps(job: &Value) -> Vec<&Value> {
    job["steps"].as_array().unwrap().iter().collect()
}

#[test]
fn every_action_is_pinned_by_a_full_commit_sha() {
    let mut seen = 0;
    for (name, spec) in all_specs() {
        let (_, wf) = workflow(&spec);
        for (job_name, job) in wf["jobs"].as_object().unwrap() {
            for step in steps(job) {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                let (_, sha) = uses
                    .split_once('@')
                    .unwrap_or_else(|| panic!("{uses}: no ref"));
                assert!(
                    sha.len() == 40
                        && sha
                            .chars()
                            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                    "{name}/{job_name}: {uses} is not pinned by a full commit SHA"
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 20, "{seen}");
}

#[test]
fn jobs_hold_only_the_permissions_they_need() {
    for (name, spec) in all_specs() {
        let (_, wf) = workflow(&spec);
        assert_eq!(
            wf["permissions"],
            serde_json::json!({}),
            "{name}: the workflow grants none"
        );
        for (job_name, job) in wf["jobs"].as_object().unwrap() {
            let perms = job["permissions"]
                .as_object()
                .unwrap_or_else(|| panic!("{name}/{job_name}"));
            for (scope, level) in perms {
                let allowed = match scope.as_str() {
                    "contents" => level == "read",
                    "id-token" => level == "write" && uses_aws(job),
                    "packages" => level == "write" && job_name == "build",
                    _ => false,
                };
                assert!(allowed, "{name}/{job_name}: {scope}: {level}");
            }
        }
    }
}

fn uses_aws(job: &Value) -> bool {
    steps(job).iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials@"))
    })
}

#[test]
fn the_path_from_commit_to_production() {
    let spec = load_text("shop", SHOP.to_string());
    let (_, wf) = workflow(&spec);
    let jobs = &wf["jobs"];
    let run = |job: &str| -> String {
        steps(&jobs[job])
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(run("validate").contains("berth validate"));
    assert!(run("validate").contains("berth render --check"));
    assert_eq!(run("test"), "make test");
    // Build: once per image, tagged with the commit, cached, pushed after the ECR login.
    let build = steps(&jobs["build"]);
    let uses: Vec<&str> = build.iter().filter_map(|s| s["uses"].as_str()).collect();
    let pos = |prefix: &str| uses.iter().position(|u| u.starts_with(prefix)).unwrap();
    assert!(pos("aws-actions/configure-aws-credentials") < pos("aws-actions/amazon-ecr-login"));
    assert!(pos("aws-actions/amazon-ecr-login") < pos("docker/build-push-action"));
    let pushes: Vec<&&Value> = build
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("docker/build-push-action@"))
        })
        .collect();
    assert_eq!(
        pushes.len(),
        3,
        "migrate, api and web, once each for all environments"
    );
    let api = &pushes[0]["with"];
    assert_eq!(api["push"], true);
    assert_eq!(
        api["tags"],
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/migrate:${{ steps.tag.outputs.tag }}"
    );
    assert_eq!(api["cache-from"], "type=gha,scope=migrate");
    assert_eq!(
        jobs["build"]["needs"],
        serde_json::json!(["validate", "test"])
    );
    // No long-lived keys anywhere: OIDC roles only.
    let (text, _) = workflow(&spec);
    assert!(!text.contains("aws-access-key-id") && !text.contains("AWS_SECRET_ACCESS_KEY"));
    assert!(
        text.contains("role-to-assume: arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/shop-dev-ci")
    );
    // Deploys: dev on the default branch, staging on release branches or tags, prod on tags
    // behind its environment, after staging; each in its own concurrency group.
    assert!(jobs["deploy-dev"]["if"]
        .as_str()
        .unwrap()
        .contains("refs/heads/trunk"));
    assert!(jobs["deploy-staging"]["if"]
        .as_str()
        .unwrap()
        .contains("refs/heads/release/"));
    assert!(jobs["deploy-prod"]["if"]
        .as_str()
        .unwrap()
        .contains("refs/tags/v"));
    assert_eq!(
        jobs["deploy-prod"]["needs"],
        serde_json::json!(["build", "deploy-staging"])
    );
    for env in ["dev", "staging", "prod"] {
        let job = &jobs[format!("deploy-{env}")];
        assert_eq!(job["environment"]["name"], env);
        assert_eq!(job["concurrency"]["group"], format!("berth-deploy-{env}"));
        assert_eq!(job["concurrency"]["cancel-in-progress"], false);
        let r = run(&format!("deploy-{env}"));
        assert!(
            r.contains(&format!("berth --context shop-{env} up {env} --no-build")),
            "{r}"
        );
        assert!(r.contains("curl -fsS"), "smoke test: {r}");
        assert!(r.contains("/healthz"), "{r}");
        let rollback = steps(job)
            .into_iter()
            .find(|s| s["name"] == "Roll back")
            .unwrap();
        assert_eq!(rollback["if"], "failure()");
        let undo = rollback["run"].as_str().unwrap();
        assert!(undo.contains("rollout undo deployment/web"), "{undo}");
        assert!(undo.contains("patch rollout api"), "{undo}");
    }
    // Pull requests plan the cloud environments they touch.
    let plan = &jobs["infra-plan"];
    assert_eq!(plan["if"], "github.event_name == 'pull_request'");
    assert_eq!(
        plan["strategy"]["matrix"]["include"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(run("infra-plan").contains("berth infra plan"));
    // ...with the read-only role pull requests may assume, never a deploy role.
    let role = |job: &str| -> Vec<String> {
        steps(&jobs[job])
            .iter()
            .filter_map(|s| s["with"]["role-to-assume"].as_str())
            .map(|r| r.rsplit('/').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        role("infra-plan"),
        ["shop-${{ matrix.environment }}-ci-plan"]
    );
    assert_eq!(role("deploy-prod"), ["shop-prod-ci"]);
}

#[test]
fn stacks_without_cloud_environments_only_validate() {
    let (_, spec) = examples()
        .into_iter()
        .find(|(n, _)| n == "quickstart")
        .unwrap();
    let (_, wf) = workflow(&spec);
    let jobs: Vec<&String> = wf["jobs"].as_object().unwrap().keys().collect();
    assert!(!jobs.iter().any(|j| j.starts_with("deploy-")), "{jobs:?}");
    assert!(jobs.contains(&&"validate".to_string()));
}

#[test]
fn snapshots_of_examples() {
    for (name, spec) in all_specs() {
        let (text, _) = workflow(&spec);
        insta::assert_snapshot!(format!("{name}__workflow"), text);
    }
}

#[test]
fn oracle_actionlint_accepts_the_workflows() {
    berth_testkit::require!(berth_testkit::ACTIONLINT);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, spec) in all_specs() {
        let (text, _) = workflow(&spec);
        let f = dir.join(format!("{name}.yml"));
        std::fs::write(&f, text).unwrap();
        files.push(f.display().to_string());
    }
    let out = std::process::Command::new("actionlint")
        .arg("-no-color")
        .args(&files)
        .current_dir(tmp.path())
        .output()
        .expect("actionlint runs");
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
