//! ArgoCD artifacts, and the custom resources (ApplicationSet, AppProject, ExternalSecret,
//! ClusterSecretStore, Argo Rollouts' Rollout and AnalysisTemplate, prometheus-operator's
//! ServiceMonitor and PrometheusRule) checked against their CRD
//! schemas. No CRD schema ships offline here
//! (kubernetes-validate only knows built-in kinds), so `tests/fixtures/crd-schemas/` holds the
//! subset of each upstream CRD schema that Berth writes, strict like kubectl's field
//! validation, and a small JSON Schema checker below applies it.

use berth_spec::{Model, Source, Spec};
use serde_json::Value;
use std::path::Path;

fn load(path: &Path) -> Spec {
    let text = std::fs::read_to_string(path).unwrap();
    let src = Source::new(path.display().to_string(), text);
    let loaded = berth_spec::validate(&src);
    assert!(!loaded.diagnostics.iter().any(|d| d.is_error()));
    loaded.spec.unwrap()
}

fn specs() -> Vec<(String, Spec)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<(String, Spec)> = [
        "srvthreds",
        "automation-center",
        "comind-ops",
        "mindflow",
        "quickstart",
    ]
    .iter()
    .map(|n| {
        (
            n.to_string(),
            load(&root.join(format!("../../examples/{n}/berth.yaml"))),
        )
    })
    .collect();
    v.push((
        "fixture".into(),
        load(&root.join("tests/fixtures/kube.yaml")),
    ));
    v
}

fn docs(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// The subset of JSON Schema the CRD schemas use: type, enum, properties, required,
/// additionalProperties (false or a schema), items.
fn check(schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(e) = schema.get("enum").and_then(|e| e.as_array()) {
        if !e.contains(v) {
            errors.push(format!("{path}: {v} not one of {e:?}"));
        }
    }
    let ty = schema.get("type").and_then(|t| t.as_str());
    let ok = match ty {
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("boolean") => v.is_boolean(),
        _ => true,
    };
    if !ok {
        errors.push(format!("{path}: expected {}, got {v}", ty.unwrap_or("?")));
        return;
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(|p| p.as_object());
        for r in schema
            .get("required")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                errors.push(format!("{path}: missing required `{r}`"));
            }
        }
        for (k, val) in obj {
            let p = format!("{path}.{k}");
            match (
                props.and_then(|p| p.get(k)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => check(s, val, &p, errors),
                (None, Some(Value::Bool(false))) => errors.push(format!("{p}: unknown field")),
                (None, Some(s)) if s.is_object() => check(s, val, &p, errors),
                _ => {}
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), v.as_array()) {
        for (i, item) in list.iter().enumerate() {
            check(items, item, &format!("{path}[{i}]"), errors);
        }
    }
}

fn schema(kind: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "tests/fixtures/crd-schemas/{}.json",
        kind.to_lowercase()
    ));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn validate(o: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(&schema(o["kind"].as_str().unwrap()), o, "", &mut errors);
    errors
}

#[test]
fn schema_checker_rejects_what_kubectl_would() {
    let mut bad: Value = serde_json::json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": { "name": "x", "namespace": "n" },
        "spec": { "secretStoreRef": { "name": "s", "kind": "Vault" }, "data": [{ "secretKey": "k", "remoteRef": {} }], "bogus": 1 },
    });
    let errors = validate(&bad);
    assert_eq!(errors.len(), 3, "{errors:?}");
    bad["spec"] = serde_json::json!({ "secretStoreRef": { "name": "s" } });
    assert!(validate(&bad).is_empty());
}

#[test]
fn custom_resources_match_their_crd_schemas() {
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for (name, spec) in specs() {
        let set = berth_render::render(&spec, &[]).unwrap();
        for (path, bytes) in set.iter() {
            if !(path.starts_with("gitops/") || path.starts_with("k8s/rendered/")) {
                continue;
            }
            if path.ends_with("kustomization.yaml") {
                continue;
            }
            for o in docs(std::str::from_utf8(bytes).unwrap()) {
                let kind = o["kind"].as_str().unwrap().to_string();
                if !CUSTOM_KINDS.contains(&kind.as_str()) {
                    continue;
                }
                let errors = validate(&o);
                assert!(errors.is_empty(), "{name}: {path}: {kind}: {errors:#?}");
                *checked.entry(kind).or_default() += 1;
            }
        }
    }
    assert_eq!(checked.len(), CUSTOM_KINDS.len(), "{checked:?}");
}

