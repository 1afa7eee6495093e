//! Kustomize layout: the base (objects every Kubernetes environment has, each field at the value
//! most environments share) and per environment the overlay that turns the base into exactly
//! that environment's hydrated objects: `images:` for image changes kustomize can express
//! safely, RFC 6902 patches for every other difference, and its own resources; and the
//! hydrated file itself. The files are assembled from the owners' pieces (layout.rs), in the
//! environments' apply order.

use super::images::{image_name, split_image};
use super::layout::{EnvText, File, Key, Patch, UnitText};
use super::object::Kind;
use super::parts::{namespace, HEADER};
use super::secrets;
use crate::artifact::{to_yaml, to_yaml_stream, ArtifactSet};
use crate::tree::{node, Node, Text};
use berth_spec::Model;
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// `k8s/base/**` from every owner's base files.
pub fn base(units: &mut [UnitText]) -> ArtifactSet {
    let mut files: Vec<File> = units
        .iter_mut()
        .flat_map(|u| std::mem::take(&mut u.base))
        .collect();
    files.sort_by_key(|(key, _, _)| *key);
    let mut set = ArtifactSet::default();
    let resources: Node = files.iter().map(|(_, path, _)| path.as_str()).collect();
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
    for (_, path, text) in files {
        set.insert(format!("k8s/base/{path}"), text);
    }
    set
}

/// One environment's pieces, gathered from every owner and in apply order.
#[derive(Default)]
pub struct EnvPieces {
    hydrated: Vec<(Key, String)>,
    own: Vec<File>,
    patches: Vec<Patch>,
    image_pairs: Vec<(Key, Vec<(String, String)>)>,
    images: Vec<String>,
    cluster_scoped: Vec<Kind>,
}

impl EnvPieces {
    /// Takes environment `i`'s pieces out of every owner's.
    pub fn gather(units: &mut [UnitText], i: usize) -> Self {
        let mut p = EnvPieces::default();
        for t in units.iter_mut().filter_map(|u| u.envs[i].take()) {
            let EnvText {
                hydrated,
                own,
                patches,
                image_pairs,
                images,
                cluster_scoped,
            } = t;
            p.cluster_scoped.extend(cluster_scoped);
            p.hydrated.extend(hydrated);
            p.own.extend(own);
            p.patches.extend(patches);
            p.image_pairs.extend(image_pairs);
            p.images.extend(images);
        }
        p.hydrated.sort_by_key(|(key, _)| *key);
        p.own.sort_by_key(|(key, _, _)| *key);
        p.patches.sort_by_key(|p| p.key);
        p.image_pairs.sort_by_key(|(key, _)| *key);
        p.cluster_scoped.sort();
        p
    }
}

/// `k8s/rendered/ENV.yaml`: the Namespace, then every object with its namespace.
pub fn hydrated<'d>(model: &Model, docs: impl Iterator<Item = &'d str> + Clone) -> String {
    let mut out = format!(
        "{HEADER}# Environment `{}`: every object, hydrated. Apply: kubectl apply --server-side -f {}.yaml\n",
        model.environment, model.environment
    );
    out.push_str(&to_yaml(namespace(model).tree()));
    out.reserve_exact(docs.clone().map(|d| d.len() + 4).sum());
    for d in docs {
        out.push_str("---\n");
        out.push_str(d);
    }
    out
}

/// The environment's hydrated file and `k8s/overlays/ENV/**`.
pub fn environment(model: &Model, pieces: EnvPieces) -> ArtifactSet {
    let mut set = ArtifactSet::default();
    let docs = pieces.hydrated.iter().map(|(_, d)| d.as_str());
    set.insert(
        format!("k8s/rendered/{}.yaml", model.environment),
        hydrated(model, docs),
    );
    let dir = format!("k8s/overlays/{}", model.environment);
    let images = images(&pieces);
    let mut resources = vec![
        Text::Borrowed("../../base"),
        Text::Borrowed("resources/namespace.yaml"),
    ];
    let ns = namespace(model);
    set.insert(
        format!("{dir}/resources/namespace.yaml"),
        format!("{HEADER}{}", to_yaml_stream(&[ns.tree()])),
    );
    for (_, path, text) in pieces.own {
        resources.push(Text::Owned(format!("resources/{path}")));
        set.insert(format!("{dir}/resources/{path}"), text);
    }
    let mut patches = Vec::new();
    for p in pieces.patches {
        let ops: String = p
            .ops
            .into_iter()
            .filter(|op| {
                op.image
                    .as_ref()
                    .is_none_or(|name| !images.contains_key(name))
            })
            .map(|op| op.yaml)
            .collect();
        if ops.is_empty() {
            continue;
        }
        let file = format!("patches/{}-{}.yaml", p.kind.file_stem(), p.name);
        set.insert(format!("{dir}/{file}"), ops);
        patches.push(node!({ "path": file, "target": { "kind": p.kind.name(), "name": p.name } }));
    }
    let k = kustomization(model, pieces.cluster_scoped, resources, &images, patches);
    overlay_files(model, &dir, &k, &mut set);
    set
}

/// The kustomization, with a note on the Secret of local values the driver creates.
fn overlay_files(model: &Model, dir: &str, k: &Node, set: &mut ArtifactSet) {
    set.insert(
        format!("{dir}/kustomization.yaml"),
        format!(
            "{HEADER}# Environment `{}`: the base plus what differs here. Build: kubectl kustomize .\n{}{}",
            model.environment,
            secrets::overlay_note(model),
            to_yaml(k)
        ),
    );
}

/// Image names whose every use in the environment changes the same way (base → env): those
/// go to `images:`; anything else is left to patches.
fn images(p: &EnvPieces) -> IndexMap<String, String> {
    let mut cand: IndexMap<&str, Option<&str>> = IndexMap::new();
    for (from, to) in p.image_pairs.iter().flat_map(|(_, pairs)| pairs) {
        if from == to {
            continue;
        }
        let (Some((name, _)), Some(_)) = (split_image(from), split_image(to)) else {
            continue;
        };
        let entry = cand.entry(name).or_insert(Some(to));
        if *entry != Some(to.as_str()) {
            *entry = None;
        }
    }
    // Every image reference of the environment, by image name.
    let mut uses: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for img in &p.images {
        uses.entry(image_name(img)).or_default().push(img);
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

/// The overlay's `kustomization.yaml`.
fn kustomization<'a>(
    model: &'a Model,
    mut cluster_scoped: Vec<Kind>,
    resources: Vec<Text<'a>>,
    images: &'a IndexMap<String, String>,
    patches: Vec<Node<'a>>,
) -> Node<'a> {
    let mut k = node!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
    });
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
