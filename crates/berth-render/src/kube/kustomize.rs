//! Kustomize layout: the base (objects every Kubernetes environment has, each field at the value
//! most environments share) and per environment the overlay that turns the base into exactly
//! that environment's hydrated objects: `images:` for image changes kustomize can express
//! safely, RFC 6902 patches for every other difference, and its own resources.

use super::objects::{namespace, Obj};
use super::secrets;
use super::HEADER;
use crate::artifact::{to_yaml, to_yaml_stream};
use crate::ArtifactSet;
use berth_spec::Model;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// (apiVersion, kind, name) of an object.
type Id<'a> = (&'a str, &'a str, &'a str);

pub struct Layout<'a> {
    /// Base objects, without namespaces.
    base: Vec<Obj>,
    /// Each environment: its objects (as [`super::objects`] builds them: no Namespace, no
    /// namespaces) and, for each, the position of its base object.
    envs: Vec<EnvObjects<'a>>,
}

struct EnvObjects<'a> {
    name: &'a str,
    objs: &'a [Obj],
    base: Vec<Option<usize>>,
}

impl<'a> Layout<'a> {
    pub fn new(envs: &[(&'a Model, &'a [Obj])]) -> Self {
        let indexes: Vec<HashMap<Id<'a>, usize>> = envs
            .iter()
            .map(|(_, objs)| objs.iter().enumerate().map(|(i, o)| (o.id(), i)).collect())
            .collect();
        let mut base = Vec::new();
        let mut in_base: HashMap<Id<'a>, usize> = HashMap::new();
        if let Some((_, first)) = envs.first() {
            for o in first.iter() {
                let id = o.id();
                let values: Vec<&Value> = envs
                    .iter()
                    .zip(&indexes)
                    .filter_map(|((_, objs), ix)| ix.get(&id).map(|i| &objs[*i].value))
                    .collect();
                if values.len() == envs.len() {
                    in_base.insert(id, base.len());
                    base.push(Obj::new(&o.owner, majority(&values)));
                }
            }
        }
        let envs = envs
            .iter()
            .map(|(m, objs)| EnvObjects {
                name: &m.environment,
                objs,
                base: objs.iter().map(|o| in_base.get(&o.id()).copied()).collect(),
            })
            .collect();
        Layout { base, envs }
    }