/// The custom resources Berth renders, each checked against its CRD schema fixture.
const CUSTOM_KINDS: [&str; 8] = [
    "ServiceMonitor",
    "PrometheusRule",
    "ApplicationSet",
    "AppProject",
    "ExternalSecret",
    "ClusterSecretStore",
    "Rollout",
    "AnalysisTemplate",
];

fn models(spec: &Spec) -> Vec<Model> {
    spec.environments
        .keys()
        .map(|k| berth_spec::resolve(spec, &k.value).unwrap())
        .filter(|m| m.platform == berth_spec::Platform::Kubernetes)
        .collect()
}

#[test]
fn one_application_per_kubernetes_environment_from_the_named_repository() {
    for (name, spec) in specs() {
        let set = berth_render::render(&spec, &[]).unwrap();
        let ms = models(&spec);
        let Some(repo) = ms[0].repository.clone() else {
            assert!(
                set.iter().all(|(p, _)| !p.starts_with("gitops/")),
                "{name}: no repository, no GitOps files"
            );
            continue;
        };
        let project = &docs(set.get_str("gitops/argocd/project.yaml").unwrap())[0];
        assert_eq!(project["metadata"]["namespace"], "argocd");
        let stack = &ms[0].stack;
        assert_eq!(project["metadata"]["name"], stack.as_str());
        assert_eq!(
            project["spec"]["sourceRepos"],
            serde_json::json!([repo.url])
        );
        let kinds: Vec<&str> = project["spec"]["namespaceResourceWhitelist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kind"].as_str().unwrap())
            .collect();
        for k in [
            "Deployment",
            "Rollout",
            "CronJob",
            "ExternalSecret",
            "NetworkPolicy",
        ] {
            assert!(kinds.contains(&k), "{name}: {k} not admitted: {kinds:?}");
        }
        assert!(
            !kinds.contains(&"Namespace"),
            "cluster-scoped kinds are listed apart"
        );
        let set_doc = &docs(set.get_str("gitops/argocd/applicationset.yaml").unwrap())[0];
        assert_eq!(set_doc["kind"], "ApplicationSet");
        let template = &set_doc["spec"]["template"]["spec"];
        assert_eq!(template["project"], stack.as_str());
        assert_eq!(template["source"]["repoURL"], repo.url.as_str());
        assert_eq!(template["source"]["targetRevision"], repo.branch.as_str());
        let elements = set_doc["spec"]["generators"][0]["list"]["elements"]
            .as_array()
            .unwrap();
        assert_eq!(
            elements.len(),
            ms.len(),
            "{name}: one Application per environment"
        );
        for (m, e) in ms.iter().zip(elements) {
            assert_eq!(e["env"], m.environment.as_str());
            assert_eq!(e["namespace"], m.namespace.as_str());
            assert_eq!(e["path"], format!("deploy/k8s/overlays/{}", m.environment));
            let auto = if m.environment.contains("prod") {
                "false"
            } else {
                "true"
            };
            assert_eq!(
                e["automated"], auto,
                "{name}/{}: prod syncs by hand",
                m.environment
            );
            // The project admits the destination, and the overlay it points at exists.
            assert!(project["spec"]["destinations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["namespace"] == m.namespace.as_str()));
            assert!(set
                .get(&format!(
                    "k8s/overlays/{}/kustomization.yaml",
                    m.environment
                ))
                .is_some());
        }
        let patch = set_doc["spec"]["templatePatch"].as_str().unwrap();
        assert!(
            patch.contains("selfHeal: true") && patch.contains("prune: true"),
            "{patch}"
        );
        let opts = &template["syncPolicy"]["syncOptions"];
        assert!(opts
            .as_array()
            .unwrap()
            .contains(&"CreateNamespace=true".into()));
        let k = &docs(set.get_str("gitops/argocd/kustomization.yaml").unwrap())[0];
        assert_eq!(k["resources"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn no_placeholder_in_anything_rendered() {
    for (name, spec) in specs() {
        let set = berth_render::render(&spec, &[]).unwrap();
        for (path, bytes) in set.iter() {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains("CHANGE-ME"),
                "{name}: {path} holds a placeholder"
            );
        }
    }
}

#[test]
fn sync_waves_order_secrets_then_stores_then_jobs_then_services() {
    let (_, spec) = specs()
        .into_iter()
        .find(|(n, _)| n == "comind-ops")
        .unwrap();
    let set = berth_render::render(&spec, &["prod".into()]).unwrap();
    let wave = |kind: &str, name: &str| -> i64 {
        let text = set.get_str("k8s/rendered/prod.yaml").unwrap();
        let o = docs(text)
            .into_iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind}/{name}"));
        o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .map_or(0, |w| w.parse().unwrap())
    };
    assert_eq!(wave("Namespace", "comind-ops"), -2);
    assert_eq!(wave("ExternalSecret", "session-key"), -2);
    assert_eq!(wave("StatefulSet", "redis"), -1);
    assert_eq!(wave("CronJob", "postgres-backup"), -1);
    assert!(wave("Job", "migrate") > wave("StatefulSet", "redis"));
    assert!(wave("Rollout", "api") > wave("Job", "migrate"));
}

#[test]
fn gitops_kustomization_builds() {
    berth_testkit::require!(berth_testkit::KUBECTL);
    let (_, spec) = specs().remove(0);
    let tmp = tempfile::tempdir().unwrap();
    berth_drive::artifacts::write(&berth_render::render(&spec, &[]).unwrap(), tmp.path()).unwrap();
    let out = std::process::Command::new("kubectl")
        .args([
            "kustomize",
            tmp.path().join("gitops/argocd").to_str().unwrap(),
        ])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objs = docs(&String::from_utf8_lossy(&out.stdout));
    let kinds: Vec<&str> = objs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["AppProject", "ApplicationSet"]);
    let elements = &objs[1]["spec"]["generators"][0]["list"]["elements"];
    assert_eq!(elements.as_array().unwrap().len(), 4);
}

#[test]
fn snapshots_of_examples() {
    for (name, spec) in specs() {
        let set = berth_render::render(&spec, &[]).unwrap();
        let mut out = String::new();
        for (path, bytes) in set.iter().filter(|(p, _)| p.starts_with("gitops/")) {
            out.push_str(&format!("=== {path}\n{}\n", String::from_utf8_lossy(bytes)));
        }
        insta::assert_snapshot!(format!("{name}__gitops"), out);
    }
}

/// A Rollout's pod template is a core PodTemplateSpec: each Rollout, made a Deployment with the
/// same selector and template, passes kubernetes-validate `--strict`.
#[test]
fn oracle_rollout_pod_templates_are_strict_pod_templates() {
    berth_testkit::require!(berth_testkit::KUBERNETES_VALIDATE);
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, spec) in specs() {
        let set = berth_render::render(&spec, &[]).unwrap();
        for (path, bytes) in set.iter().filter(|(p, _)| p.starts_with("k8s/rendered/")) {
            for o in docs(std::str::from_utf8(bytes).unwrap()) {
                if o["kind"] != "Rollout" {
                    continue;
                }
                let mut spec = o["spec"].clone();
                spec.as_object_mut().unwrap().remove("strategy");
                let d = serde_json::json!({
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": o["metadata"],
                    "spec": spec,
                });
                let f = tmp.path().join(format!(
                    "{name}-{}-{}.yaml",
                    path.replace('/', "_"),
                    o["metadata"]["name"].as_str().unwrap()
                ));
                std::fs::write(&f, serde_json::to_string(&d).unwrap()).unwrap();
                files.push(f.display().to_string());
            }
        }
    }
    assert!(files.len() >= 4, "{files:?}");
    let out = std::process::Command::new("kubernetes-validate")
        .args(["--strict", "-k", "1.37.0"])
        .args(&files)
        .output()
        .expect("kubernetes-validate runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
