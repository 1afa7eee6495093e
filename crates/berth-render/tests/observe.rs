//! Observability as rendered for Kubernetes and compose (docs/observability.md): a monitor per
//! scrape target, rules `promtool check rules` accepts, dashboards whose every query reads a
//! metric some scrape target of the stack exposes, the OTLP variables on every workload, and
//! the NetworkPolicies that allow the scrapes and OTLP.

use berth_render::kube;
use berth_render::observe::{self, dashboards::dashboards, rules::rules};
use berth_spec::{Model, Source, Spec};
use serde_json::Value;
use std::path::Path;

fn load(path: &Path) -> Spec {
    let text = std::fs::read_to_string(path).unwrap();
    let loaded = berth_spec::validate(&Source::new(path.display().to_string(), text));
    assert!(!loaded.diagnostics.iter().any(|d| d.is_error()));
    loaded.spec.unwrap()
}

fn fixture() -> Spec {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube.yaml"))
}

fn model(env: &str) -> Model {
    berth_spec::resolve(&fixture(), env).unwrap()
}

fn docs(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

fn objects(m: &Model) -> Vec<Value> {
    docs(&kube::hydrated(m))
}

fn named<'a>(objs: &'a [Value], kind: &str) -> Vec<(&'a str, &'a Value)> {
    objs.iter()
        .filter(|o| o["kind"] == kind)
        .map(|o| (o["metadata"]["name"].as_str().unwrap(), o))
        .collect()
}

