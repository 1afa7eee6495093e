//! What `berth` prints, as snapshots (exit code, stdout, stderr; paths and durations filtered):
//! the main commands, their `-o json` reports and their error paths. Refresh after an intended
//! change with `INSTA_UPDATE=always cargo test -p berth-cli --test cli_snapshots` and review.

mod common;
use common::{Berth, TempProject};

const TYPO: &str = "name: demo\nservices:\n  api:\n    image: nginx:1.27\n    replcas: 2\n";

#[test]
fn validate_a_valid_spec() {
    let p = TempProject::init("shop");
    berth_snapshot!("validate_valid", p.berth().arg("validate").run().ok());
}

#[test]
fn validate_an_invalid_spec() {
    let p = TempProject::empty();
    p.write("berth.yaml", TYPO);
    berth_snapshot!("validate_invalid", p.berth().arg("validate").run().code(1));
}

#[test]
fn validate_json_is_the_report_alone_on_stdout() {
    let p = TempProject::empty();
    p.write("berth.yaml", TYPO);
    let run = p.berth().args(["validate", "-o", "json"]).run().code(1);
    let v = run.stdout_json();
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"], 1);
    berth_snapshot!("validate_invalid_json", run);
    let p = TempProject::init("shop");
    let v = p
        .berth()
        .args(["-o", "json", "validate"])
        .run()
        .ok()
        .stdout_json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["diagnostics"], serde_json::json!([]));
}

#[test]
fn a_missing_spec_is_a_usage_error() {
    let p = TempProject::empty();
    berth_snapshot!("missing_file", p.berth().arg("validate").run().code(2));
    let run = Berth::new()
        .file(p.path().join("nope.yaml"))
        .arg("resolve")
        .arg("local")
        .run();
    berth_snapshot!("missing_file_named", run.code(2));
}

#[test]
fn berth_file_names_the_spec() {
    let p = TempProject::init("shop");
    std::fs::rename(p.path().join("berth.yaml"), p.path().join("stack.yaml")).unwrap();
    p.berth().arg("validate").run().code(2);
    let run = p
        .berth()
        .env("BERTH_FILE", "stack.yaml")
        .arg("validate")
        .run()
        .ok();
    assert!(run.stderr.contains("stack.yaml is valid"), "{}", run.stderr);
}

#[test]
fn an_invalid_spec_stops_every_command_with_its_diagnostics() {
    let p = TempProject::empty();
    p.write("berth.yaml", TYPO);
    berth_snapshot!(
        "resolve_invalid_spec",
        p.berth().args(["resolve", "local"]).run().code(1)
    );
}

#[test]
fn resolve_an_environment() {
    let p = TempProject::init("shop");
    berth_snapshot!(
        "resolve_local",
        p.berth().args(["resolve", "local"]).run().ok()
    );
    let model = p
        .berth()
        .args(["resolve", "local", "-o", "json"])
        .run()
        .ok()
        .stdout_json();
    assert_eq!(model["environment"], "local");
    assert_eq!(model["stack"], "shop");
    let yaml = p
        .berth()
        .args(["resolve", "local", "-o", "yaml"])
        .run()
        .ok();
    let text = p.berth().args(["resolve", "local"]).run().ok();
    assert_eq!(yaml.stdout, text.stdout, "text is the YAML form");
}

#[test]
fn an_unknown_environment_is_a_usage_error_with_a_suggestion() {
    let p = TempProject::init("shop");
    berth_snapshot!(
        "resolve_unknown_env",
        p.berth().args(["resolve", "lcoal"]).run().code(2)
    );
    berth_snapshot!(
        "render_unknown_env",
        p.berth().args(["render", "-e", "nope"]).run().code(2)
    );
}

