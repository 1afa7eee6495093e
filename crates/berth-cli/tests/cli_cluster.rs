//! `berth cluster create|status|delete` and `berth forward` end to end, with stub `minikube`,
//! `kind`, `k3d`, `docker` and `kubectl` on PATH (berth-testkit's `stubs`) that record every
//! call and answer with output written from the tools' documented formats. PATH holds only the
//! stubs, so a tool without a stub is "not installed".

mod common;

use berth_testkit::stubs::{PathStubs, Reply};
use common::{Berth, Run};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SPEC: &str = r#"
name: shop
services:
  api: { image: x/api:1, uses: [db], ports: { http: 3000 }, publish: { http: 18000 } }
  web: { image: x/web:1, ports: { http: 8080 } }
stores:
  db: { type: postgres, version: "16", publish: 15432 }
  cache: { type: redis, version: "7" }
environments:
  local: { platform: compose }
  mk: { platform: kubernetes, cluster: minikube, stores: { cache: host } }
  kd: { platform: kubernetes, cluster: kind, namespace: shop-dev, stores: { cache: host } }
  k3: { platform: kubernetes, cluster: k3d, stores: { cache: host } }
  prod: { platform: kubernetes, cluster: eks, cloud: aws, region: eu-west-1 }
"#;

const MK_RUNNING: &str = r#"{"Name":"minikube","Host":"Running","Kubelet":"Running","APIServer":"Running","Kubeconfig":"Configured","Worker":false}"#;
const K3D_RUNNING: &str = r#"[{"name":"shop","nodes":[{"name":"k3d-shop-server-0","role":"server"}],"agentsCount":2,"agentsRunning":2,"serversCount":1,"serversRunning":1,"hasLoadBalancer":true}]"#;
const COREDNS: &str = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns","namespace":"kube-system","resourceVersion":"7"},"data":{"Corefile":".:53 {\n    errors\n    forward . /etc/resolv.conf\n    reload\n}\n"}}"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("berth.yaml"), SPEC).unwrap();
    dir
}

fn berth(dir: &Path, stubs: &PathStubs, args: &[&str]) -> Run {
    Berth::new()
        .dir(dir)
        .env("PATH", &stubs.path())
        .args(args)
        .run()
}

fn stub_minikube(stubs: &PathStubs) {
    stubs
        .program("minikube")
        .on_each(
            &["status"],
            vec![
                Reply::fail(85, "* Profile \"minikube\" not found. Run \"minikube profile list\" to view all profiles.\n"),
                Reply::stdout(MK_RUNNING),
            ],
        )
        .on(&["start"], Reply::stdout("* Done! kubectl is now configured to use \"minikube\" cluster\n"));
}

#[test]
fn minikube_create_runs_start_and_the_add_ons_then_reads_the_state() {
    let dir = project();
    let stubs = PathStubs::new();
    stub_minikube(&stubs);
    let run = berth(dir.path(), &stubs, &["cluster", "create", "mk"]).ok();
    assert_eq!(
        stubs.lines(),
        [
            "minikube status --output json --profile minikube",
            "minikube start --profile minikube --driver docker",
            "minikube addons enable ingress --profile minikube",
            "minikube addons enable metrics-server --profile minikube",
            "minikube status --output json --profile minikube",
        ]
    );
    assert!(
        run.stderr
            .contains("created cluster `minikube` (minikube, context minikube): running"),
        "{}",
        run.stderr
    );
    // Created: a second create changes nothing.
    let again = berth(dir.path(), &stubs, &["cluster", "create", "mk"]).ok();
    assert!(
        again
            .stderr
            .contains("already exists and runs; nothing to do"),
        "{}",
        again.stderr
    );
    assert_eq!(stubs.lines().len(), 6);
    let status = berth(
        dir.path(),
        &stubs,
        &["-o", "json", "cluster", "status", "mk"],
    )
    .ok();
    let v: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(v["state"]["state"], "running");
    assert_eq!(v["cluster"]["context"], "minikube");
    assert_eq!(v["cluster"]["host_alias"], "host.minikube.internal");
}

