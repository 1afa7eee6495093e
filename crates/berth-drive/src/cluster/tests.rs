//! Plans and their execution against a scripted runner whose outputs follow the tools'
//! documented formats.

use super::*;
use crate::process::{Cmd, Output, Runner};
use std::collections::VecDeque;
use std::io;
use std::sync::Mutex;

const SPEC: &str = r#"
name: shop
services:
  api: { image: x/api:1, uses: [db], ports: { http: 3000 } }
stores:
  db: { type: postgres, version: "16" }
environments:
  local: { platform: compose }
  mk: { platform: kubernetes, cluster: minikube }
  kd: { platform: kubernetes, cluster: kind }
  k3: { platform: kubernetes, cluster: k3d }
  prod: { platform: kubernetes, cluster: eks, cloud: aws, region: eu-west-1 }
"#;

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

/// Answers by argv prefix; each prefix has a queue of answers (the last one repeats).
/// A program listed in `missing` is not installed.
#[derive(Default)]
struct Script {
    answers: Vec<(String, Mutex<VecDeque<Output>>)>,
    missing: Vec<&'static str>,
    calls: Mutex<Vec<String>>,
}

fn out(code: i32, stdout: &str) -> Output {
    Output {
        code: Some(code),
        stdout: stdout.into(),
        stderr: String::new(),
    }
}

