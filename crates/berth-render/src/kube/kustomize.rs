//! Kustomize layout: the base (objects every Kubernetes environment has, each field at the value
//! most environments share) and per environment the overlay that turns the base into exactly
//! that environment's hydrated objects: `images:` for image changes kustomize can express
//! safely, RFC 6902 patches for every other difference, and its own resources.

use super::images::{all_images, image_name, image_pairs, rewritten, split_image};
use super::merge::{diff, majority};
use super::object::{Kind, Obj};
use super::parts::{namespace, HEADER};
use super::secrets;
use crate::artifact::{to_yaml, to_yaml_seq, to_yaml_stream, ArtifactSet};
use crate::tree::node;
use crate::tree::{Node, Text};
use berth_spec::Model;
use indexmap::IndexMap;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// (kind, name) of an object: unique within an environment.
type Id<'a> = (Kind, &'a str);

pub struct Layout<'a> {
    /// Base objects, without namespaces; their trees share the environments' values.
    base: Vec<Obj<'a>>,
    /// Each environment: its objects (as `kube::objects` builds them: no Namespace, no
    /// namespaces) and, for each, the position of its base object.
    envs: Vec<EnvObjects<'a>>,
}

struct EnvObjects<'a> {
    name: &'a str,
    objs: &'a [Obj<'a>],
    base: Vec<Option<usize>>,
}

