//! `berth history ENV` and `berth rollback ENV --dry-run` read the recorded revisions
//! (`.berth/revisions/ENV/`), print them (`-o json`), contact no cluster when `.berth/` has
//! them (kubectl and the cluster CLIs on PATH are stubs that record any call) and write
//! nothing; unknown or missing revisions are clear errors.

mod common;

use common::TempProject;
use std::path::Path;

const SPEC: &str = r#"
name: shop
services:
  api: { image: "shop/api:1", ports: { http: 3000 } }
environments:
  dev: { platform: kubernetes, cluster: kind }
  local: { platform: compose }
"#;

fn revision(n: u32, image: &str) -> String {
    serde_json::json!({
        "number": n, "time": 1_790_000_000 + n as u64, "command": "up", "tag": "",
        "images": [image],
        "phases": [
            {"phase": "namespace", "objects": ["Namespace/shop"], "rollouts": [],
             "manifest": "kind: Namespace\n"},
            {"phase": "jobs", "objects": ["Job/migrate"], "rollouts": [],
             "manifest": "kind: Job\n"},
            {"phase": "services", "objects": ["Deployment/api", "Service/api"],
             "rollouts": ["deployment/api"], "manifest": format!("image: {image}\n")}
        ]
    })
    .to_string()
}

fn project() -> TempProject {
    let p = TempProject::empty();
    p.write("berth.yaml", SPEC);
    p.write(".berth/revisions/dev/1.json", &revision(1, "shop/api:1"));
    p.write(".berth/revisions/dev/2.json", &revision(2, "shop/api:2"));
    p
}

fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walk(dir) {
        out.push(e);
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn history_lists_the_recorded_revisions_and_contacts_no_cluster() {
    let p = project();
    let stubs = common::cluster_cli_stubs();
    let path = stubs.path_with_host();
    let before = files(p.path());
    let run = p
        .berth()
        .env("PATH", &path)
        .args(["history", "dev", "-o", "json"])
        .run()
        .ok();
    let v = run.stdout_json();
    assert_eq!(v["environment"], "dev");
    let revs = v["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[1]["number"], 2);
    assert_eq!(revs[1]["images"][0], "shop/api:2");
    assert_eq!(revs[1]["objects"], 4);
    let text = p
        .berth()
        .env("PATH", &path)
        .args(["history", "dev"])
        .run()
        .ok();
    assert!(text.stdout.contains("REV"), "{}", text.stdout);
    assert!(text.stdout.contains("shop/api:1"), "{}", text.stdout);
    assert!(stubs.lines().is_empty(), "{:?}", stubs.lines());
    assert_eq!(files(p.path()), before);
}

#[test]
fn rollback_dry_run_plans_the_previous_revision_and_changes_nothing() {
    let p = project();
    let stubs = common::cluster_cli_stubs();
    let path = stubs.path_with_host();
    let before = files(p.path());
    let run = p
        .berth()
        .env("PATH", &path)
        .args(["rollback", "dev", "--dry-run", "-o", "json"])
        .run()
        .ok();
    let v = run.stdout_json();
    assert_eq!(v["revision"], 1);
    assert_eq!(v["context"], "kind-shop");
    let steps = v["steps"].as_array().unwrap();
    let summary: Vec<(String, String)> = steps
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_string(),
                s["phase"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Jobs are not re-run; every apply is server-side with manager berth; rollouts waited for.
    assert_eq!(
        summary,
        [
            ("apply".to_string(), "namespace".to_string()),
            ("apply".to_string(), "services".to_string()),
            ("wait".to_string(), "services".to_string()),
        ]
    );
    assert_eq!(
        steps[1]["command"],
        serde_json::json!([
            "kubectl",
            "--context",
            "kind-shop",
            "-n",
            "shop",
            "apply",
            "--server-side",
            "--field-manager",
            "berth",
            "-f",
            "-"
        ])
    );
    assert_eq!(steps[2]["rollouts"][0], "deployment/api");
    let to2 = p
        .berth()
        .env("PATH", &path)
        .args(["rollback", "dev", "--to", "2", "--dry-run", "-o", "json"])
        .run()
        .ok();
    assert_eq!(to2.stdout_json()["revision"], 2);
    assert!(stubs.lines().is_empty(), "{:?}", stubs.lines());
    assert_eq!(files(p.path()), before);
}

#[test]
fn rollback_to_an_unknown_revision_or_without_revisions_fails_clearly() {
    let p = project();
    let stubs = common::cluster_cli_stubs();
    let path = stubs.path_with_host();
    let run = p
        .berth()
        .env("PATH", &path)
        .args(["rollback", "dev", "--to", "9", "--dry-run"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("no revision 9 (known: 1, 2)"),
        "{}",
        run.stderr
    );
    // No revision in .berth/: the cluster is asked (the stub kubectl lists none).
    let empty = TempProject::empty();
    empty.write("berth.yaml", SPEC);
    let run = empty
        .berth()
        .env("PATH", &path)
        .args(["rollback", "dev", "--dry-run"])
        .run()
        .code(1);
    assert!(
        run.stderr.contains("no revision recorded yet"),
        "{}",
        run.stderr
    );
    assert!(stubs.lines().iter().any(|l| l.contains("get configmap")));
    let compose = p
        .berth()
        .env("PATH", &path)
        .args(["history", "local"])
        .run()
        .code(2);
    assert!(
        compose.stderr.contains("for Kubernetes environments"),
        "{}",
        compose.stderr
    );
}