impl Script {
    fn on(mut self, prefix: &str, answers: &[Output]) -> Self {
        self.answers
            .push((prefix.into(), Mutex::new(answers.iter().cloned().collect())));
        self
    }
    fn missing(mut self, program: &'static str) -> Self {
        self.missing.push(program);
        self
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl Runner for Script {
    fn output(&self, cmd: &Cmd) -> io::Result<Output> {
        let line = cmd.display();
        self.calls.lock().unwrap().push(line.clone());
        if self.missing.contains(&cmd.program.as_str()) {
            return Err(io::Error::new(io::ErrorKind::NotFound, "not found"));
        }
        for (prefix, queue) in &self.answers {
            if line.starts_with(prefix.as_str()) {
                let mut q = queue.lock().unwrap();
                let answer = if q.len() > 1 {
                    q.pop_front()
                } else {
                    q.front().cloned()
                };
                return Ok(answer.unwrap_or_default());
            }
        }
        Ok(out(0, ""))
    }
    fn interactive(&self, _: &Cmd) -> io::Result<Option<i32>> {
        Err(io::Error::other("never interactive"))
    }
}

fn plan_of(env: &str, action: Action) -> ClusterPlan {
    plan(&model(env), action, Path::new("/p/.berth")).unwrap()
}

use std::path::Path;

const MK_RUNNING: &str = r#"{"Name":"minikube","Host":"Running","Kubelet":"Running","APIServer":"Running","Kubeconfig":"Configured","Worker":false}"#;
const MK_STOPPED: &str = r#"{"Name":"minikube","Host":"Stopped","Kubelet":"Stopped","APIServer":"Stopped","Kubeconfig":"Stopped","Worker":false}"#;
const K3D_RUNNING: &str = r#"[{"name":"shop","nodes":[{"name":"k3d-shop-server-0","role":"server","State":{"Running":true,"Status":"running"}}],"agentsCount":2,"agentsRunning":2,"serversCount":1,"serversRunning":1,"hasLoadBalancer":true,"imageVolume":"k3d-shop-images"}]"#;
const K3D_STOPPED: &str = r#"[{"name":"shop","nodes":[],"agentsCount":2,"agentsRunning":0,"serversCount":1,"serversRunning":0,"hasLoadBalancer":true}]"#;
const COREDNS: &str = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns","namespace":"kube-system","resourceVersion":"231","uid":"u-1"},"data":{"Corefile":".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n    forward . /etc/resolv.conf\n    reload\n}\n"}}"#;

#[test]
fn identity_follows_the_naming_rule_and_refuses_what_is_not_a_local_cluster() {
    let ids: Vec<(Tool, String, String, String)> = ["mk", "kd", "k3"]
        .iter()
        .map(|e| {
            let id = Identity::of(&model(e)).unwrap();
            (id.tool, id.cluster, id.context, id.host_alias)
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        ids,
        [
            (
                Tool::Minikube,
                s("minikube"),
                s("minikube"),
                s("host.minikube.internal")
            ),
            (
                Tool::Kind,
                s("shop"),
                s("kind-shop"),
                s("host.docker.internal")
            ),
            (Tool::K3d, s("shop"), s("k3d-shop"), s("host.k3d.internal")),
        ]
    );
    let eks = Identity::of(&model("prod")).unwrap_err();
    assert!(eks.is_usage());
    assert!(eks.to_string().contains("berth infra apply prod"), "{eks}");
    let compose = Identity::of(&model("local")).unwrap_err();
    assert!(compose.is_usage());
    assert!(compose.to_string().contains("runs on compose"), "{compose}");
}

#[test]
fn plans_carry_the_seed_topologies() {
    let k3 = plan_of("k3", Action::Create);
    let Step::Run { argv } = &k3.steps[0] else {
        panic!("k3d creates with one command")
    };
    assert_eq!(
        argv.join(" "),
        "k3d cluster create shop --servers 1 --agents 2 \
         --port 127.0.0.1:8080:80@loadbalancer --port 127.0.0.1:8443:443@loadbalancer \
         --registry-create shop-registry:127.0.0.1:5000 --wait"
    );
    let mk = plan_of("mk", Action::Create);
    let lines: Vec<String> = mk
        .steps
        .iter()
        .map(|s| match s {
            Step::Run { argv } => argv.join(" "),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "minikube start --profile minikube --driver docker",
            "minikube addons enable ingress --profile minikube",
            "minikube addons enable metrics-server --profile minikube",
        ]
    );
    let kd = plan_of("kd", Action::Create);
    let Step::Write { path, contents } = &kd.steps[0] else {
        panic!("kind starts with its config file")
    };
    assert_eq!(path, Path::new("/p/.berth/clusters/kd/kind.yaml"));
    let config: serde_json::Value = serde_saphyr::from_str(contents).unwrap();
    assert_eq!(config["kind"], "Cluster");
    assert_eq!(config["name"], "shop");
    let node = &config["nodes"][0];
    assert_eq!(node["role"], "control-plane");
    assert!(node["kubeadmConfigPatches"][0]
        .as_str()
        .unwrap()
        .contains("node-labels: \"ingress-ready=true\""));
    let ports: Vec<(u64, u64, &str)> = node["extraPortMappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["containerPort"].as_u64().unwrap(),
                m["hostPort"].as_u64().unwrap(),
                m["listenAddress"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(ports, [(80, 8080, "127.0.0.1"), (443, 8443, "127.0.0.1")]);
    assert!(
        matches!(&kd.steps[3], Step::HostAlias { alias, context, .. }
        if alias == "host.docker.internal" && context == "kind-shop")
    );
    assert_eq!(
        plan_of("kd", Action::Delete).steps,
        [Step::Run {
            argv: ["kind", "delete", "cluster", "--name", "shop"]
                .map(String::from)
                .to_vec()
        }]
    );
}

#[test]
fn create_of_a_running_cluster_changes_nothing() {
    for (env, runner) in [
        (
            "mk",
            Script::default().on("minikube status", &[out(0, MK_RUNNING)]),
        ),
        (
            "k3",
            Script::default().on("k3d cluster list", &[out(0, K3D_RUNNING)]),
        ),
        (
            "kd",
            Script::default()
                .on("kind get clusters", &[out(0, "other\nshop\n")])
                .on("docker container inspect", &[out(0, "true\n")]),
        ),
    ] {
        let outcome = execute(&runner, &plan_of(env, Action::Create), &mut |_| {}).unwrap();
        assert_eq!(outcome.before.state, State::Running, "{env}");
        assert!(outcome.ran.is_empty(), "{env}: {:?}", outcome.ran);
        assert!(
            runner
                .calls()
                .iter()
                .all(|c| !c.contains("create") && !c.contains("start")),
            "{env}: {:?}",
            runner.calls()
        );
    }
}

#[test]
fn create_of_an_absent_cluster_runs_the_steps_then_reads_the_state_again() {
    let runner = Script::default().on("k3d cluster list", &[out(0, "[]"), out(0, K3D_RUNNING)]);
    let mut lines = Vec::new();
    let outcome = execute(&runner, &plan_of("k3", Action::Create), &mut |l| {
        lines.push(l.to_string())
    })
    .unwrap();
    assert_eq!(outcome.before.state, State::Absent);
    assert_eq!(outcome.after.state, State::Running);
    assert_eq!(
        outcome.after.nodes,
        Some(Nodes {
            servers_running: 1,
            servers: 1,
            agents_running: 2,
            agents: 2
        })
    );
    let calls = runner.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls[1].starts_with("k3d cluster create shop"), "{calls:?}");
    assert!(calls[2].starts_with("k3d cluster list"), "{calls:?}");
}

#[test]
fn create_of_a_stopped_cluster_starts_it() {
    let mk = Script::default().on("minikube status", &[out(7, MK_STOPPED), out(0, MK_RUNNING)]);
    let outcome = execute(&mk, &plan_of("mk", Action::Create), &mut |_| {}).unwrap();
    assert_eq!(outcome.before.state, State::Stopped);
    assert_eq!(outcome.ran, ["minikube start --profile minikube"]);
    let k3 = Script::default().on(
        "k3d cluster list",
        &[out(0, K3D_STOPPED), out(0, K3D_RUNNING)],
    );
    let outcome = execute(&k3, &plan_of("k3", Action::Create), &mut |_| {}).unwrap();
    assert_eq!(outcome.ran, ["k3d cluster start shop --wait"]);
    let kd = Script::default()
        .on("kind get clusters", &[out(0, "shop\n")])
        .on(
            "docker container inspect",
            &[out(0, "false\n"), out(0, "true\n")],
        );
    let outcome = execute(&kd, &plan_of("kd", Action::Create), &mut |_| {}).unwrap();
    assert_eq!(outcome.ran, ["docker start shop-control-plane"]);
    assert_eq!(outcome.after.state, State::Running);
}

#[test]
fn kind_create_writes_its_config_and_maps_the_host_alias_to_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(&model("kd"), Action::Create, dir.path()).unwrap();
    let runner = Script::default()
        .on("kind get clusters", &[out(0, ""), out(0, "shop\n")])
        .on("docker container inspect", &[out(0, "true\n")])
        .on("docker info", &[out(0, "Ubuntu 24.04 LTS\n")])
        .on(
            "docker network inspect kind",
            &[out(
                0,
                r#"[{"Subnet":"fc00:f853:ccd:e793::/64"},{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]"#,
            )],
        )
        .on("kubectl --context kind-shop --namespace kube-system get", &[out(0, COREDNS)]);
    let outcome = execute(&runner, &plan, &mut |_| {}).unwrap();
    let config = dir.path().join("clusters/kd/kind.yaml");
    assert!(std::fs::read_to_string(&config)
        .unwrap()
        .contains("ingress-ready=true"));
    let calls = runner.calls();
    assert!(
        calls.contains(&format!(
            "kind create cluster --name shop --config {} --wait 120s",
            config.display()
        )),
        "{calls:?}"
    );
    let coredns = dir.path().join("clusters/kd/coredns.json");
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.contains("replace"))
            .collect::<Vec<_>>(),
        [&format!(
            "kubectl --context kind-shop replace --filename {}",
            coredns.display()
        )]
    );
    let cm: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&coredns).unwrap()).unwrap();
    let corefile = cm["data"]["Corefile"].as_str().unwrap();
    assert!(
        corefile.contains("172.18.0.1 host.docker.internal"),
        "{corefile}"
    );
    assert!(cm["metadata"].get("resourceVersion").is_none());
    assert_eq!(
        outcome.ran.last().unwrap(),
        "host.docker.internal → 172.18.0.1 in CoreDNS"
    );
}