#[test]
fn render_check_reports_drift_then_passes_after_render() {
    let p = TempProject::init("shop");
    berth_snapshot!(
        "render_check_missing",
        p.berth()
            .args(["render", "-e", "local", "--check"])
            .run()
            .code(1)
    );
    berth_snapshot!(
        "render_local",
        p.berth().args(["render", "-e", "local"]).run().ok()
    );
    berth_snapshot!(
        "render_check_clean",
        p.berth()
            .args(["render", "-e", "local", "--check"])
            .run()
            .ok()
    );
    p.write("deploy/compose/local/.env.example", "# edited\n");
    let run = p
        .berth()
        .args(["render", "-e", "local", "--check", "-o", "json"])
        .run()
        .code(1);
    let v = run.stdout_json();
    assert_eq!(
        v["changed"],
        serde_json::json!(["compose/local/.env.example"])
    );
    assert_eq!(v["clean"], false);
    berth_snapshot!("render_check_changed_json", run);
}

#[test]
fn render_all_is_every_environment_and_conflicts_with_names() {
    let p = TempProject::init("shop");
    let all = p
        .berth()
        .args(["render", "--all", "--check", "-o", "json"])
        .run()
        .code(1);
    let default = p
        .berth()
        .args(["render", "--check", "-o", "json"])
        .run()
        .code(1);
    assert_eq!(all.stdout_json(), default.stdout_json());
    assert!(all.stdout_json()["missing"].as_array().unwrap().len() > 4);
    berth_snapshot!(
        "render_all_with_names",
        p.berth()
            .args(["render", "--all", "-e", "local"])
            .run()
            .code(2)
    );
}

#[test]
fn diff_shows_what_render_would_change() {
    let p = TempProject::init("shop");
    p.berth().args(["render", "-e", "local"]).run().ok();
    berth_snapshot!("diff_clean", p.berth().args(["diff", "local"]).run().ok());
    let env = p.read("deploy/compose/local/.env.example");
    p.write(
        "deploy/compose/local/.env.example",
        &format!("{env}EXTRA=1\n"),
    );
    berth_snapshot!(
        "diff_changed",
        p.berth().args(["diff", "local"]).run().code(1)
    );
    let v = p
        .berth()
        .args(["diff", "local", "-o", "json"])
        .run()
        .code(1)
        .stdout_json();
    assert_eq!(
        v["changed"],
        serde_json::json!(["compose/local/.env.example"])
    );
    assert!(v["diff"].as_str().unwrap().contains("-EXTRA=1"), "{v}");
}

#[test]
fn status_usage_errors_need_no_docker() {
    let p = TempProject::init("shop");
    berth_snapshot!(
        "status_unknown_env",
        p.berth().args(["status", "nope"]).run().code(2)
    );
    // A Kubernetes environment asks kubectl; a kubeconfig without its context is one clear
    // message (kubectl here is a stub that knows no context).
    let bin = TempProject::empty();
    bin.write("kubectl", "#!/bin/sh\nexit 0\n");
    {
        use std::os::unix::fs::PermissionsExt;
        let perm = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(bin.path().join("kubectl"), perm).unwrap();
    }
    berth_snapshot!(
        "status_kubernetes_without_context",
        p.berth()
            .env("PATH", bin.path().to_str().unwrap())
            .args(["status", "minikube"])
            .run()
            .code(1)
    );
    let q = TempProject::empty();
    q.write(
        "berth.yaml",
        "name: k\nservices:\n  api: { image: nginx:1.27 }\nenvironments:\n  prod: { platform: kubernetes }\n",
    );
    berth_snapshot!(
        "status_no_compose_env",
        q.berth().arg("status").run().code(2)
    );
}

#[test]
fn deploy_without_a_name_lists_the_recipes() {
    let p = TempProject::init("shop");
    berth_snapshot!("deploy_list", p.berth().arg("deploy").run().code(2));
    let v = p
        .berth()
        .args(["-o", "json", "deploy"])
        .run()
        .code(2)
        .stdout_json();
    assert_eq!(v[0]["name"], "dbs");
    berth_snapshot!(
        "deploy_unknown",
        p.berth().args(["deploy", "nope"]).run().code(2)
    );
}

