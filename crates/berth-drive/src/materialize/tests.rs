use super::*;

struct Host;
impl SecretSources for Host {
    fn env(&self, var: &str) -> Option<String> {
        (var == "SET").then(|| "from-env".to_string())
    }
    fn file(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
    fn random(&self, buf: &mut [u8]) -> Result<(), String> {
        buf.fill(7);
        Ok(())
    }
}

const SPEC: &str = "name: s
services:
  api:
    image: x/api:1
    uses: [postgres]
    secrets: [token, stripe]
    secret_files:
      /run/secrets/cert: cert
stores:
  postgres: { type: postgres, version: \"16\" }
secrets:
  token: { env: SET }
  stripe: { env: BERTH_TEST_SURELY_UNSET }
  cert: { file: cert.pem }
environments:
  local: { platform: compose }
  kind: { platform: kubernetes, cluster: kind }
";

fn model(env: &str) -> Model {
    let source = berth_spec::Source::new("berth.yaml", SPEC.to_string());
    let loaded = berth_spec::validate(&source);
    assert!(
        !loaded.diagnostics.iter().any(|d| d.is_error()),
        "{:?}",
        loaded.diagnostics
    );
    berth_spec::resolve(&loaded.spec.unwrap(), env).unwrap()
}

#[test]
fn compose_files_land_in_the_rendered_directory_with_every_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "PEM\n").unwrap();
    let ws = Workspace::new(dir.path());
    let out = dir.path().join("deploy");
    let m = model("local");
    let plan = plan(&m, &out, &ws).unwrap();
    let paths: Vec<&str> = plan.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "compose/local/.secrets/postgres.env",
            "compose/local/.secrets/api.env",
            "compose/local/.secrets/cert.secret"
        ]
    );
    let done = run(&plan, &m, &ws, &Host).unwrap();
    assert_eq!(done.files.len(), 3);
    let api = std::fs::read_to_string(out.join("compose/local/.secrets/api.env")).unwrap();
    assert!(api.contains("TOKEN=\"from-env\""), "{api}");
    assert!(
        api.contains("STRIPE=\"\""),
        "a missing variable is written empty: {api}"
    );
    assert_eq!(
        done.missing,
        [Missing {
            kind: "env",
            name: "BERTH_TEST_SURELY_UNSET".into()
        }]
    );
    let cert = std::fs::read_to_string(out.join("compose/local/.secrets/cert.secret")).unwrap();
    assert_eq!(cert, "PEM");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(out.join("compose/local/.secrets/api.env")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    // Generated values are shared with `berth up`: kept in .berth/secrets.json, reused.
    let pg = std::fs::read_to_string(out.join("compose/local/.secrets/postgres.env")).unwrap();
    assert!(std::fs::read_to_string(ws.secrets_path())
        .unwrap()
        .contains("postgres-password"));
    run(&plan, &m, &ws, &Host).unwrap();
    let again = std::fs::read_to_string(out.join("compose/local/.secrets/postgres.env")).unwrap();
    assert_eq!(pg, again);
}

#[test]
fn kubernetes_gets_the_secret_object_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path());
    let m = model("kind");
    let plan = plan(&m, &dir.path().join("deploy"), &ws).unwrap();
    assert!(plan.files.is_empty() && plan.out.is_none());
    let secret = plan.secret.clone().expect("a Secret of local values");
    assert_eq!(secret.name, "s-secrets");
    let done = run(&plan, &m, &ws, &Host).unwrap();
    let obj = done.manifest.expect("the Secret");
    assert_eq!(obj["kind"], "Secret");
    assert_eq!(obj["metadata"]["name"], "s-secrets");
    assert!(
        !dir.path().join("deploy").exists(),
        "nothing written but state"
    );
    assert!(done
        .missing
        .iter()
        .any(|m| m.kind == "file" && m.name.ends_with("cert.pem")));
}
