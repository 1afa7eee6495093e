//! The compose plan render returns beside the files: it must say what the files say (health
//! checks, one-shot helpers, services, order), for the fixtures and every example.

use berth_render::plan::{self, ComposePlan, Kind};
use berth_spec::model::SecretSource;
use berth_spec::{Model, Platform, Source};
use serde_json::Value;
use std::collections::BTreeSet;

fn models(path: &str) -> Vec<Model> {
    let text = std::fs::read_to_string(path).unwrap();
    let spec =
        berth_spec::validate_strict(&Source::new(path, text)).unwrap_or_else(|e| panic!("{e}"));
    spec.environments
        .keys()
        .map(|k| berth_spec::resolve(&spec, k).unwrap())
        .filter(|m| m.platform == Platform::Compose)
        .collect()
}

fn fixture(name: &str) -> Model {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    models(&path).remove(0)
}

fn every_compose_model() -> Vec<Model> {
    let root = format!("{}/../..", env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![fixture("init.yaml"), fixture("threads.yaml")];
    for entry in std::fs::read_dir(format!("{root}/examples")).unwrap() {
        let path = entry.unwrap().path().join("berth.yaml");
        if path.exists() {
            out.extend(models(path.to_str().unwrap()));
        }
    }
    assert!(out.len() >= 5, "{}", out.len());
    out
}

/// (service, has an enabled health check, restart policy) of a rendered compose file.
fn services_of(text: &str) -> Vec<(String, bool, String)> {
    let doc: Value = serde_saphyr::from_str(text).unwrap();
    doc["services"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, s)| {
            let health = s
                .get("healthcheck")
                .is_some_and(|h| h.get("disable").and_then(Value::as_bool) != Some(true));
            let restart = s["restart"].as_str().unwrap_or("").to_string();
            (name.clone(), health, restart)
        })
        .collect()
}

#[test]
fn the_plan_matches_the_rendered_files() {
    for m in every_compose_model() {
        let r = plan::compose(&m);
        let p = &r.plan;
        let file = |name: &str| r.files.get_str(&format!("{}/{name}", p.dir)).unwrap();
        assert_eq!(
            p.files[..2],
            ["compose.stores.yaml", "compose.services.yaml"]
        );
        let stores = services_of(file(&p.files[0]));
        let services = services_of(file(&p.files[1]));
        let ctx = format!("{} ({})", m.stack, m.environment);
        // The observability profile's file, when there is one, holds exactly its services.
        let profile: Vec<(String, bool)> = p
            .files
            .get(2)
            .map(|f| {
                services_of(file(f))
                    .into_iter()
                    .map(|s| (s.0, s.1))
                    .collect()
            })
            .unwrap_or_default();
        let planned: Vec<(String, bool)> = p
            .observability
            .iter()
            .map(|o| (o.unit.service.clone(), o.unit.healthcheck))
            .collect();
        assert_eq!(planned, profile, "{ctx}");
        assert_eq!(p.files.len(), 2 + usize::from(!profile.is_empty()), "{ctx}");
        // The same compose services, in file order.
        let in_files: Vec<&str> = stores
            .iter()
            .chain(&services)
            .map(|s| s.0.as_str())
            .collect();
        let in_plan: Vec<&str> = p.units().map(|u| u.service.as_str()).collect();
        assert_eq!(in_plan, in_files, "{ctx}");
        for (name, health, restart) in stores.iter().chain(&services) {
            let unit = p.unit(name).unwrap();
            assert_eq!(unit.healthcheck, *health, "{ctx}: {name}");
            if stores.iter().any(|s| &s.0 == name) {
                // Store helpers are the one-shot services of the stores file.
                let one_shot = restart == "no" || restart.starts_with("on-failure");
                assert_eq!(unit.kind == Kind::Job, one_shot, "{ctx}: {name}");
            }
        }
        for w in &m.workloads {
            let unit = &p.workload(&w.name).unwrap().unit;
            assert_eq!(unit.kind == Kind::Job, w.is_job(), "{ctx}: {}", w.name);
        }
    }
}

#[test]
fn threads_plan_orders_helpers_jobs_and_secrets() {
    let p: ComposePlan = plan::compose(&fixture("threads.yaml")).plan;
    let mongo = p.store("mongo").unwrap();
    let units: Vec<(&str, Kind, bool)> = mongo
        .services
        .iter()
        .map(|u| (u.service.as_str(), u.kind, u.healthcheck))
        .collect();
    assert_eq!(
        units,
        [
            ("mongo", Kind::Store, true),
            ("mongo-1", Kind::Store, true),
            ("mongo-2", Kind::Store, true),
            ("mongo-init", Kind::Job, false)
        ]
    );
    // `cache` runs on the host here: not a store compose starts.
    assert!(p.store("cache").is_none());
    let bootstrap = p.workload("bootstrap").unwrap();
    assert_eq!(bootstrap.unit.kind, Kind::Job);
    assert_eq!(bootstrap.precedes, ["engine"]);
    assert_eq!(bootstrap.stores, ["mongo", "redis"]);
    let engine = p.workload("engine").unwrap();
    assert_eq!(engine.after, ["bootstrap"]);
    let agent = p.workload("persistence-agent").unwrap();
    assert_eq!(agent.after, ["session-agent"]);
    assert_eq!(agent.stores, ["mongo", "rabbitmq", "cache"]);
    let agent = p.workload("session-agent").unwrap();
    assert_eq!(agent.endpoints[0].url, "http://127.0.0.1:3001");
    let jwt = p.secrets.iter().find(|s| s.name == "jwt-secret").unwrap();
    assert!(jwt.generated());
    assert!(matches!(jwt.source, SecretSource::Generate { length: 64 }));
    assert_eq!(jwt.needed_by, ["engine"]);
    // Every store password is needed by its store's env file.
    let mongo_pw = p
        .secrets
        .iter()
        .find(|s| s.needed_by.first().map(String::as_str) == Some("mongo"))
        .unwrap();
    assert!(mongo_pw.generated(), "{mongo_pw:?}");
}

#[test]
fn plans_serialize_for_printing() {
    let p = plan::compose(&fixture("threads.yaml")).plan;
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["project"], "threads");
    assert_eq!(v["stores"][0]["services"][3]["kind"], "job");
    let engine = v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["service"] == "engine")
        .unwrap();
    assert_eq!(engine["healthcheck"], true);
    assert_eq!(engine["kind"], "service");
}

#[test]
fn terraform_plan_is_the_env_root_and_its_files() {
    let path = format!("{}/tests/fixtures/kube.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = berth_spec::validate_strict(&Source::new(path.as_str(), text)).unwrap();
    let mut seen = BTreeSet::new();
    for env in spec.environments.keys() {
        let m = berth_spec::resolve(&spec, env).unwrap();
        let Some(r) = plan::terraform(&m) else {
            assert!(m.cloud.is_none());
            continue;
        };
        let p = &r.plan;
        assert_eq!(p.env_dir, format!("envs/{}", m.environment));
        assert!(p.files.contains(&format!("{}/main.tf", p.env_dir)), "{p:?}");
        // The plan's files are exactly the set's, and what the whole render writes for it.
        let listed: Vec<String> = p.files.iter().map(|f| format!("{}/{f}", p.root)).collect();
        let set: Vec<&str> = r.files.paths().collect();
        assert_eq!(listed, set);
        let whole = berth_render::render(&spec, std::slice::from_ref(&m.environment))
            .unwrap()
            .under("terraform/");
        assert_eq!(r.files, whole);
        seen.insert(m.environment.clone());
    }
    assert!(!seen.is_empty(), "the fixture has a cloud environment");
}