    /// The environment's objects, each with its base object when the base has it.
    fn pairs<'s>(
        &'s self,
        env: &'s EnvObjects<'a>,
    ) -> impl Iterator<Item = (&'a Obj, Option<&'s Obj>)> + 's {
        env.objs
            .iter()
            .zip(&env.base)
            .map(|(o, b)| (o, b.map(|i| &self.base[i])))
    }

    /// `k8s/base/**`.
    pub fn base(&self) -> ArtifactSet {
        let mut set = ArtifactSet::default();
        let files = group_files(&self.base);
        let resources: Vec<&String> = files.keys().collect();
        let kustomization = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": resources,
        });
        set.insert(
            "k8s/base/kustomization.yaml",
            format!(
                "{HEADER}# What every Kubernetes environment shares; each overlay adds its namespace and\n\
                 # differences. One file per resource kind per workload or store.\n{}",
                to_yaml(&kustomization)
            ),
        );
        for (path, objs) in files {
            set.insert(format!("k8s/base/{path}"), stream(&objs));
        }
        set
    }

    /// `k8s/overlays/ENV/**`. `model` must be one of the environments the layout was built
    /// from (an unknown one gets an empty set).
    pub fn overlay(&self, model: &Model) -> ArtifactSet {
        let dir = format!("k8s/overlays/{}", model.environment);
        let mut set = ArtifactSet::default();
        let Some(env) = self.envs.iter().find(|e| e.name == model.environment) else {
            return set;
        };
        let images = self.images(env);
        let mut resources = vec!["../../base".to_string(), "resources/namespace.yaml".into()];
        let ns = namespace(model);
        set.insert(format!("{dir}/resources/namespace.yaml"), stream(&[&ns]));
        let own = self.pairs(env).filter(|(_, b)| b.is_none()).map(|(o, _)| o);
        for (path, objs) in group_files(own) {
            set.insert(format!("{dir}/resources/{path}"), stream(&objs));
            resources.push(format!("resources/{path}"));
        }
        let mut patches = Vec::new();
        for (o, b) in self.pairs(env) {
            let Some(b) = b else { continue };
            let mut ops = Vec::new();
            match rewritten_images(&b.value, &images) {
                Some(from) => diff("", &from, &o.value, &mut ops),
                None => diff("", &b.value, &o.value, &mut ops),
            }
            if ops.is_empty() {
                continue;
            }
            let file = format!("patches/{}-{}.yaml", o.kind().to_lowercase(), o.name());
            set.insert(format!("{dir}/{file}"), to_yaml(&ops));
            patches.push(json!({ "path": file, "target": { "kind": o.kind(), "name": o.name() } }));
        }
        let mut k = Map::new();
        k.insert(
            "apiVersion".into(),
            json!("kustomize.config.k8s.io/v1beta1"),
        );
        k.insert("kind".into(), json!("Kustomization"));
        let cluster_scoped: Vec<&str> = env
            .objs
            .iter()
            .filter(|o| o.cluster_scoped())
            .map(|o| o.kind())
            .collect();
        if cluster_scoped.is_empty() {
            k.insert("namespace".into(), json!(model.namespace));
        }
        k.insert("resources".into(), json!(resources));
        if !images.is_empty() {
            let list: Vec<Value> = images
                .iter()
                .map(|(name, to)| {
                    let (to_name, tag) = split_image(to).unwrap_or_default();
                    let mut e = Map::new();
                    e.insert("name".into(), json!(name));
                    if to_name != *name {
                        e.insert("newName".into(), json!(to_name));
                    }
                    e.insert("newTag".into(), json!(tag));
                    Value::Object(e)
                })
                .collect();
            k.insert("images".into(), json!(list));
        }
        if !patches.is_empty() {
            k.insert("patches".into(), json!(patches));
        }
        if !cluster_scoped.is_empty() {
            // `namespace:` would also stamp a namespace on cluster-scoped objects.
            let mut reject = vec![json!({ "kind": "Namespace" })];
            let mut kinds: Vec<&str> = cluster_scoped.clone();
            kinds.dedup();
            reject.extend(kinds.iter().map(|k| json!({ "kind": k })));
            k.insert(
                "replacements".into(),
                json!([{
                    "source": { "kind": "Namespace", "name": model.namespace, "fieldPath": "metadata.name" },
                    "targets": [{
                        "select": {},
                        "reject": reject,
                        "fieldPaths": ["metadata.namespace"],
                        "options": { "create": true },
                    }],
                }]),
            );
        }
        if let Some(g) = secrets::generator(model) {
            k.insert("secretGenerator".into(), g);
            set.insert(
                format!("{dir}/{}.example", secrets::GENERATED_SECRET_FILE),
                secrets::env_example(model),
            );
            set.insert(
                format!("{dir}/.gitignore"),
                format!(
                    "{HEADER}# Secret values written by `berth deploy`; never commit them.\n{}\n",
                    secrets::GENERATED_SECRET_FILE
                ),
            );
        }
        set.insert(
            format!("{dir}/kustomization.yaml"),
            format!(
                "{HEADER}# Environment `{}`: the base plus what differs here. Build: kubectl kustomize .\n{}",
                model.environment,
                to_yaml(&Value::Object(k))
            ),
        );
        set
    }

    /// Image names whose every use in the environment changes the same way (base → env): those
    /// go to `images:`; anything else is left to patches.
    fn images(&self, env: &EnvObjects<'a>) -> IndexMap<String, String> {
        let mut cand: IndexMap<String, Option<String>> = IndexMap::new();
        for (o, b) in self.pairs(env) {
            let Some(b) = b else { continue };
            for (from, to) in image_pairs(&b.value, &o.value) {
                if from == to {
                    continue;
                }
                let (Some((name, _)), Some(_)) = (split_image(&from), split_image(&to)) else {
                    continue;
                };
                let entry = cand.entry(name).or_insert_with(|| Some(to.clone()));
                if entry.as_deref() != Some(to.as_str()) {
                    *entry = None;
                }
            }
        }
        // Every image reference of the environment, by image name.
        let mut uses: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for o in env.objs {
            for img in all_images(&o.value) {
                let list = uses.entry(image_name(&img)).or_default();
                if !list.contains(&img) {
                    list.push(img);
                }
            }
        }
        let mut out = IndexMap::new();
        for (name, to) in cand {
            let Some(to) = to else { continue };
            let consistent = uses
                .get(&name)
                .is_none_or(|refs| refs.iter().all(|r| *r == to));
            if consistent {
                out.insert(name, to);
            }
        }
        out
    }
}