#[test]
fn the_host_alias_block_is_replaced_not_repeated_and_skipped_on_docker_desktop() {
    let corefile: serde_json::Value = serde_json::from_str(COREDNS).unwrap();
    let corefile = corefile["data"]["Corefile"].as_str().unwrap();
    let once = kind::corefile_with_alias(corefile, "host.docker.internal", [172, 18, 0, 1].into())
        .unwrap();
    let twice =
        kind::corefile_with_alias(&once, "host.docker.internal", [172, 19, 0, 1].into()).unwrap();
    assert_eq!(twice.matches("hosts {").count(), 1, "{twice}");
    assert!(twice.contains("172.19.0.1 host.docker.internal"));
    assert!(!twice.contains("172.18.0.1"));
    assert!(
        twice.contains("    health {\n       lameduck 5s\n    }\n"),
        "{twice}"
    );
    assert!(kind::corefile_with_alias("example.org {\n}\n", "a", [1, 2, 3, 4].into()).is_err());

    let runner = Script::default()
        .on("kind get clusters", &[out(0, ""), out(0, "shop\n")])
        .on("docker container inspect", &[out(0, "true\n")])
        .on("docker info", &[out(0, "Docker Desktop\n")]);
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(&model("kd"), Action::Create, dir.path()).unwrap();
    let outcome = execute(&runner, &plan, &mut |_| {}).unwrap();
    assert!(runner.calls().iter().all(|c| !c.contains("coredns")));
    assert!(outcome
        .ran
        .last()
        .unwrap()
        .contains("Docker Desktop resolves it"));
}

