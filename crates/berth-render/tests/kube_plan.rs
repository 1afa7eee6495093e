//! The Kubernetes plan render returns beside the phase files: it must carry every object of the
//! hydrated file, wait on every rollout and Job, order stores before services, and its files
//! must hold exactly the objects it names. Snapshots for every Kubernetes environment of every
//! example.

use berth_render::plan::{self, KubePlan, PhaseName, WaitFor};
use berth_spec::{Model, Platform, Source};
use serde_json::Value;
use std::collections::BTreeSet;

fn kube_models(path: &std::path::Path) -> Vec<Model> {
    let text = std::fs::read_to_string(path).unwrap();
    let spec = berth_spec::validate_strict(&Source::new(path.display().to_string(), text))
        .unwrap_or_else(|e| panic!("{e}"));
    spec.environments
        .keys()
        .map(|k| berth_spec::resolve(&spec, k).unwrap())
        .filter(|m| m.platform == Platform::Kubernetes)
        .collect()
}

/// (example name, model) for every Kubernetes environment of every example and the fixture.
fn every_kube_model() -> Vec<(String, Model)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut names: Vec<String> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        let path = root.join(format!("examples/{n}/berth.yaml"));
        out.extend(kube_models(&path).into_iter().map(|m| (n.clone(), m)));
    }
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube.yaml");
    out.extend(
        kube_models(&fixture)
            .into_iter()
            .map(|m| ("fixture".to_string(), m)),
    );
    out
}

fn docs(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

fn ids(objs: &[Value]) -> BTreeSet<(String, String)> {
    objs.iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn phase_index(plan: &KubePlan, kind: &str, name: &str) -> usize {
    plan.phases
        .iter()
        .position(|p| p.apply.iter().any(|o| o.kind == kind && o.name == name))
        .unwrap_or_else(|| panic!("{kind}/{name} is in no phase"))
}

#[test]
fn plan_carries_every_object_and_waits_on_every_workload() {
    let all = every_kube_model();
    assert!(all.len() >= 9, "{}", all.len());
    for (ex, m) in &all {
        let r = plan::kubernetes(m);
        let p = &r.plan;
        let hydrated = docs(r.files.get_str(&p.manifest).unwrap());
        let want = ids(&hydrated);
        // Every object of the hydrated file is applied in exactly one phase, and each phase
        // file holds exactly the objects its step names.
        let mut applied = BTreeSet::new();
        for ph in &p.phases {
            let file = ids(&docs(r.files.get_str(&ph.file).unwrap()));
            let named: BTreeSet<_> = ph
                .apply
                .iter()
                .map(|o| (o.kind.clone(), o.name.clone()))
                .collect();
            assert_eq!(file, named, "{ex}/{}: {}", m.environment, ph.file);
            for id in named {
                assert!(applied.insert(id.clone()), "{id:?} applied twice");
            }
        }
        assert_eq!(applied, want, "{ex}/{}", m.environment);
        // Every Deployment and StatefulSet is waited for by rollout, every Job to complete,
        // in the phase that applies it.
        for (kind, name) in &want {
            let until = match kind.as_str() {
                "Deployment" | "StatefulSet" => WaitFor::Rollout,
                "Job" => WaitFor::Complete,
                _ => continue,
            };
            let i = phase_index(p, kind, name);
            assert!(
                p.phases[i]
                    .wait
                    .iter()
                    .any(|w| &w.kind == kind && &w.name == name && w.until == until),
                "{ex}/{}: no wait on {kind}/{name}",
                m.environment
            );
        }
        // Stores before jobs before services; the namespace first, ingress last.
        assert_eq!(p.phases[0].phase, PhaseName::Namespace);
        assert!(p.phases.windows(2).all(|w| w[0].phase < w[1].phase));
        for s in m.stores.iter().filter(|s| s.realization.runs_here()) {
            for w in &m.workloads {
                if let (Some(a), Some(b)) = (first_phase(p, &s.name), first_phase(p, &w.name)) {
                    assert!(
                        a < b,
                        "{ex}/{}: store {} after {}",
                        m.environment,
                        s.name,
                        w.name
                    );
                }
            }
        }
        // A service that waits for a job comes after it.
        for w in m.workloads.iter().filter(|w| w.is_job()) {
            for after in &w.before {
                let (j, s) = (first_phase(p, &w.name), first_phase(p, after));
                assert!(j < s, "{ex}: job {} not before {after}", w.name);
            }
        }
    }
}

/// The phase of a store's or workload's first waited object.
fn first_phase(p: &KubePlan, owner: &str) -> Option<PhaseName> {
    p.phases
        .iter()
        .find(|ph| ph.wait.iter().any(|w| w.owner == owner))
        .map(|ph| ph.phase)
}

#[test]
fn built_images_and_the_local_secret_are_in_the_plan_by_name_only() {
    let all = every_kube_model();
    for (ex, m) in &all {
        let p = plan::kubernetes(m).plan;
        let built: Vec<&str> = m
            .workloads
            .iter()
            .filter(|w| w.build.is_some())
            .map(|w| w.name.as_str())
            .collect();
        let planned: Vec<&str> = p.images.iter().map(|i| i.service.as_str()).collect();
        assert_eq!(planned, built, "{ex}/{}", m.environment);
        if m.is_local_cluster() {
            let s = p.secret.as_ref();
            let needs = m
                .secrets
                .iter()
                .any(|s| !matches!(s.source, berth_spec::model::SecretSource::Aws { .. }));
            assert_eq!(s.is_some(), needs, "{ex}/{}", m.environment);
        }
    }
}

#[test]
fn snapshots_of_every_kubernetes_plan() {
    for (ex, m) in every_kube_model() {
        let p = plan::kubernetes(&m).plan;
        insta::assert_json_snapshot!(format!("{ex}__{}", m.environment), p);
    }
}
