//! Kustomize layout: the base (objects every Kubernetes environment has, each field at the value
//! most environments share) and per environment the overlay that turns the base into exactly
//! that environment's hydrated objects: `images:` for image changes kustomize can express
//! safely, RFC 6902 patches for every other difference, and its own resources.

use super::objects::{namespace, Obj};
use super::secrets;
use super::HEADER;
use crate::artifact::{to_yaml, to_yaml_seq, to_yaml_stream};
use crate::ArtifactSet;
use berth_spec::Model;
use indexmap::IndexMap;
use rayon::prelude::*;
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
        let ids: Vec<Vec<Id<'a>>> = envs
            .iter()
            .map(|(_, objs)| objs.iter().map(Obj::id).collect())
            .collect();
        let indexes: Vec<HashMap<Id<'a>, usize>> = ids
            .iter()
            .map(|ids| ids.iter().enumerate().map(|(i, id)| (*id, i)).collect())
            .collect();
        let first: &[Obj] = envs.first().map(|(_, o)| *o).unwrap_or_default();
        let first_ids: &[Id<'a>] = ids.first().map(Vec::as_slice).unwrap_or_default();
        let merged: Vec<Option<Obj>> = first
            .par_iter()
            .zip(first_ids)
            .map(|(o, id)| {
                let values: Vec<&Value> = envs
                    .iter()
                    .zip(&indexes)
                    .filter_map(|((_, objs), ix)| ix.get(id).map(|i| &objs[*i].value))
                    .collect();
                (values.len() == envs.len()).then(|| Obj::new(&o.owner, majority(&values)))
            })
            .collect();
        let mut base = Vec::new();
        let mut in_base: HashMap<Id<'a>, usize> = HashMap::new();
        for (id, m) in first_ids.iter().zip(merged) {
            if let Some(m) = m {
                in_base.insert(*id, base.len());
                base.push(m);
            }
        }
        let envs = envs
            .iter()
            .zip(&ids)
            .map(|((m, objs), ids)| EnvObjects {
                name: &m.environment,
                objs,
                base: ids.iter().map(|id| in_base.get(id).copied()).collect(),
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
        let files: Vec<(String, Vec<&Value>)> = files.into_iter().collect();
        let written: Vec<(String, String)> = files
            .par_iter()
            .map(|(path, objs)| (format!("k8s/base/{path}"), stream(objs)))
            .collect();
        for (path, text) in written {
            set.insert(path, text);
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
        let shared: Vec<(&Obj, &Obj)> =
            self.pairs(env).filter_map(|(o, b)| Some((o, b?))).collect();
        let written: Vec<(&Obj, String, String)> = shared
            .par_iter()
            .filter_map(|&(o, b)| {
                let mut ops = Vec::new();
                match rewritten_images(&b.value, &images) {
                    Some(from) => diff(&from, &o.value, &mut ops),
                    None => diff(&b.value, &o.value, &mut ops),
                }
                if ops.is_empty() {
                    return None;
                }
                let file = format!("patches/{}-{}.yaml", o.kind().to_lowercase(), o.name());
                Some((o, file, to_yaml_seq(&ops)))
            })
            .collect();
        let mut patches = Vec::new();
        for (o, file, text) in written {
            patches.push(json!({ "path": file, "target": { "kind": o.kind(), "name": o.name() } }));
            set.insert(format!("{dir}/{file}"), text);
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
    if let Some(objs) = vals
        .iter()
        .map(|v| v.as_object())
        .collect::<Option<Vec<_>>>()
    {
        // The usual case: the same keys in the same order everywhere; merge by position.
        let aligned = objs[1..]
            .iter()
            .all(|o| o.len() == objs[0].len() && o.keys().zip(objs[0].keys()).all(|(a, b)| a == b));
        if aligned {
            let mut columns: Vec<_> = objs.iter().map(|o| o.values()).collect();
            return Value::Object(
                objs[0]
                    .keys()
                    .map(|k| {
                        let items: Vec<&Value> =
                            columns.iter_mut().filter_map(|c| c.next()).collect();
                        (k.clone(), majority(&items))
                    })
                    .collect(),
            );
        }
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
        let c = vals.iter().filter(|o| same(o, v)).count();
        if c > best_count {
            best = v;
            best_count = c;
        }
    }
    best.clone()
}

/// Equality that also requires the same key order: a walk without hashing (serde_json's map
/// equality looks every key up). Equal values with another key order count as different,
/// which can cost a needless patch operation, never a wrong one; Berth builds every object
/// with one key order, so it does not happen in practice.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        _ => a == b,
    }
}

fn pointer_escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// RFC 6902 operations turning `a` into `b`: maps key by key, equal-length arrays item by item,
/// anything else replaced whole.
pub fn diff(a: &Value, b: &Value, ops: &mut Vec<Value>) {
    walk(&mut Vec::new(), a, b, ops);
}

/// A step of a JSON pointer.
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// The JSON pointer of `at`, built only where an operation is written.
fn pointer(at: &[Step]) -> String {
    let mut p = String::new();
    for s in at {
        p.push('/');
        match s {
            Step::Key(k) => p.push_str(&pointer_escape(k)),
            Step::Index(i) => p.push_str(&i.to_string()),
        }
    }
    p
}

fn walk<'v>(at: &mut Vec<Step<'v>>, a: &'v Value, b: &'v Value, ops: &mut Vec<Value>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            // The usual case: the same keys in the same order; compare by position.
            if x.len() == y.len() && x.keys().zip(y.keys()).all(|(p, q)| p == q) {
                for ((k, av), bv) in x.iter().zip(y.values()) {
                    at.push(Step::Key(k));
                    walk(at, av, bv, ops);
                    at.pop();
                }
                return;
            }
            for k in x.keys().filter(|k| !y.contains_key(*k)) {
                at.push(Step::Key(k));
                ops.push(json!({ "op": "remove", "path": pointer(at) }));
                at.pop();
            }
            for (k, v) in y {
                at.push(Step::Key(k));
                match x.get(k) {
                    None => ops.push(json!({ "op": "add", "path": pointer(at), "value": v })),
                    Some(av) => walk(at, av, v, ops),
                }
                at.pop();
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (av, bv)) in x.iter().zip(y).enumerate() {
                at.push(Step::Index(i));
                walk(at, av, bv, ops);
                at.pop();
            }
        }
        _ if !same(a, b) => ops.push(json!({ "op": "replace", "path": pointer(at), "value": b })),
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
        diff(&m, &a, &mut ops);
        assert_eq!(
            ops,
            vec![
                json!({ "op": "replace", "path": "/x", "value": 1 }),
                json!({ "op": "add", "path": "/only", "value": true }),
            ]
        );
        let mut ops = Vec::new();
        diff(&m, &b, &mut ops);
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[1]["path"], "/k~1e~0y");
    }
}