#[test]
fn k3d_create_status_and_delete_run_the_exact_commands() {
    let dir = project();
    let stubs = PathStubs::new();
    stubs.program("k3d").on_each(
        &["cluster", "list"],
        vec![
            Reply::stdout("[]"),
            Reply::stdout(K3D_RUNNING),
            Reply::stdout(K3D_RUNNING),
            Reply::stdout(K3D_RUNNING),
            Reply::stdout("[]"),
        ],
    );
    berth(dir.path(), &stubs, &["cluster", "create", "k3"]).ok();
    let status = berth(dir.path(), &stubs, &["cluster", "status", "k3"]).ok();
    assert!(
        status
            .stdout
            .contains("cluster `shop` (k3d, context k3d-shop): running; servers 1/1, agents 2/2"),
        "{}",
        status.stdout
    );
    assert!(status
        .stdout
        .contains("pods reach this machine at host.k3d.internal"));
    let deleted = berth(dir.path(), &stubs, &["cluster", "delete", "k3"]).ok();
    assert!(
        deleted.stderr.contains("deleted cluster `shop`"),
        "{}",
        deleted.stderr
    );
    assert_eq!(
        stubs.lines(),
        [
            "k3d cluster list --output json",
            "k3d cluster create shop --servers 1 --agents 2 --port 127.0.0.1:8080:80@loadbalancer --port 127.0.0.1:8443:443@loadbalancer --registry-create shop-registry:127.0.0.1:5000 --wait",
            "k3d cluster list --output json",
            "k3d cluster list --output json",
            "k3d cluster list --output json",
            "k3d cluster delete shop",
            "k3d cluster list --output json",
        ]
    );
}