impl<'a> Layout<'a> {
    pub fn new(envs: &[(&'a Model, &'a [Obj<'a>])]) -> Self {
        let ids: Vec<Vec<Id<'a>>> = envs
            .iter()
            .map(|(_, objs)| objs.iter().map(Obj::id).collect())
            .collect();
        let indexes: Vec<HashMap<Id<'a>, usize>> = ids
            .iter()
            .map(|ids| ids.iter().enumerate().map(|(i, id)| (*id, i)).collect())
            .collect();
        let first: &'a [Obj<'a>] = envs.first().map(|(_, o)| *o).unwrap_or_default();
        let merged: Vec<Option<Obj<'a>>> = first
            .par_iter()
            .map(|o| {
                let trees: Vec<&'a Node<'a>> = envs
                    .iter()
                    .zip(&indexes)
                    .filter_map(|((_, objs), ix)| ix.get(&o.id()).map(|i| objs[*i].tree()))
                    .collect();
                (trees.len() == envs.len()).then(|| {
                    let owner = Cow::Borrowed(o.owner.as_ref());
                    let name = Cow::Borrowed(o.name());
                    Obj::from_tree(owner, o.kind(), name, majority(&trees))
                })
            })
            .collect();
        let mut base = Vec::new();
        let mut in_base: HashMap<Id<'a>, usize> = HashMap::new();
        for (o, m) in first.iter().zip(merged) {
            if let Some(m) = m {
                in_base.insert(o.id(), base.len());
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
    ) -> impl Iterator<Item = (&'a Obj<'a>, Option<&'s Obj<'a>>)> + 's {
        env.objs
            .iter()
            .zip(&env.base)
            .map(|(o, b)| (o, b.map(|i| &self.base[i])))
    }

    /// `k8s/base/**`.
    pub fn base(&self) -> ArtifactSet {
        let mut set = ArtifactSet::default();
        let files = group_files(&self.base);
        let resources: Node = files.keys().map(String::as_str).collect();
        let kustomization = node!({
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
        let files: Vec<(String, Vec<&Node>)> = files.into_iter().collect();
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
        let mut resources = vec![
            Text::Borrowed("../../base"),
            Text::Borrowed("resources/namespace.yaml"),
        ];
        let ns = namespace(model);
        set.insert(
            format!("{dir}/resources/namespace.yaml"),
            stream(&[ns.tree()]),
        );
        let own = self.pairs(env).filter(|(_, b)| b.is_none()).map(|(o, _)| o);
        for (path, objs) in group_files(own) {
            set.insert(format!("{dir}/resources/{path}"), stream(&objs));
            resources.push(Text::Owned(format!("resources/{path}")));
        }
        let mut patches = Vec::new();
        for (o, file, text) in self.patches(env, &images) {
            patches.push(node!({ "path": file.clone(), "target": { "kind": o.kind().name(), "name": o.name() } }));
            set.insert(format!("{dir}/{file}"), text);
        }
        let k = kustomization(model, env, resources, &images, patches);
        if k.field("secretGenerator").is_some() {
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
                to_yaml(&k)
            ),
        );
        set
    }

    /// The patch file of every object of the environment that differs from its base object
    /// (once kustomize's `images:` are applied): (object, file, YAML).
    fn patches<'s>(
        &'s self,
        env: &'s EnvObjects<'a>,
        images: &IndexMap<String, String>,
    ) -> Vec<(&'a Obj<'a>, String, String)> {
        let shared: Vec<(&Obj, &Obj)> =
            self.pairs(env).filter_map(|(o, b)| Some((o, b?))).collect();
        shared
            .par_iter()
            .filter_map(|&(o, b)| {
                let mut ops = Vec::new();
                match rewritten(b.tree(), images) {
                    Some(from) => diff(&from, o.tree(), &mut ops),
                    None => diff(b.tree(), o.tree(), &mut ops),
                }
                if ops.is_empty() {
                    return None;
                }
                let file = format!("patches/{}-{}.yaml", o.kind().file_stem(), o.name());
                Some((o, file, to_yaml_seq(&ops)))
            })
            .collect()
    }

    /// Image names whose every use in the environment changes the same way (base → env): those
    /// go to `images:`; anything else is left to patches.
    fn images(&self, env: &EnvObjects<'a>) -> IndexMap<String, String> {
        let mut cand: IndexMap<&str, Option<&str>> = IndexMap::new();
        for (o, b) in self.pairs(env) {
            let Some(b) = b else { continue };
            for (from, to) in image_pairs(b.tree(), o.tree()) {
                if from == to {
                    continue;
                }
                let (Some((name, _)), Some(_)) = (split_image(from), split_image(to)) else {
                    continue;
                };
                let entry = cand.entry(name).or_insert(Some(to));
                if *entry != Some(to) {
                    *entry = None;
                }
            }
        }
        // Every image reference of the environment, by image name.
        let mut uses: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for o in env.objs {
            for img in all_images(o.tree()) {
                let list = uses.entry(image_name(img)).or_default();
                if !list.contains(&img) {
                    list.push(img);
                }
            }
        }
        let mut out = IndexMap::new();
        for (name, to) in cand {
            let Some(to) = to else { continue };
            let consistent = uses
                .get(name)
                .is_none_or(|refs| refs.iter().all(|r| *r == to));
            if consistent {
                out.insert(name.to_string(), to.to_string());
            }
        }
        out
    }
}

/// The overlay's `kustomization.yaml`.
fn kustomization<'a>(
    model: &'a Model,
    env: &EnvObjects<'_>,
    resources: Vec<Text<'a>>,
    images: &'a IndexMap<String, String>,
    patches: Vec<Node<'a>>,
) -> Node<'a> {
    let mut k = node!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
    });
    let mut cluster_scoped: Vec<Kind> = env
        .objs
        .iter()
        .map(Obj::kind)
        .filter(|k| k.cluster_scoped())
        .collect();
    if cluster_scoped.is_empty() {
        k.insert("namespace", &model.namespace);
    }
    k.insert("resources", resources.into_iter().collect::<Node>());
    if !images.is_empty() {
        let list: Node = images
            .iter()
            .map(|(name, to)| {
                let (to_name, tag) = split_image(to).unwrap_or_default();
                let mut e = node!({ "name": name });
                if to_name != name {
                    e.insert("newName", to_name);
                }
                e.insert("newTag", tag);
                e
            })
            .collect();
        k.insert("images", list);
    }
    if !patches.is_empty() {
        k.insert("patches", patches);
    }
    if !cluster_scoped.is_empty() {
        // `namespace:` would also stamp a namespace on cluster-scoped objects.
        cluster_scoped.dedup();
        k.insert("replacements", replacements(model, &cluster_scoped));
    }
    if let Some(g) = secrets::generator(model) {
        k.insert("secretGenerator", g);
    }
    k
}

/// A `replacements` rule that copies the Namespace's name into every object but the
/// cluster-scoped ones (`kinds`).
fn replacements<'a>(model: &'a Model, kinds: &[Kind]) -> Node<'a> {
    let mut reject = vec![node!({ "kind": "Namespace" })];
    reject.extend(kinds.iter().map(|k| node!({ "kind": k.name() })));
    node!([{
        "source": { "kind": "Namespace", "name": &model.namespace, "fieldPath": "metadata.name" },
        "targets": [{
            "select": {},
            "reject": reject,
            "fieldPaths": ["metadata.namespace"],
            "options": { "create": true },
        }],
    }])
}

fn stream(objs: &[&Node]) -> String {
    format!("{HEADER}{}", to_yaml_stream(objs))
}

/// `<owner>/<kind>.yaml` → object trees, in first-seen order.
fn group_files<'o, 'a: 'o>(
    objs: impl IntoIterator<Item = &'o Obj<'a>>,
) -> IndexMap<String, Vec<&'o Node<'a>>> {
    let mut files: IndexMap<String, Vec<&Node>> = IndexMap::new();
    for o in objs {
        files
            .entry(format!("{}/{}.yaml", o.owner, o.kind().file_stem()))
            .or_default()
            .push(o.tree());
    }
    files
}
