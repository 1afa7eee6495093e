//! One owner's share of the Kubernetes files ([`unit`]): its objects are built in every
//! environment, merged into its base objects ([`merge::majority`]), and written as text: its
//! base files, and per environment its hydrated documents, the resource files of the objects
//! only that environment has, its patches and the image facts the overlay's `images:` are
//! decided from. Then its trees are dropped, so a render never holds more than a few owners'
//! trees at once.
//!
//! Every piece carries a [`Key`] (kind, owner's place in its environment, place among the
//! owner's objects): sorted by it, pieces are in the environment's apply order, which is how
//! kustomize.rs assembles the files.

use super::images::{all_images, image_pairs, replaced_image};
use super::merge::{diff, majority};
use super::object::{Kind, Obj};
use super::parts::HEADER;
use super::units::{EnvUnits, UnitKey};
use crate::tree::Node;
use crate::yaml::{append, to_yaml_seq, to_yaml_stream};
use std::borrow::Cow;

/// Where a piece goes in its environment: (kind, owner's position, position among the owner's
/// objects).
pub type Key = (Kind, usize, usize);

/// A file: its place, its path below the base or `resources/`, its text.
pub type File = (Key, String, String);

/// One owner's pieces.
pub struct UnitText {
    /// The owner's base files.
    pub base: Vec<File>,
    /// Per environment (as given to [`unit`]): its pieces, where it has the owner and is
    /// rendered.
    pub envs: Vec<Option<EnvText>>,
}

/// One owner's pieces in one environment.
#[derive(Default)]
pub struct EnvText {
    /// Each object as the hydrated file holds it.
    pub hydrated: Vec<(Key, String)>,
    /// Resource files of the objects the base does not have.
    pub own: Vec<File>,
    /// Patches of the objects that differ from their base object.
    pub patches: Vec<Patch>,
    /// Per object with a base object: (base image, environment image) of each container.
    pub image_pairs: Vec<(Key, Vec<(String, String)>)>,
    /// Every image reference the owner's objects run.
    pub images: Vec<String>,
    /// The cluster-scoped kinds among the owner's objects.
    pub cluster_scoped: Vec<Kind>,
}

/// The RFC 6902 patch of one object, before the overlay's `images:` are known.
pub struct Patch {
    pub key: Key,
    pub kind: Kind,
    pub name: String,
    pub ops: Vec<PatchOp>,
}

/// One operation as a YAML sequence item. `image` names the base image when the operation
/// replaces a container's image: kustomize's `images:` may make it unnecessary.
pub struct PatchOp {
    pub image: Option<String>,
    pub yaml: String,
}

/// Owner `key`'s pieces in `envs` (every Kubernetes environment: the base depends on all of
/// them); environment texts only where `rendered` says so.
pub fn unit(envs: &[EnvUnits], rendered: &[bool], key: UnitKey) -> UnitText {
    let objs: Vec<Option<(usize, Vec<Obj>)>> = envs
        .iter()
        .map(|e| e.position(key).map(|pos| (pos, e.objects(pos))))
        .collect();
    let base = base_objects(&objs);
    let base_files = match objs.first() {
        Some(Some((pos, _))) => files(base.iter().enumerate(), *pos),
        _ => Vec::new(),
    };
    let texts = objs
        .iter()
        .zip(envs)
        .zip(rendered)
        .map(|((o, e), r)| {
            let (pos, objs) = o.as_ref().filter(|_| *r)?;
            Some(env_text(&e.model.namespace, *pos, objs, &base))
        })
        .collect();
    UnitText {
        base: base_files,
        envs: texts,
    }
}

/// The first environment's objects that every environment has, each field at the value most
/// environments share.
fn base_objects<'a>(objs: &'a [Option<(usize, Vec<Obj<'a>>)>]) -> Vec<Obj<'a>> {
    let Some(Some((_, first))) = objs.first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter_map(|o| {
            let trees = objs
                .iter()
                .map(|e| {
                    let (_, list) = e.as_ref()?;
                    list.iter().find(|x| x.id() == o.id()).map(Obj::tree)
                })
                .collect::<Option<Vec<&Node>>>()?;
            let owner = Cow::Borrowed(o.owner.as_ref());
            let name = Cow::Borrowed(o.name());
            Some(Obj::from_tree(owner, o.kind(), name, majority(&trees)))
        })
        .collect()
}

/// One file per kind (`owner/kind.yaml`) of `objs` (with their positions among the owner's
/// objects), without namespaces.
fn files<'o, 'a: 'o>(objs: impl Iterator<Item = (usize, &'o Obj<'a>)>, pos: usize) -> Vec<File> {
    let mut groups: Vec<(Key, &str, Vec<&Node>)> = Vec::new();
    for (seq, o) in objs {
        match groups.iter_mut().find(|(k, _, _)| k.0 == o.kind()) {
            Some((_, _, list)) => list.push(o.tree()),
            None => groups.push(((o.kind(), pos, seq), &o.owner, vec![o.tree()])),
        }
    }
    groups
        .into_iter()
        .map(|(key, owner, trees)| {
            let path = format!("{owner}/{}.yaml", key.0.file_stem());
            (key, path, format!("{HEADER}{}", to_yaml_stream(&trees)))
        })
        .collect()
}

fn env_text(namespace: &str, pos: usize, objs: &[Obj], base: &[Obj]) -> EnvText {
    let mut t = EnvText::default();
    let mut own = Vec::new();
    for (seq, o) in objs.iter().enumerate() {
        let key = (o.kind(), pos, seq);
        let scoped = o.kind().cluster_scoped();
        let mut doc = String::new();
        append(&mut doc, o.tree(), (!scoped).then_some(namespace));
        t.hydrated.push((key, doc));
        t.images.extend(all_images(o.tree()).map(String::from));
        if scoped {
            t.cluster_scoped.push(o.kind());
        }
        let Some(b) = base.iter().find(|b| b.id() == o.id()) else {
            own.push((seq, o));
            continue;
        };
        let pairs: Vec<(String, String)> = image_pairs(b.tree(), o.tree())
            .into_iter()
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .collect();
        if !pairs.is_empty() {
            t.image_pairs.push((key, pairs));
        }
        t.patches.extend(patch(key, b, o));
    }
    t.own = files(own.into_iter(), pos);
    t
}

/// The operations turning base object `b` into `o`, when there are any.
fn patch(key: Key, b: &Obj, o: &Obj) -> Option<Patch> {
    let mut ops = Vec::new();
    diff(b.tree(), o.tree(), &mut ops);
    if ops.is_empty() {
        return None;
    }
    let ops = ops
        .iter()
        .map(|op| PatchOp {
            image: replaced_image(b.tree(), op).map(String::from),
            yaml: to_yaml_seq(std::slice::from_ref(op)),
        })
        .collect();
    Some(Patch {
        key,
        kind: o.kind(),
        name: o.name().to_string(),
        ops,
    })
}