#[test]
fn infra_usage_errors() {
    let p = TempProject::example("srvthreds");
    berth_snapshot!(
        "infra_unknown_env",
        p.berth().args(["infra", "plan", "nope"]).run().code(2)
    );
    berth_snapshot!(
        "infra_no_cloud",
        p.berth().args(["infra", "plan", "local"]).run().code(2)
    );
    berth_snapshot!(
        "infra_needs_auto_approve",
        p.berth().args(["infra", "apply", "dev"]).run().code(2)
    );
    berth_snapshot!(
        "infra_bad_endpoint",
        p.berth()
            .args(["infra", "plan", "dev", "--endpoint", "127.0.0.1:5000"])
            .run()
            .code(2)
    );
    let run = p
        .berth()
        .env("BERTH_AWS_ENDPOINT", "localhost:5000")
        .args(["infra", "plan", "dev"])
        .run()
        .code(2);
    assert!(
        run.stderr
            .contains("BERTH_AWS_ENDPOINT `localhost:5000` is not a URL"),
        "{}",
        run.stderr
    );
    assert!(
        !p.path().join("deploy").exists(),
        "nothing rendered before refusing"
    );
}

#[test]
fn import_reports_what_it_wrote() {
    let p = TempProject::corpus("01-node-postgres");
    berth_snapshot!(
        "import_text",
        p.berth().args(["import", "--reader", "builtin"]).run().ok()
    );
    let q = TempProject::corpus("30-runtime-options");
    let run = q
        .berth()
        .args([
            "-o",
            "json",
            "import",
            "-p",
            "runtime",
            "--reader",
            "builtin",
            "-o",
            "out/berth.yaml",
        ])
        .run()
        .ok();
    let v = run.stdout_json();
    assert_eq!(v["written"], "out/berth.yaml");
    assert!(q.path().join("out/berth.yaml").exists());
    berth_snapshot!("import_json", run);
}

#[test]
fn import_usage_errors() {
    let p = TempProject::empty();
    berth_snapshot!(
        "import_no_compose_file",
        p.berth().arg("import").run().code(2)
    );
    let p = TempProject::corpus("01-node-postgres");
    berth_snapshot!(
        "import_json_to_stdout",
        p.berth()
            .args(["--output", "json", "import", "-o", "-"])
            .run()
            .code(2)
    );
    p.write("berth.yaml", "# mine\n");
    berth_snapshot!("import_exists", p.berth().arg("import").run().code(2));
}

#[test]
fn schema_is_json() {
    let run = Berth::new().arg("schema").run().ok();
    let v = run.stdout_json();
    let keys: Vec<&String> = v["properties"].as_object().unwrap().keys().collect();
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_debug_snapshot!("schema_top_level_keys", keys);
    });
}

#[test]
fn init_writes_once() {
    let p = TempProject::empty();
    berth_snapshot!(
        "init",
        p.berth().args(["init", "--name", "shop"]).run().ok()
    );
    berth_snapshot!("init_exists", p.berth().arg("init").run().code(2));
    berth_snapshot!(
        "init_bad_name",
        p.berth()
            .args(["init", "--force", "--name", "Not_A_Name"])
            .run()
            .code(2)
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    berth_snapshot!(
        "unknown_flag",
        Berth::new().args(["validate", "--nope"]).run().code(2)
    );
    berth_snapshot!(
        "bad_output",
        Berth::new().args(["-o", "xml", "validate"]).run().code(2)
    );
    berth_snapshot!(
        "resolve_without_env",
        Berth::new().arg("resolve").run().code(2)
    );
    let p = TempProject::init("shop");
    let run = p.berth().run().code(2);
    assert!(run.stdout.starts_with("One berth.yaml"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Usage: berth [OPTIONS] [COMMAND]"),
        "{}",
        run.stdout
    );
}