#[test]
fn a_monitor_per_target_one_rule_object_and_dashboards_with_the_sidecar_label() {
    let m = model("kind");
    let objs = objects(&m);
    let monitors = named(&objs, "ServiceMonitor");
    let names: Vec<&str> = monitors.iter().map(|(n, _)| *n).collect();
    // In-cluster postgres and mongo through their exporter sidecars, redis is on the host.
    assert_eq!(names, ["postgres", "mongo", "rabbitmq", "api", "worker"]);
    let worker = &monitors[4].1["spec"];
    assert_eq!(worker["endpoints"][0]["port"], "metrics");
    assert_eq!(worker["endpoints"][0]["path"], "/stats");
    assert_eq!(worker["endpoints"][0]["interval"], "15s");
    assert_eq!(
        worker["selector"]["matchLabels"]["app.kubernetes.io/name"],
        "worker"
    );
    // The rabbitmq Service names the metrics port its monitor scrapes.
    let svc = named(&objs, "Service")
        .into_iter()
        .find(|(n, _)| *n == "rabbitmq")
        .unwrap()
        .1;
    assert!(svc["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "prometheus" && p["port"] == 15692));
    assert_eq!(named(&objs, "PrometheusRule").len(), 1);
    let boards: Vec<&str> = named(&objs, "ConfigMap")
        .into_iter()
        .filter(|(_, o)| o["metadata"]["labels"]["grafana_dashboard"] == "1")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        boards,
        [
            "shop-dashboard-overview",
            "shop-dashboard-api",
            "shop-dashboard-worker"
        ]
    );
    // Nothing observed, nothing rendered.
    let mut off = m.clone();
    off.observability.metrics = false;
    off.observability.traces = false;
    off.observability.logs = false;
    let objs = objects(&off);
    for kind in ["ServiceMonitor", "PrometheusRule"] {
        assert!(named(&objs, kind).is_empty(), "{kind}");
    }
    assert!(!named(&objs, "Deployment")
        .iter()
        .any(|(n, _)| *n == "otel-collector"));
    assert!(!named(&objs, "ConfigMap")
        .iter()
        .any(|(n, _)| n.contains("dashboard")));
}

#[test]
fn every_workload_sends_otlp_to_the_collector_it_may_reach() {
    for env in ["kind", "staging"] {
        let m = model(env);
        let objs = objects(&m);
        for w in &m.workloads {
            let cm = named(&objs, "ConfigMap")
                .into_iter()
                .find(|(n, _)| *n == format!("{}-config", w.name))
                .unwrap_or_else(|| panic!("{env}: {} has no config", w.name))
                .1;
            let data = &cm["data"];
            assert_eq!(
                data["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://otel-collector:4318",
                "{env}/{}",
                w.name
            );
            assert_eq!(data["OTEL_SERVICE_NAME"], w.name.as_str());
            let attrs = format!("service.namespace=shop,deployment.environment={env}");
            assert_eq!(data["OTEL_RESOURCE_ATTRIBUTES"], attrs.as_str());
            let policy = named(&objs, "NetworkPolicy")
                .into_iter()
                .find(|(n, _)| *n == w.name)
                .unwrap()
                .1;
            let egress = policy["spec"]["egress"].as_array().unwrap();
            assert!(
                egress
                    .iter()
                    .any(
                        |e| e["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                            == "otel-collector"
                            && e["ports"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|p| p["port"] == 4318)
                    ),
                "{env}/{}",
                w.name
            );
        }
        let collector = named(&objs, "Deployment")
            .into_iter()
            .find(|(n, _)| *n == "otel-collector")
            .unwrap()
            .1;
        let pod = &collector["spec"]["template"]["spec"];
        let c = &pod["containers"][0];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL");
        assert!(
            c["resources"]["limits"]["memory"].is_string()
                && c["readinessProbe"].is_object()
                && c["livenessProbe"].is_object()
        );
        let config = named(&objs, "ConfigMap")
            .into_iter()
            .find(|(n, _)| *n == "otel-collector")
            .unwrap()
            .1;
        let config: Value =
            serde_saphyr::from_str(config["data"]["config.yaml"].as_str().unwrap()).unwrap();
        let logs = config["service"]["pipelines"]["logs"]["exporters"][0]
            .as_str()
            .unwrap();
        assert_eq!(
            logs,
            if env == "kind" {
                "otlphttp/loki"
            } else {
                "awscloudwatchlogs"
            }
        );
        assert!(config["exporters"][logs].is_object());
    }
}

#[test]
fn scrapes_come_from_the_monitoring_namespace_to_the_metrics_port_only() {
    let m = model("kind");
    let objs = objects(&m);
    let policy = |name: &str| {
        named(&objs, "NetworkPolicy")
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
            .clone()
    };
    let from_monitoring = |p: &Value| -> Vec<u64> {
        p["spec"]["ingress"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                i["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                    == "monitoring"
            })
            .flat_map(|i| {
                i["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["port"].as_u64().unwrap())
            })
            .collect()
    };
    assert_eq!(from_monitoring(&policy("api")), [9090]);
    assert_eq!(from_monitoring(&policy("worker")), [9100]);
    assert_eq!(from_monitoring(&policy("rabbitmq")), [15692]);
    assert_eq!(from_monitoring(&policy("postgres")), [9187]);
    assert_eq!(from_monitoring(&policy("mongo")), [9216]);
    // The collector takes OTLP from the stack's pods only.
    let c = policy("otel-collector");
    let ingress = c["spec"]["ingress"].as_array().unwrap();
    assert_eq!(ingress.len(), 1);
    assert_eq!(
        ingress[0]["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/part-of"],
        "shop"
    );
}

/// Every panel of every dashboard queries a metric that a scrape target of the stack exposes:
/// the services' declared contract, the stores' exporters and, on Kubernetes, the cluster's
/// kube-state-metrics and kubelet.
#[test]
fn every_panel_reads_a_metric_a_scrape_target_exposes() {
    let mut panels = 0;
    for env in ["local", "kind", "staging", "prod"] {
        let m = model(env);
        let exposed = observe::exposed(&m);
        for (stem, d) in dashboards(&m) {
            let text = d.to_string();
            let d: Value = serde_json::from_str(&text).unwrap();
            assert!(d["uid"].as_str().unwrap().len() <= 40);
            for p in d["panels"].as_array().unwrap() {
                for t in p["targets"].as_array().unwrap() {
                    let expr = t["expr"].as_str().unwrap();
                    let metrics = observe::selected_metrics(expr);
                    assert!(!metrics.is_empty(), "{env}/{stem}: {expr}");
                    for metric in metrics {
                        assert!(
                            exposed.contains(metric),
                            "{env}/{stem}: `{metric}` in {expr} is exposed by no target"
                        );
                    }
                    panels += 1;
                }
            }
        }
        // Rules read the same metrics.
        for g in rules(&m).groups {
            for r in g.rules {
                for metric in observe::selected_metrics(&r.expr) {
                    assert!(
                        exposed.contains(metric),
                        "{env}: rule {}: `{metric}`",
                        r.alert
                    );
                }
            }
        }
    }
    assert!(panels > 20, "{panels}");
}

#[test]
fn oracle_promtool_accepts_the_prometheus_rule_of_every_environment() {
    berth_testkit::require!(berth_testkit::PROMTOOL);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for env in ["kind", "staging", "prod"] {
        let m = model(env);
        let objs = objects(&m);
        let rule = named(&objs, "PrometheusRule")[0].1;
        let path = dir.path().join(format!("{env}.rules.yml"));
        std::fs::write(&path, berth_render::yaml::to_yaml(&rule["spec"])).unwrap();
        files.push(path.display().to_string());
    }
    let out = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .args(&files)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("SUCCESS").count(), 3, "{text}");
}

/// The compose environment of the fixture, written out as `berth up` writes it (secret files
/// with stand-in values, build contexts present).
fn compose_project(m: &Model) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("berth-observe-")
        .tempdir()
        .unwrap();
    let out = tmp.path().join("deploy");
    let set = berth_render::compose::render(m);
    berth_drive::artifacts::write(&set, &out).unwrap();
    let secrets =
        berth_render::compose::secret_files(m, &|s, k| Some(format!("x-{s}-{k}"))).unwrap();
    berth_drive::artifacts::write(&secrets, &out).unwrap();
    std::fs::create_dir_all(tmp.path().join("secrets")).unwrap();
    std::fs::write(tmp.path().join("secrets/signing.key"), "k").unwrap();
    std::fs::write(tmp.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let dir = out.join(berth_render::compose::dir(m));
    (tmp, dir)
}

#[test]
fn compose_runs_the_profile_with_the_same_rules_and_dashboards() {
    let m = model("local");
    let plan = berth_render::compose::plan(&m);
    assert_eq!(plan.files.last().unwrap(), "compose.observability.yaml");
    let services: Vec<&str> = plan
        .observability
        .iter()
        .map(|o| o.unit.service.as_str())
        .collect();
    // Traces are off in `local`; logs still go through the collector; the stores compose runs
    // get their exporters (rabbitmq serves its own metrics).
    assert_eq!(
        services,
        [
            "prometheus",
            "grafana",
            "otel-collector",
            "postgres-exporter",
            "redis-exporter",
            "mongo-exporter"
        ]
    );
    let urls: Vec<&str> = plan
        .observability
        .iter()
        .flat_map(|o| o.endpoints.iter().map(|e| e.url.as_str()))
        .collect();
    assert_eq!(urls, ["http://127.0.0.1:9090", "http://127.0.0.1:3000"]);
    let set = berth_render::compose::render(&m);
    let text = |p: &str| {
        String::from_utf8(
            set.get(&format!("compose/local/{p}"))
                .unwrap_or_else(|| panic!("{p}"))
                .to_vec(),
        )
        .unwrap()
    };
    let rules: Value = serde_saphyr::from_str(&text("observability/rules.yml")).unwrap();
    assert_eq!(rules, serde_json::to_value(rules_of(&m)).unwrap());
    let prom: Value = serde_saphyr::from_str(&text("observability/prometheus.yml")).unwrap();
    let jobs: Vec<&str> = prom["scrape_configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        jobs,
        ["api", "worker", "postgres", "redis", "mongo", "rabbitmq"]
    );
    let target = |job: &str| {
        prom["scrape_configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job_name"] == job)
            .unwrap()["static_configs"][0]["targets"][0]
            .clone()
    };
    assert_eq!(target("postgres"), "postgres-exporter:9187");
    assert_eq!(target("redis"), "redis-exporter:9121");
    assert_eq!(target("mongo"), "mongo-exporter:9216");
    assert_eq!(prom["global"]["scrape_interval"], "15s");
    let board: Value =
        serde_json::from_str(&text("observability/grafana/dashboards/api.json")).unwrap();
    assert_eq!(
        board["panels"][0]["targets"][0]["expr"],
        "sum(rate(http_requests_total{job=\"api\"}[5m]))"
    );
    let doc: Value = serde_saphyr::from_str(&text("compose.observability.yaml")).unwrap();
    for s in services {
        assert_eq!(doc["services"][s]["profiles"][0], "observability", "{s}");
    }
    assert_eq!(
        doc["services"]["prometheus"]["image"],
        "${BERTH_PROMETHEUS_IMAGE:-prom/prometheus:v2.53.2}"
    );
    // An exporter reads its store's password from the store's env file, hardened, image overridable.
    let pg = &doc["services"]["postgres-exporter"];
    assert_eq!(
        pg["image"],
        "${BERTH_POSTGRES_EXPORTER_IMAGE:-quay.io/prometheuscommunity/postgres-exporter:v0.15.0}"
    );
    let stores: Value = serde_saphyr::from_str(&text("compose.stores.yaml")).unwrap();
    assert_eq!(pg["env_file"], stores["services"]["postgres"]["env_file"]);
    assert!(pg["entrypoint"][2]
        .as_str()
        .unwrap()
        .starts_with("DATA_SOURCE_PASS=\"$$POSTGRES_PASSWORD\""));
    assert_eq!(pg["read_only"], true);
    assert_eq!(pg["cap_drop"][0], "ALL");
}

fn rules_of(m: &Model) -> berth_render::observe::rules::RuleFile {
    rules(m)
}

#[test]
fn oracle_promtool_and_compose_accept_the_compose_profile() {
    berth_testkit::require!(berth_testkit::PROMTOOL, berth_testkit::DOCKER_COMPOSE);
    let m = model("local");
    let (_tmp, dir) = compose_project(&m);
    let out = std::process::Command::new("promtool")
        .args(["check", "config", "observability/prometheus.yml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("rules.yml") && text.matches("SUCCESS").count() >= 2,
        "{text}"
    );
    let plan = berth_render::compose::plan(&m);
    let mut args = vec!["compose", "-p", "shop", "--profile", "observability"];
    for f in &plan.files {
        args.extend(["-f", f.as_str()]);
    }
    args.extend(["config", "--format", "json"]);
    let out = std::process::Command::new("docker")
        .args(&args)
        .current_dir(&dir)
        .env_remove("BERTH_PROMETHEUS_IMAGE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config: Value = serde_json::from_slice(&out.stdout).unwrap();
    let prom = &config["services"]["prometheus"];
    assert_eq!(prom["image"], "prom/prometheus:v2.53.2");
    let mounts: Vec<&str> = prom["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        mounts,
        [
            "/etc/prometheus/prometheus.yml",
            "/etc/prometheus/rules.yml"
        ]
    );
    assert!(prom["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["read_only"] == true));
}