fn stream(objs: &[&Value]) -> String {
    format!("{HEADER}{}", to_yaml_stream(objs))
}

/// `<owner>/<kind>.yaml` → objects, in first-seen order.
fn group_files<'o>(objs: impl IntoIterator<Item = &'o Obj>) -> IndexMap<String, Vec<&'o Value>> {
    let mut files: IndexMap<String, Vec<&Value>> = IndexMap::new();
    for o in objs {
        files
            .entry(format!("{}/{}.yaml", o.owner, o.kind().to_lowercase()))
            .or_default()
            .push(&o.value);
    }
    files
}

/// Per field, the value most environments share (ties: the earliest environment's). A key is
/// kept when at least half the environments have it (ties: when the first one does).
pub fn majority(vals: &[&Value]) -> Value {
    let n = vals.len();
    if n == 0 {
        return Value::Null;
    }
    // Most fields are the same everywhere: one comparison instead of a walk that allocates.
    if vals[1..].iter().all(|v| *v == vals[0]) {
        return vals[0].clone();
    }
    if vals.iter().all(|v| v.is_object()) {
        let mut keys: Vec<&String> = Vec::new();
        for v in vals {
            for k in v.as_object().into_iter().flat_map(|m| m.keys()) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        let mut out = Map::new();
        for k in keys {
            let present: Vec<&Value> = vals.iter().filter_map(|v| v.get(k)).collect();
            let keep =
                present.len() * 2 > n || (present.len() * 2 == n && vals[0].get(k).is_some());
            if keep {
                out.insert(k.clone(), majority(&present));
            }
        }
        return Value::Object(out);
    }
    if let Some(len) = vals[0].as_array().map(|a| a.len()) {
        if vals
            .iter()
            .all(|v| v.as_array().is_some_and(|a| a.len() == len))
        {
            return Value::Array(
                (0..len)
                    .map(|i| {
                        let items: Vec<&Value> = vals.iter().map(|v| &v[i]).collect();
                        majority(&items)
                    })
                    .collect(),
            );
        }
    }
    let mut best = vals[0];
    let mut best_count = 0;
    for v in vals {
        let c = vals.iter().filter(|o| *o == v).count();
        if c > best_count {
            best = v;
            best_count = c;
        }
    }
    best.clone()
}

fn pointer_escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// RFC 6902 operations turning `a` into `b`: maps key by key, equal-length arrays item by item,
/// anything else replaced whole.
pub fn diff(path: &str, a: &Value, b: &Value, ops: &mut Vec<Value>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys() {
                if !y.contains_key(k) {
                    ops.push(
                        json!({ "op": "remove", "path": format!("{path}/{}", pointer_escape(k)) }),
                    );
                }
            }
            for (k, v) in y {
                // Paths are built only where something differs.
                match x.get(k) {
                    None => ops.push(
                        json!({ "op": "add", "path": format!("{path}/{}", pointer_escape(k)), "value": v }),
                    ),
                    Some(av) if av != v => {
                        diff(&format!("{path}/{}", pointer_escape(k)), av, v, ops)
                    }
                    Some(_) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (av, bv)) in x.iter().zip(y).enumerate() {
                if av != bv {
                    diff(&format!("{path}/{i}"), av, bv, ops);
                }
            }
        }
        _ if a != b => ops.push(json!({ "op": "replace", "path": path, "value": b })),
        _ => {}
    }
}