#[test]
fn delete_of_an_absent_cluster_changes_nothing_and_of_a_present_one_deletes_it() {
    let absent = Script::default().on(
        "minikube status",
        &[Output {
            code: Some(85),
            stdout: String::new(),
            stderr: "* Profile \"minikube\" not found. Run \"minikube profile list\" to view all profiles.\n".into(),
        }],
    );
    let outcome = execute(&absent, &plan_of("mk", Action::Delete), &mut |_| {}).unwrap();
    assert_eq!(outcome.before.state, State::Absent);
    assert!(outcome.ran.is_empty());

    let present = Script::default().on("kind get clusters", &[out(0, "shop\n"), out(0, "")]);
    let outcome = execute(&present, &plan_of("kd", Action::Delete), &mut |_| {}).unwrap();
    assert_eq!(outcome.ran, ["kind delete cluster --name shop"]);
    assert_eq!(outcome.after.state, State::Absent);
}

#[test]
fn status_reads_each_tools_output() {
    let mk = Script::default().on("minikube status", &[out(7, MK_STOPPED)]);
    let s = status(&mk, &plan_of("mk", Action::Status)).unwrap();
    assert_eq!(s.state, State::Stopped);
    assert_eq!(
        s.detail.as_deref(),
        Some("host Stopped, kubelet Stopped, apiserver Stopped, kubeconfig Stopped")
    );
    let mk = Script::default().on(
        "minikube status",
        &[out(85, r#"{"Name":"minikube","Host":"Nonexistent","Kubelet":"Nonexistent","APIServer":"Nonexistent","Kubeconfig":"Nonexistent","Worker":false}"#)],
    );
    assert_eq!(
        status(&mk, &plan_of("mk", Action::Status)).unwrap().state,
        State::Absent
    );
    let kd = Script::default().on("kind get clusters", &[out(0, "")]);
    assert_eq!(
        status(&kd, &plan_of("kd", Action::Status)).unwrap().state,
        State::Absent
    );
    let k3 = Script::default().on("k3d cluster list", &[out(0, "not json")]);
    let err = status(&k3, &plan_of("k3", Action::Status)).unwrap_err();
    assert!(
        err.to_string().contains("k3d cluster list --output json"),
        "{err}"
    );
}

#[test]
fn a_missing_cli_is_named_with_how_to_install_it() {
    for (env, program, hint) in [
        ("mk", "minikube", "minikube.sigs.k8s.io"),
        ("kd", "kind", "kind.sigs.k8s.io"),
        ("k3", "k3d", "k3d.io"),
    ] {
        let runner = Script::default().missing(program);
        let err = execute(&runner, &plan_of(env, Action::Create), &mut |_| {}).unwrap_err();
        assert!(!err.is_usage());
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("`{program}` is not installed")),
            "{msg}"
        );
        assert!(msg.contains(hint), "{msg}");
        assert_eq!(
            runner.calls().len(),
            1,
            "{env}: nothing runs after the probe"
        );
    }
}

#[test]
fn a_failing_create_reports_the_command_and_its_last_lines() {
    let runner = Script::default()
        .on("k3d cluster list", &[out(0, "[]")])
        .on(
            "k3d cluster create",
            &[Output {
                code: Some(1),
                stdout: "INFO[0000] Creating network\n".into(),
                stderr: "FATA[0001] Failed Cluster Creation: port 8080 is already allocated\n"
                    .into(),
            }],
        );
    let err = execute(&runner, &plan_of("k3", Action::Create), &mut |_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("`k3d cluster create shop"), "{msg}");
    assert!(msg.contains("(exit 1)"), "{msg}");
    assert!(msg.contains("port 8080 is already allocated"), "{msg}");
}
