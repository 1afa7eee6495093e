//! `berth infra`: usage errors, and apply + destroy of real rendered Terraform against a
//! `moto_server` on 127.0.0.1 (random free port, started and stopped here), with the Secrets
//! Manager contract checked through boto3 against the same emulator.

mod common;

use common::{repo_root, Berth};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A project dir holding a copy of an example's berth.yaml.
fn project(example: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("berth.yaml");
    std::fs::copy(
        repo_root().join(format!("examples/{example}/berth.yaml")),
        &file,
    )
    .unwrap();
    (dir, file)
}

#[test]
fn unknown_and_non_cloud_environments_are_usage_errors() {
    let (_d, file) = project("srvthreds");
    let r = Berth::new()
        .file(&file)
        .args(["infra", "plan", "nope"])
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown environment `nope`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("dev, staging, prod"), "{}", r.stderr);
    let r = Berth::new()
        .file(&file)
        .args(["infra", "apply", "local"])
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("`local` has no cloud"), "{}", r.stderr);
}

#[test]
fn apply_and_destroy_without_a_terminal_need_auto_approve() {
    let (d, file) = project("srvthreds");
    for action in ["apply", "destroy"] {
        let r = Berth::new()
            .file(&file)
            .args(["infra", action, "dev"])
            .run();
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
    }
    assert!(
        !d.path().join("deploy").exists(),
        "nothing rendered before refusing"
    );
}

#[test]
fn a_bad_endpoint_is_a_usage_error() {
    let (_d, file) = project("srvthreds");
    let r = Berth::new()
        .file(&file)
        .args(["infra", "plan", "dev", "--endpoint", "127.0.0.1:5000"])
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not a URL"), "{}", r.stderr);
}

/// moto_server on a free port of 127.0.0.1; killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // EKS node and cluster roles attach AWS-managed policies.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server runs");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen");
            std::thread::sleep(Duration::from_millis(200));
        }
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Terraform's plugin cache is not safe for concurrent `terraform init`
/// (two installs of the same provider race on `mkdir`), so each example the
/// test applies in parallel gets its own cache directory.
fn plugin_cache(example: &str) -> String {
    let dir = std::env::var("TF_PLUGIN_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("berth-tf-plugin-cache"))
        .join(example);
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

fn infra(example: &str, file: &Path, endpoint: &str, args: &[&str]) -> common::Run {
    // Both examples share the emulator's one account, which has one GitHub OIDC provider:
    // mindflow creates it, srvthreds (a second stack in the account) does not.
    let create_oidc = (example != "srvthreds").to_string();
    Berth::new()
        .file(file)
        .env("TF_PLUGIN_CACHE_DIR", &plugin_cache(example))
        .env("TF_VAR_create_github_oidc_provider", &create_oidc)
        .args(["infra"])
        .args(args)
        .args(["--endpoint", endpoint])
        .run()
}

/// Read a secret from the emulator with boto3 (moto's own dependency).
fn secret(endpoint: &str, region: &str, name: &str) -> serde_json::Value {
    let script = r#"
import boto3, sys
c = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name=sys.argv[3],
                 aws_access_key_id="test", aws_secret_access_key="test")
print(c.get_secret_value(SecretId=sys.argv[2])["SecretString"])
"#;
    let out = Command::new("python3")
        .args(["-c", script, endpoint, name, region])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&out.stdout).trim().to_string())
    })
}