#[test]
fn kind_create_writes_the_config_under_berth_and_maps_the_host_alias() {
    let dir = project();
    let stubs = PathStubs::new();
    stubs.program("kind").on_each(
        &["get", "clusters"],
        vec![
            Reply::fail(0, "No kind clusters found.\n"),
            Reply::stdout("shop\n"),
        ],
    );
    stubs
        .program("docker")
        .on(&["container", "inspect"], Reply::stdout("true\n"))
        .on(&["info"], Reply::stdout("Ubuntu 24.04.1 LTS\n"))
        .on(
            &["network", "inspect", "kind"],
            Reply::stdout(r#"[{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"},{"Subnet":"fc00:f853:ccd:e793::/64"}]"#),
        );
    stubs.program("kubectl").on(
        &[
            "--context",
            "kind-shop",
            "--namespace",
            "kube-system",
            "get",
        ],
        Reply::stdout(COREDNS),
    );
    berth(dir.path(), &stubs, &["cluster", "create", "kd"]).ok();
    let berth_dir = dir
        .path()
        .canonicalize()
        .unwrap()
        .join(".berth/clusters/kd");
    let config = berth_dir.join("kind.yaml");
    let coredns = berth_dir.join("coredns.json");
    let expected = [
        "kind get clusters".to_string(),
        format!("kind create cluster --name shop --config {} --wait 120s", config.display()),
        "kubectl --context kind-shop apply -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.11.2/deploy/static/provider/kind/deploy.yaml".into(),
        "docker info --format {{.OperatingSystem}}".into(),
        "docker network inspect kind --format {{json .IPAM.Config}}".into(),
        "kubectl --context kind-shop --namespace kube-system get configmap coredns --output json".into(),
        format!("kubectl --context kind-shop replace --filename {}", coredns.display()),
        "kind get clusters".into(),
        "docker container inspect --format {{.State.Running}} shop-control-plane".into(),
    ];
    assert_eq!(stubs.lines(), expected);
    let yaml = std::fs::read_to_string(&config).unwrap();
    assert!(
        yaml.contains("node-labels: \"ingress-ready=true\""),
        "{yaml}"
    );
    assert!(yaml.contains("hostPort: 8443"), "{yaml}");
    let cm = std::fs::read_to_string(&coredns).unwrap();
    assert!(cm.contains("172.18.0.1 host.docker.internal"), "{cm}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".berth/.gitignore"))
            .map(|g| g.contains('*'))
            .ok(),
        Some(true),
        ".berth/ is git-ignored"
    );
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    let dir = project();
    let stubs = PathStubs::new();
    stubs.program("k3d");
    let text = berth(
        dir.path(),
        &stubs,
        &["cluster", "create", "k3", "--dry-run"],
    )
    .ok();
    assert!(
        text.stdout
            .contains("when it does not exist:\n    k3d cluster create shop"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("when it is stopped:\n    k3d cluster start shop --wait"),
        "{}",
        text.stdout
    );
    let json = berth(
        dir.path(),
        &stubs,
        &["-o", "json", "cluster", "delete", "k3", "--dry-run"],
    )
    .ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["action"], "delete");
    assert_eq!(
        v["steps"][0]["argv"],
        serde_json::json!(["k3d", "cluster", "delete", "shop"])
    );
    assert_eq!(stubs.calls(), []);
    assert!(
        !dir.path().join(".berth").exists(),
        "a dry run writes nothing"
    );
}

#[test]
fn a_missing_cli_an_eks_environment_and_a_compose_one_get_one_clear_message() {
    let dir = project();
    let stubs = PathStubs::new();
    let missing = berth(dir.path(), &stubs, &["cluster", "create", "k3"]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(missing.stderr.contains("`k3d` is not installed (needed for `k3d cluster list --output json`): install k3d: https://k3d.io"), "{}", missing.stderr);
    let eks = berth(dir.path(), &stubs, &["cluster", "create", "prod"]);
    assert_eq!(eks.code, 2);
    assert!(
        eks.stderr
            .contains("not a local cluster: `berth infra apply prod`"),
        "{}",
        eks.stderr
    );
    let compose = berth(dir.path(), &stubs, &["cluster", "status", "local"]);
    assert_eq!(compose.code, 2);
    assert!(
        compose
            .stderr
            .contains("runs on compose, not on Kubernetes"),
        "{}",
        compose.stderr
    );
    let unknown = berth(dir.path(), &stubs, &["cluster", "status", "nope"]);
    assert_eq!(unknown.code, 2);
}

#[test]
fn forward_dry_run_lists_one_kubectl_per_published_port() {
    let dir = project();
    let stubs = PathStubs::new();
    let json = berth(
        dir.path(),
        &stubs,
        &["-o", "json", "forward", "kd", "--dry-run"],
    )
    .ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let commands: Vec<String> = v["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c.as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        commands,
        [
            "kubectl port-forward --context kind-shop --namespace shop-dev svc/api 18000:3000",
            "kubectl port-forward --context kind-shop --namespace shop-dev svc/db 15432:5432",
        ]
    );
    let one = berth(dir.path(), &stubs, &["forward", "mk", "db", "--dry-run"]).ok();
    assert!(one.stdout.contains("127.0.0.1:15432 → store db port 5432 (postgres): kubectl port-forward --context minikube --namespace shop svc/db 15432:5432"), "{}", one.stdout);
    let eks = berth(dir.path(), &stubs, &["forward", "prod", "--dry-run"]);
    assert_eq!(eks.code, 2);
    assert!(
        eks.stderr.contains("give its context with --context"),
        "{}",
        eks.stderr
    );
    let ctx = berth(
        dir.path(),
        &stubs,
        &[
            "forward",
            "prod",
            "api",
            "--dry-run",
            "--context",
            "arn:eks:prod",
        ],
    )
    .ok();
    assert!(
        ctx.stdout.contains("--context arn:eks:prod"),
        "{}",
        ctx.stdout
    );
    let unknown = berth(dir.path(), &stubs, &["forward", "k3", "cache", "--dry-run"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("it publishes: api, db"),
        "{}",
        unknown.stderr
    );
    assert_eq!(stubs.calls(), []);
}

/// Wait until the stubs recorded `n` calls.
fn wait_for_calls(stubs: &PathStubs, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while stubs.calls().len() < n {
        assert!(Instant::now() < deadline, "only {:?}", stubs.lines());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie would still show as `Z`.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

#[test]
fn forward_runs_every_port_until_ctrl_c_and_leaves_no_process_behind() {
    let dir = project();
    let stubs = PathStubs::new();
    stubs.program("kubectl").on(
        &["port-forward"],
        Reply::stdout("Forwarding from 127.0.0.1:18000 -> 3000\n").hang(),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["forward", "k3"])
        .current_dir(dir.path())
        .env("PATH", stubs.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_calls(&stubs, 2);
    let pids: Vec<u32> = stubs.calls().iter().filter_map(|c| c.pid).collect();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|p| alive(*p)));
    // SIGINT to berth alone (not its process group): berth itself must stop its children.
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("forwarding 127.0.0.1:18000 → service api port 3000 (http)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[api 18000] Forwarding from 127.0.0.1:18000 -> 3000"),
        "{stderr}"
    );
    assert!(pids.iter().all(|p| !alive(*p)), "a forward outlived berth");
    // The forwards start concurrently: the order they reach the stub in is not fixed.
    let mut lines = stubs.lines();
    lines.sort();
    assert_eq!(
        lines,
        [
            "kubectl port-forward --context k3d-shop --namespace shop svc/api 18000:3000",
            "kubectl port-forward --context k3d-shop --namespace shop svc/db 15432:5432",
        ]
    );
}

#[test]
fn one_forward_failing_stops_the_others_with_its_message() {
    let dir = project();
    let stubs = PathStubs::new();
    stubs
        .program("kubectl")
        .on(
            &[
                "port-forward",
                "--context",
                "minikube",
                "--namespace",
                "shop",
                "svc/db",
            ],
            Reply::fail(
                1,
                "Unable to listen on port 15432: address already in use\n",
            ),
        )
        .on(&["port-forward"], Reply::ok().hang());
    let run = berth(dir.path(), &stubs, &["forward", "mk"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("`kubectl port-forward --context minikube --namespace shop svc/db 15432:5432` ended (exit 1); every other forward was stopped"), "{}", run.stderr);
    assert!(
        run.stderr.contains("address already in use"),
        "{}",
        run.stderr
    );
    // The api forward may be stopped before its stub got to record the call; if it did, the
    // process must be gone.
    let api = stubs
        .calls()
        .into_iter()
        .find(|c| c.args.contains(&"svc/api".to_string()));
    if let Some(pid) = api.and_then(|c| c.pid) {
        assert!(!alive(pid), "the api forward outlived berth");
    }
}
