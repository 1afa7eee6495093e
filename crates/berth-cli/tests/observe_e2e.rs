//! End to end on the real Docker engine: `berth up` of a stack with metrics on starts the
//! observability profile's Prometheus (`berth-local/prometheus:2`, Debian's prometheus, standing
//! in for prom/prometheus through BERTH_PROMETHEUS_IMAGE), which scrapes the quickstart API's
//! `/metrics`: the API's target shows as `up` in Prometheus' /api/v1/targets. Grafana's image
//! is not on this machine (no registry): `berth up` says it does not start it.

mod common;

use berth_testkit::{require, DOCKER_COMPOSE, DOCKER_ENGINE};
use common::dev::free_port;
use common::docker::{docker, Cleanup};
use common::Berth;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const DEMO: berth_testkit::Oracle = berth_testkit::image(
    "berth-local/berth-demo:dev",
    "examples/quickstart/app/build-image.sh builds it",
);
const PROMETHEUS: berth_testkit::Oracle = berth_testkit::local_image("berth-local/prometheus:2");

/// GET on 127.0.0.1: the body, when something answers.
fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

#[test]
fn berth_up_starts_prometheus_and_the_api_target_is_up() {
    require!(DOCKER_ENGINE, DOCKER_COMPOSE, DEMO, PROMETHEUS);
    let name = format!("bt-obs-{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let (api, prom) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("berth.yaml");
    std::fs::write(
        &file,
        format!(
            "name: {name}\nservices:\n  api:\n    image: berth-local/berth-demo:dev\n    ports: {{ http: 8080 }}\n    publish: {{ http: {api} }}\n\
             \x20   health: {{ exec: [/usr/local/bin/berth-demo, --check, \"http://127.0.0.1:8080/health\"], interval: 2s, timeout: 3s, retries: 15 }}\n\
             \x20   metrics: {{ port: http }}\n\
             observability: {{ metrics: true, scrape_interval: 2s }}\n\
             environments:\n  local: {{ platform: compose }}\n"
        ),
    )
    .unwrap();
    let up = Berth::new()
        .file(&file)
        .env("BERTH_PROMETHEUS_IMAGE", "berth-local/prometheus:2")
        .env("BERTH_PROMETHEUS_PORT", &prom.to_string())
        .env("BERTH_GRAFANA_IMAGE", "berth-local/no-such-grafana:0")
        .args(["up"])
        .run();
    let said = format!("{}{}", up.stdout, up.stderr);
    assert_eq!(up.code, 0, "{said}");
    assert!(said.contains("not starting grafana"), "{said}");
    assert!(
        said.contains("http://127.0.0.1:9090") || said.contains("prometheus"),
        "{said}"
    );
    // The API serves the metrics contract.
    let metrics = get(api, "/metrics").expect("the API answers");
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    // Prometheus scrapes it: the api target goes up.
    let start = Instant::now();
    let targets = loop {
        let body = get(prom, "/api/v1/targets").unwrap_or_default();
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let active = v["data"]["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if active
            .iter()
            .any(|t| t["labels"]["job"] == "api" && t["health"] == "up")
        {
            break active;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "api target never up: {body}"
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    assert_eq!(targets.len(), 1, "{targets:?}");
    assert_eq!(targets[0]["scrapeUrl"], "http://api:8080/metrics");
    // The rules Prometheus loaded are the stack's.
    let rules = get(prom, "/api/v1/rules").unwrap();
    assert!(
        rules.contains("HighErrorRatio") && rules.contains("WorkloadNotReady"),
        "{rules}"
    );
    let down = Berth::new().file(&file).args(["down"]).run();
    assert_eq!(down.code, 0, "{}{}", down.stdout, down.stderr);
    let label = format!("label=com.docker.compose.project={name}");
    let left = docker(&["ps", "-q", "--filter", &label]);
    assert!(left.trim().is_empty(), "still running after down: {left}");
}
