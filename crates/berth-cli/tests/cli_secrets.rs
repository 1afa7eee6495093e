//! `berth secrets ENV` through the binary: the plan first (`--dry-run`, `-o json`, nothing
//! written), then the rendered compose directory's `.secrets/` files that plain `docker compose`
//! reads, or the Kubernetes Secret on stdout; values shared with `berth up` through `.berth/`.

mod common;
use common::TempProject;

const SPEC: &str = "name: vault
services:
  api:
    image: x/api:1
    ports: { http: 8080 }
    health: { http: { path: / } }
    uses: [postgres]
    secrets: [token, partner-key]
    secret_files: { cert: cert }
stores:
  postgres: { type: postgres, version: \"16\" }
secrets:
  token: { generate: {} }
  partner-key: { env: BERTH_TEST_PARTNER_KEY_UNSET }
  cert: { file: cert.pem }
environments:
  local: { platform: compose }
  kind: { platform: kubernetes, cluster: kind }
  dev: { platform: native }
";

fn project() -> TempProject {
    let p = TempProject::empty();
    p.write("berth.yaml", SPEC).write("cert.pem", "PEM\n");
    p
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let p = project();
    let run = p
        .berth()
        .args(["-o", "json", "secrets", "local", "--dry-run"])
        .run()
        .ok();
    let plan = run.stdout_json();
    assert_eq!(plan["platform"], "compose");
    let files: Vec<&str> = plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "compose/local/.secrets/postgres.env",
            "compose/local/.secrets/api.env",
            "compose/local/.secrets/cert.secret"
        ]
    );
    let text = run.stdout.to_string();
    assert!(!text.contains("PEM"), "no value in the plan: {text}");
    assert!(!p.path().join("deploy").exists() && !p.path().join(".berth").exists());
    let human = p.berth().args(["secrets", "local", "--dry-run"]).run().ok();
    assert!(
        human
            .stdout
            .contains("partner-key: host variable BERTH_TEST_PARTNER_KEY_UNSET"),
        "{}",
        human.stdout
    );
}

#[test]
fn compose_files_make_the_rendered_directory_complete() {
    let p = project();
    p.berth().args(["render", "-e", "local"]).run().ok();
    let run = p.berth().args(["secrets", "local"]).run().ok();
    assert!(
        run.stderr
            .contains("BERTH_TEST_PARTNER_KEY_UNSET is not set"),
        "a missing host variable is named: {}",
        run.stderr
    );
    let api = p.read("deploy/compose/local/.secrets/api.env");
    assert!(
        api.contains("TOKEN=\"") && api.contains("PARTNER_KEY=\"\""),
        "{api}"
    );
    assert_eq!(p.read("deploy/compose/local/.secrets/cert.secret"), "PEM");
    // The generated token is the one `berth up` will use: kept in .berth/secrets.json.
    let state = p.read(".berth/secrets.json");
    let token = api.lines().find(|l| l.starts_with("TOKEN=")).unwrap();
    let value = token.trim_start_matches("TOKEN=\"").trim_end_matches('"');
    assert!(state.contains(value), "{state}");
    if berth_testkit::DOCKER_COMPOSE.is_present() {
        let out = std::process::Command::new("docker")
            .current_dir(p.path().join("deploy/compose/local"))
            .args([
                "compose",
                "-f",
                "compose.stores.yaml",
                "-f",
                "compose.services.yaml",
            ])
            .args(["config", "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let env = &config["services"]["api"]["environment"];
        assert!(
            env.get("TOKEN").is_some() && env.get("PARTNER_KEY").is_some(),
            "{env}"
        );
    }
}

#[test]
fn kubernetes_prints_the_secret_for_kubectl() {
    let p = project();
    let run = p
        .berth()
        .env("BERTH_TEST_PARTNER_KEY_UNSET", "pk")
        .args(["secrets", "kind"])
        .run()
        .ok();
    assert!(run.stdout.contains("kind: Secret"), "{}", run.stdout);
    assert!(run.stdout.contains("name: vault-secrets"), "{}", run.stdout);
    assert!(run.stdout.contains("partner-key: pk"), "{}", run.stdout);
    assert!(
        !p.path().join("deploy").exists(),
        "nothing written but state"
    );
}

#[test]
fn a_native_or_unknown_environment_is_a_usage_error() {
    let p = project();
    let run = p.berth().args(["secrets", "dev"]).run().code(2);
    assert!(run.stderr.contains("berth dev"), "{}", run.stderr);
    p.berth().args(["secrets", "nope"]).run().code(2);
}
