//! ArgoCD artifacts, and the custom resources (Application, AppProject, ExternalSecret,
//! ClusterSecretStore) checked against their CRD schemas. No CRD schema ships offline here
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
                if !matches!(
                    kind.as_str(),
                    "Application" | "AppProject" | "ExternalSecret" | "ClusterSecretStore"
                ) {
                    continue;
                }
                let errors = validate(&o);
                assert!(errors.is_empty(), "{name}: {path}: {kind}: {errors:#?}");
                *checked.entry(kind).or_default() += 1;
            }
        }
    }
    assert_eq!(checked.len(), 4, "{checked:?}");
}

fn models(spec: &Spec) -> Vec<Model> {
    spec.environments
        .keys()
        .map(|k| berth_spec::resolve(spec, &k.value).unwrap())
        .filter(|m| m.platform == berth_spec::Platform::Kubernetes)
        .collect()
}

#[test]
fn one_application_per_kubernetes_environment() {
    for (name, spec) in specs() {
        let set = berth_render::render(&spec, &[]).unwrap();
        let ms = models(&spec);
        let project = &docs(set.get_str("gitops/argocd/project.yaml").unwrap())[0];
        assert_eq!(project["metadata"]["namespace"], "argocd");
        let stack = &ms[0].stack;
        assert_eq!(project["metadata"]["name"], stack.as_str());
        for m in &ms {
            let app = &docs(
                set.get_str(&format!("gitops/argocd/{}.yaml", m.environment))
                    .unwrap(),
            )[0];
            assert_eq!(app["kind"], "Application", "{name}");
            assert_eq!(app["spec"]["project"], stack.as_str());
            assert_eq!(
                app["spec"]["source"]["path"],
                format!("deploy/k8s/overlays/{}", m.environment)
            );
            assert_eq!(
                app["spec"]["source"]["repoURL"],
                berth_render::gitops::REPO_PLACEHOLDER
            );
            assert_eq!(
                app["spec"]["destination"]["namespace"],
                m.namespace.as_str()
            );
            let opts = &app["spec"]["syncPolicy"]["syncOptions"];
            assert!(opts
                .as_array()
                .unwrap()
                .contains(&"CreateNamespace=true".into()));
            let automated = &app["spec"]["syncPolicy"]["automated"];
            if m.environment.contains("prod") {
                assert!(
                    automated.is_null(),
                    "{name}/{}: prod syncs by hand",
                    m.environment
                );
            } else {
                assert_eq!(automated["prune"], true);
                assert_eq!(automated["selfHeal"], true);
            }
            // The project admits the destination.
            assert!(project["spec"]["destinations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["namespace"] == m.namespace.as_str()));
            // The overlay it points at exists.
            assert!(set
                .get(&format!(
                    "k8s/overlays/{}/kustomization.yaml",
                    m.environment
                ))
                .is_some());
        }
        let k = &docs(set.get_str("gitops/argocd/kustomization.yaml").unwrap())[0];
        assert_eq!(k["resources"].as_array().unwrap().len(), ms.len() + 1);
    }
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
    assert_eq!(
        objs.iter().filter(|o| o["kind"] == "Application").count(),
        4
    );
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