/// The inline policy of a workload role, read back from the emulator's IAM.
fn role_policy(endpoint: &str, region: &str, role: &str) -> serde_json::Value {
    let script = r#"
import boto3, json, sys, urllib.parse
c = boto3.client("iam", endpoint_url=sys.argv[1], region_name=sys.argv[3],
                 aws_access_key_id="test", aws_secret_access_key="test")
doc = c.get_role_policy(RoleName=sys.argv[2], PolicyName=sys.argv[2] + "-uses")["PolicyDocument"]
print(json.dumps(doc if isinstance(doc, dict) else json.loads(urllib.parse.unquote(doc))))
"#;
    let out = Command::new("python3")
        .args(["-c", script, endpoint, role, region])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An IAM call's answer read back from the emulator with boto3 (`python` gets the client `c`
/// and the arguments after the region; prints JSON).
fn iam(endpoint: &str, region: &str, python: &str, args: &[&str]) -> serde_json::Value {
    let script = format!(
        "import boto3, json, sys, urllib.parse\n\
         c = boto3.client(sys.argv[3], endpoint_url=sys.argv[1], region_name=sys.argv[2], \
         aws_access_key_id='test', aws_secret_access_key='test')\n\
         def doc(d): return d if isinstance(d, dict) else json.loads(urllib.parse.unquote(d))\n{python}\n"
    );
    let out = Command::new("python3")
        .args(["-c", &script, endpoint, region])
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// mindflow dev: the plan role trusts only the repository's pull-request jobs; it reads
/// (SecurityAudit and an inline policy of Get/List/Describe/Decrypt) and writes nothing but the
/// state's lock object.
fn ci_plan_role(endpoint: &str, region: &str, outputs: &serde_json::Value) {
    let arn = outputs["ci_plan_role_arn"].as_str().unwrap_or_default();
    assert!(arn.ends_with(":role/mindflow-dev-ci-plan"), "{outputs}");
    let role = ["iam", "mindflow-dev-ci-plan"];
    let trust = iam(
        endpoint,
        region,
        "print(json.dumps(doc(c.get_role(RoleName=sys.argv[4])['Role']['AssumeRolePolicyDocument'])))",
        &role,
    );
    let cond = &trust["Statement"][0]["Condition"]["StringEquals"];
    assert_eq!(
        cond["token.actions.githubusercontent.com:sub"], "repo:mindflow/mindflow:pull_request",
        "{trust}"
    );
    assert_eq!(
        cond["token.actions.githubusercontent.com:aud"],
        "sts.amazonaws.com"
    );
    let attached = iam(
        endpoint,
        region,
        "print(json.dumps([p['PolicyArn'] for p in c.list_attached_role_policies(RoleName=sys.argv[4])['AttachedPolicies']]))",
        &role,
    );
    assert_eq!(
        attached,
        serde_json::json!(["arn:aws:iam::aws:policy/SecurityAudit"])
    );
    let policy = iam(
        endpoint,
        region,
        "print(json.dumps(doc(c.get_role_policy(RoleName=sys.argv[4], PolicyName=sys.argv[4] + '-read')['PolicyDocument'])))",
        &role,
    );
    let mut lock = false;
    for st in policy["Statement"].as_array().unwrap() {
        let resources: Vec<&str> = st["Resource"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        for a in st["Action"].as_array().unwrap() {
            let a = a.as_str().unwrap();
            let verb = a.split(':').nth(1).unwrap();
            if ["Get", "List", "Describe", "Decrypt"]
                .iter()
                .any(|v| verb.starts_with(v))
            {
                continue;
            }
            assert!(
                ["s3:PutObject", "s3:DeleteObject"].contains(&a),
                "{a}: {policy}"
            );
            assert_eq!(
                resources,
                ["arn:aws:s3:::mindflow-dev-tfstate/berth/mindflow/dev/terraform.tfstate.tflock"],
                "{policy}"
            );
            lock = true;
        }
    }
    assert!(lock, "the plan takes the state lock: {policy}");
}

/// mindflow dev: the CI role trusts only the repository's jobs in the GitHub environment `dev`
/// and may push to the stack's ECR repositories and describe the cluster, nothing else; the
/// backup CronJob's role writes only under its prefix, which expires after `retain` days.
fn ci_and_backup_roles(endpoint: &str, region: &str, outputs: &serde_json::Value) {
    let arn = outputs["ci_role_arn"].as_str().unwrap_or_default();
    assert!(arn.ends_with(":role/mindflow-dev-ci"), "{outputs}");
    let trust = iam(
        endpoint,
        region,
        "print(json.dumps(doc(c.get_role(RoleName=sys.argv[4])['Role']['AssumeRolePolicyDocument'])))",
        &["iam", "mindflow-dev-ci"],
    );
    let cond = &trust["Statement"][0]["Condition"]["StringEquals"];
    assert_eq!(
        cond["token.actions.githubusercontent.com:sub"], "repo:mindflow/mindflow:environment:dev",
        "{trust}"
    );
    assert!(trust["Statement"][0]["Principal"]["Federated"]
        .as_str()
        .unwrap()
        .ends_with(":oidc-provider/token.actions.githubusercontent.com"));
    let policy = iam(
        endpoint,
        region,
        "print(json.dumps(doc(c.get_role_policy(RoleName=sys.argv[4], PolicyName=sys.argv[4] + '-deploy')['PolicyDocument'])))",
        &["iam", "mindflow-dev-ci"],
    );
    for st in policy["Statement"].as_array().unwrap() {
        for a in st["Action"].as_array().unwrap() {
            let a = a.as_str().unwrap();
            assert!(
                a.starts_with("ecr:") || a == "eks:DescribeCluster",
                "{a}: {policy}"
            );
        }
        if st["Sid"] == "EcrPush" {
            let res = st["Resource"].to_string();
            assert!(res.contains(":repository/mindflow/"), "{policy}");
        }
    }
    let backup = role_policy(endpoint, region, "mindflow-dev-postgres-backup");
    let objects = backup["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "UploadsObjects")
        .unwrap_or_else(|| panic!("{backup}"));
    assert!(
        objects["Resource"]
            .to_string()
            .contains("mindflow-dev-uploads/backups/postgres/*"),
        "{backup}"
    );
    let rules = iam(
        endpoint,
        region,
        "print(json.dumps(c.get_bucket_lifecycle_configuration(Bucket=sys.argv[4])['Rules'], default=str))",
        &["s3", "mindflow-dev-uploads"],
    );
    let rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Filter"]["Prefix"] == "backups/postgres/")
        .unwrap_or_else(|| panic!("no backup rule: {rules}"));
    assert_eq!(rule["Expiration"]["Days"], 7, "{rule}");
}

/// mindflow dev: each workload's role names only the buckets, queues and topics it `uses`
/// (and the keys that encrypt them), never another store's.
fn workload_policies_name_only_their_stores(endpoint: &str, region: &str) {
    let stores = ["uploads", "jobs", "events", "search"];
    for (workload, own) in [
        ("command-service", &["events", "uploads"][..]),
        ("notifications", &["jobs"][..]),
    ] {
        let doc = role_policy(endpoint, region, &format!("mindflow-dev-{workload}"));
        let mut arns = Vec::new();
        for st in doc["Statement"].as_array().unwrap() {
            match &st["Resource"] {
                serde_json::Value::Array(a) => arns.extend(a.iter().map(|r| r.to_string())),
                r => arns.push(r.to_string()),
            }
        }
        for arn in &arns {
            let named: Vec<&&str> = stores
                .iter()
                .filter(|s| arn.contains(&format!("mindflow-dev-{s}")))
                .collect();
            assert!(
                named.iter().all(|s| own.contains(s))
                    && (arn.contains(":kms:") || !named.is_empty()),
                "{workload}: {arn} is not one of its own stores {own:?}: {doc}"
            );
        }
        for s in own {
            assert!(
                arns.iter()
                    .any(|a| a.contains(&format!("mindflow-dev-{s}"))),
                "{workload}: {s} missing in {doc}"
            );
        }
    }
}

/// Apply, check, destroy one example's environment against the emulator.
fn apply_check_destroy(example: &str, env: &str, region: &str, endpoint: &str) -> (usize, String) {
    let (dir, file) = project(example);
    let start = Instant::now();
    let plan = infra(example, &file, endpoint, &["plan", env]);
    assert_eq!(plan.code, 0, "{example} plan:\n{}", plan.stderr);
    assert!(plan.stderr.contains("to add"), "{}", plan.stderr);
    let apply = infra(
        example,
        &file,
        endpoint,
        &["apply", env, "--auto-approve", "-o", "json"],
    );
    assert_eq!(apply.code, 0, "{example} apply:\n{}", apply.stderr);
    let applied = start.elapsed();
    let summary: serde_json::Value = serde_json::from_str(&apply.stdout).unwrap();
    let added = summary["applied"]["add"].as_u64().unwrap();
    assert!(added > 40, "{summary}");
    let outputs = &summary["outputs"];
    // Managed stores the emulator can create wrote the Kubernetes contract's secret.
    let mut checked = 0;
    for (k, v) in outputs.as_object().unwrap() {
        let Some(store) = k.strip_suffix("_secret_name") else {
            continue;
        };
        let Some(name) = v.as_str() else { continue }; // toggled off: null
        assert_eq!(name, format!("{example}/{env}/{store}"));
        let s = secret(endpoint, region, name);
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        // Stores that log in: the five keys (and read_url with read replicas); buckets, queues
        // and topics: no credential, their names and endpoints (docs/wiring.md).
        let required: &[&str] = if keys.contains(&"password") {
            assert!(keys.len() == 5 || keys.contains(&"read_url"), "{s}");
            &["url", "host", "port", "user", "password"]
        } else {
            assert!(keys.contains(&"region"), "{s}");
            &["url", "host", "port", "endpoint", "region"]
        };
        for key in required {
            let val = s[key].as_str().unwrap_or_default();
            assert!(!val.is_empty(), "{name}: {key} empty in {s}");
        }
        // A login store's URL names its host; a queue's URL is the emulator's own address here
        // (moto answers `http://localhost:PORT/ACCOUNT/NAME`), so only its scheme is checked.
        let url = s["url"].as_str().unwrap();
        if keys.contains(&"password") {
            assert!(url.contains(s["host"].as_str().unwrap()), "{name}: {s}");
        } else {
            assert!(url.starts_with("http"), "{name}: {s}");
        }
        checked += 1;
    }
    assert!(checked >= 1, "no store secret checked: {outputs}");
    if example == "mindflow" {
        workload_policies_name_only_their_stores(endpoint, region);
        ci_and_backup_roles(endpoint, region, outputs);
        ci_plan_role(endpoint, region, outputs);
    }
    // A generated declared secret exists with its declared length.
    let jwt = secret(endpoint, region, &format!("{example}/{env}/jwt-secret"));
    assert_eq!(jwt.as_str().map(str::len), Some(64), "{jwt}");
    // The committed files were not touched by emulator mode.
    let rendered = dir.path().join(format!("deploy/terraform/envs/{env}"));
    let names: Vec<String> = std::fs::read_dir(&rendered)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("emulator") && !n.contains("tfstate")),
        "{names:?}"
    );
    let destroy = infra(
        example,
        &file,
        endpoint,
        &["destroy", env, "--auto-approve", "-o", "json"],
    );
    assert_eq!(destroy.code, 0, "{example} destroy:\n{}", destroy.stderr);
    let d: serde_json::Value = serde_json::from_str(&destroy.stdout).unwrap();
    assert_eq!(d["applied"]["destroy"].as_u64(), Some(added), "{d}");
    assert_eq!(d["resources_in_state"].as_u64(), Some(0), "{d}");
    (
        added as usize,
        format!(
            "{example}/{env}: {added} resources, plan+apply {:.0?}, total {:.0?}",
            applied,
            start.elapsed()
        ),
    )
}

#[test]
fn apply_and_destroy_against_moto() {
    berth_testkit::require!(berth_testkit::MOTO_SERVER, berth_testkit::TERRAFORM);
    let moto = Moto::start();
    let endpoint = moto.endpoint.clone();
    // srvthreds dev: DocumentDB, ElastiCache (left out) and Amazon MQ; mindflow dev: RDS with a
    // read replica, S3, SQS, SNS and the workload roles (OpenSearch and SES left out).
    let e2 = endpoint.clone();
    let other =
        std::thread::spawn(move || apply_check_destroy("mindflow", "dev", "us-east-1", &e2));
    let (_, a) = apply_check_destroy("srvthreds", "dev", "us-west-2", &endpoint);
    let (_, b) = other.join().unwrap();
    eprintln!("{a}\n{b}");
}
