//! Durations, quantities, image references and versions are decoded once, where they are
//! written: a bad one is a diagnostic at its place, a good one reaches the model typed.

use berth_spec::{load, resolve, validate, Source};

const SPEC: &str = "name: shop
services:
  api:
    image: ghcr.io/acme/api:1.4@sha256:abc
    ports: { http: 8080 }
    health: { http: { path: /health }, interval: 1m30s, timeout: 500ms }
    uses: [db]
    resources: { cpu: 250m, memory: 256Mi }
    volumes:
      data: { path: /data, size: 2Gi }
stores:
  db: { type: postgres, version: \"16.2\", storage: 20Gi }
environments:
  local: { platform: compose }
";

#[test]
fn values_are_typed_in_the_spec_and_the_model() {
    let loaded = validate(&Source::new("berth.yaml", SPEC));
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let spec = loaded.spec.unwrap();
    let api = &spec.services["api"];
    let image = &api.image.as_ref().unwrap().value;
    assert_eq!(image.registry.as_deref(), Some("ghcr.io"));
    assert_eq!(image.repository, "acme/api");
    assert_eq!(image.tag.as_deref(), Some("1.4"));
    assert_eq!(image.digest.as_deref(), Some("sha256:abc"));
    let health = api.health.as_ref().unwrap();
    assert_eq!(health.interval.as_ref().unwrap().secs(), 90);
    assert_eq!(spec.stores["db"].version().unwrap().minor(), Some(2));

    let model = resolve(&spec, "local").unwrap();
    let w = model.workload("api").unwrap();
    let h = w.health.as_ref().unwrap();
    assert_eq!((h.interval_s, h.timeout_s), (90, 1));
    assert_eq!(w.resources.cpu_request.millis(), 250);
    assert_eq!(w.resources.memory_request.bytes(), 256 << 20);
    assert_eq!(w.volumes[0].size.gib_ceil(), 2);
    let db = model.store("db").unwrap();
    assert_eq!(db.version.as_ref().unwrap().major(), 16);
    assert_eq!(db.storage.gib_ceil(), 20);
    assert_eq!(db.image.as_ref().unwrap().to_string(), "postgres:16.2");
}

#[test]
fn limits_default_to_the_requests() {
    let spec = validate(&Source::new("berth.yaml", SPEC)).spec.unwrap();
    let model = resolve(&spec, "local").unwrap();
    let r = &model.workload("api").unwrap().resources;
    assert_eq!(r.cpu_limit, r.cpu_request);
    assert_eq!(r.memory_limit, r.memory_request);
    let db = &model.store("db").unwrap().resources;
    assert_eq!(
        (db.cpu_request.as_str(), db.memory_request.as_str()),
        ("250m", "256Mi")
    );
    assert_eq!(db.cpu_limit, db.cpu_request);
}

#[test]
fn the_model_serializes_values_as_written() {
    let spec = validate(&Source::new("berth.yaml", SPEC)).spec.unwrap();
    let model = serde_json::to_value(resolve(&spec, "local").unwrap()).unwrap();
    let api = &model["workloads"][0];
    assert_eq!(api["image"], "ghcr.io/acme/api:1.4@sha256:abc");
    assert_eq!(api["resources"]["cpu_request"], "250m");
    assert_eq!(api["volumes"][0]["size"], "2Gi");
    assert_eq!(model["stores"][0]["version"], "16.2");
}

#[test]
fn bad_values_are_reported_by_the_loader_where_they_are_written() {
    let text = SPEC
        .replace("interval: 1m30s", "interval: 99999999999h")
        .replace("cpu: 250m", "cpu: lots")
        .replace("\"16.2\"", "\"16.x\"");
    let src = Source::new("berth.yaml", text);
    let loaded = load(&src);
    let found: Vec<(&str, usize, usize, String)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code, d.span.line, d.span.col, d.message.clone()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "B2007",
                6,
                50,
                "`99999999999h` is too long for a duration".to_string()
            ),
            (
                "B2011",
                8,
                23,
                "`lots` is not a valid CPU quantity".to_string()
            ),
            (
                "B2018",
                12,
                34,
                "`16.x` is not a valid store version".to_string()
            ),
        ]
    );
}