/// `name:tag` → (name, tag); None for digests or untagged references.
fn split_image(r: &str) -> Option<(String, String)> {
    if r.contains('@') {
        return None;
    }
    let slash = r.rfind('/').map(|i| i + 1).unwrap_or(0);
    let colon = r[slash..].rfind(':')? + slash;
    Some((r[..colon].to_string(), r[colon + 1..].to_string()))
}

fn image_name(r: &str) -> String {
    let no_digest = r.split('@').next().unwrap_or(r);
    let slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match no_digest[slash..].rfind(':') {
        Some(c) => no_digest[..slash + c].to_string(),
        None => no_digest.to_string(),
    }
}

fn containers(v: &Value) -> Vec<&Value> {
    let spec = &v["spec"]["template"]["spec"];
    ["initContainers", "containers"]
        .iter()
        .flat_map(|k| spec[*k].as_array().into_iter().flatten())
        .collect()
}

fn all_images(v: &Value) -> Vec<String> {
    containers(v)
        .iter()
        .filter_map(|c| c["image"].as_str().map(String::from))
        .collect()
}

/// (base image, env image) of containers at the same place in both objects.
fn image_pairs(a: &Value, b: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for k in ["initContainers", "containers"] {
        let (Some(x), Some(y)) = (
            a["spec"]["template"]["spec"][k].as_array(),
            b["spec"]["template"]["spec"][k].as_array(),
        ) else {
            continue;
        };
        for (c, d) in x.iter().zip(y) {
            if let (Some(i), Some(j)) = (c["image"].as_str(), d["image"].as_str()) {
                out.push((i.to_string(), j.to_string()));
            }
        }
    }
    out
}

/// The object as kustomize's `images:` leaves it, when that changes it.
fn rewritten_images(v: &Value, images: &IndexMap<String, String>) -> Option<Value> {
    let touched = all_images(v)
        .iter()
        .any(|img| images.get(&image_name(img)).is_some_and(|to| to != img));
    touched.then(|| {
        let mut v = v.clone();
        rewrite_images(&mut v, images);
        v
    })
}

/// What kustomize's `images:` does to an object.
fn rewrite_images(v: &mut Value, images: &IndexMap<String, String>) {
    for k in ["initContainers", "containers"] {
        // `pointer_mut`, not `v[..]`: indexing a Value mutably inserts missing keys.
        if let Some(list) = v
            .pointer_mut(&format!("/spec/template/spec/{k}"))
            .and_then(|l| l.as_array_mut())
        {
            for c in list {
                if let Some(img) = c["image"].as_str() {
                    if let Some(to) = images.get(&image_name(img)) {
                        c["image"] = json!(to);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split() {
        assert_eq!(
            split_image("reg:5000/a/b:1.2"),
            Some(("reg:5000/a/b".into(), "1.2".into()))
        );
        assert_eq!(split_image("reg:5000/a/b"), None);
        assert_eq!(split_image("a@sha256:00"), None);
        assert_eq!(image_name("reg:5000/a/b:1"), "reg:5000/a/b");
        assert_eq!(image_name("a/b@sha256:00"), "a/b");
    }

    #[test]
    fn majority_and_diff() {
        let a = json!({ "x": 1, "l": [1, 2], "only": true, "k/e~y": "a" });
        let b = json!({ "x": 2, "l": [1, 3], "k/e~y": "b" });
        let c = json!({ "x": 2, "l": [1, 2, 3], "k/e~y": "a" });
        let m = majority(&[&a, &b, &c]);
        assert_eq!(m, json!({ "x": 2, "l": [1, 2], "k/e~y": "a" }));
        let mut ops = Vec::new();
        diff("", &m, &a, &mut ops);
        assert_eq!(
            ops,
            vec![
                json!({ "op": "replace", "path": "/x", "value": 1 }),
                json!({ "op": "add", "path": "/only", "value": true }),
            ]
        );
        let mut ops = Vec::new();
        diff("", &m, &b, &mut ops);
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[1]["path"], "/k~1e~0y");
    }
}
