//! Container images in the Kustomize layout: image references split into name and tag, the
//! images of a pod-bearing object, and the patch operations kustomize's `images:` makes
//! unnecessary (an overlay's patches apply to the base as `images:` has rewritten it).

use crate::tree::Node;

/// `name:tag` → (name, tag); None for digests or untagged references.
pub fn split_image(r: &str) -> Option<(&str, &str)> {
    if r.contains('@') {
        return None;
    }
    let slash = r.rfind('/').map(|i| i + 1).unwrap_or(0);
    let colon = r[slash..].rfind(':')? + slash;
    Some((&r[..colon], &r[colon + 1..]))
}

/// The image name of a reference (without tag or digest).
pub fn image_name(r: &str) -> &str {
    let no_digest = r.split('@').next().unwrap_or(r);
    let slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match no_digest[slash..].rfind(':') {
        Some(c) => &no_digest[..slash + c],
        None => no_digest,
    }
}

const CONTAINER_LISTS: [&str; 2] = ["initContainers", "containers"];

fn pod_spec<'n, 'a>(v: &'n Node<'a>) -> Option<&'n Node<'a>> {
    v.field("spec")?.field("template")?.field("spec")
}

/// Each container list of the object's pod template.
fn container_lists<'n, 'a>(v: &'n Node<'a>) -> impl Iterator<Item = &'n [Node<'a>]> {
    let spec = pod_spec(v);
    CONTAINER_LISTS
        .into_iter()
        .filter_map(move |k| spec?.field(k)?.as_list())
}

/// Every image the object's pod template runs.
pub fn all_images<'n>(v: &'n Node<'_>) -> impl Iterator<Item = &'n str> {
    container_lists(v)
        .flatten()
        .filter_map(|c| c.field("image")?.as_str())
}

/// (base image, environment image) of containers at the same place in both objects.
pub fn image_pairs<'n>(a: &'n Node<'_>, b: &'n Node<'_>) -> Vec<(&'n str, &'n str)> {
    let (Some(x), Some(y)) = (pod_spec(a), pod_spec(b)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for k in CONTAINER_LISTS {
        let (Some(x), Some(y)) = (
            x.field(k).and_then(Node::as_list),
            y.field(k).and_then(Node::as_list),
        ) else {
            continue;
        };
        for (c, d) in x.iter().zip(y) {
            if let (Some(i), Some(j)) = (
                c.field("image").and_then(Node::as_str),
                d.field("image").and_then(Node::as_str),
            ) {
                out.push((i, j));
            }
        }
    }
    out
}

/// The image name of the base image that patch operation `op` replaces, when it replaces a
/// container's image (`/spec/template/spec/containers/N/image`). Where the overlay's `images:`
/// rewrites that name, kustomize has already put the environment's image there, and the
/// operation is left out.
pub fn replaced_image<'n>(base: &'n Node<'_>, op: &Node<'_>) -> Option<&'n str> {
    if op.field("op")?.as_str()? != "replace" {
        return None;
    }
    let path = op.field("path")?.as_str()?;
    let (list, rest) = path.strip_prefix("/spec/template/spec/")?.split_once('/')?;
    let index: usize = rest.strip_suffix("/image")?.parse().ok()?;
    if !CONTAINER_LISTS.contains(&list) {
        return None;
    }
    let image = pod_spec(base)?
        .field(list)?
        .as_list()?
        .get(index)?
        .field("image")?;
    Some(image_name(image.as_str()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::node;

    #[test]
    fn images_split() {
        assert_eq!(
            split_image("reg:5000/a/b:1.2"),
            Some(("reg:5000/a/b", "1.2"))
        );
        assert_eq!(split_image("reg:5000/a/b"), None);
        assert_eq!(split_image("a@sha256:00"), None);
        assert_eq!(image_name("reg:5000/a/b:1"), "reg:5000/a/b");
        assert_eq!(image_name("a/b@sha256:00"), "a/b");
    }

    fn pod<'a>(api: &'a str) -> Node<'a> {
        node!({ "spec": { "template": { "spec": {
            "initContainers": [{ "name": "w", "image": "k8s:1" }],
            "containers": [{ "name": "api", "image": api, "ports": [] }],
        } } } })
    }

    #[test]
    fn images_of_containers_and_the_ones_a_patch_replaces() {
        let (base, env) = (pod("reg/api:1.0"), pod("reg/api:2.0"));
        assert_eq!(
            all_images(&env).collect::<Vec<_>>(),
            ["k8s:1", "reg/api:2.0"]
        );
        assert_eq!(
            image_pairs(&base, &env),
            [("k8s:1", "k8s:1"), ("reg/api:1.0", "reg/api:2.0")]
        );
        let op =
            |op: &'static str, path: &'static str| node!({ "op": op, "path": path, "value": "x" });
        let image = op("replace", "/spec/template/spec/containers/0/image");
        assert_eq!(replaced_image(&base, &image), Some("reg/api"));
        let init = op("replace", "/spec/template/spec/initContainers/0/image");
        assert_eq!(replaced_image(&base, &init), Some("k8s"));
        for other in [
            op("add", "/spec/template/spec/containers/0/image"),
            op("replace", "/spec/template/spec/containers/1/image"),
            op("replace", "/spec/template/spec/containers/0/name"),
            op("replace", "/spec/template/spec/volumes/0/image"),
        ] {
            assert_eq!(replaced_image(&base, &other), None);
        }
    }
}
