//! What a workload's pod mounts besides its scratch space: its volumes by claim (a volume that
//! several workloads name is one claim, made by the first of them) and its secret files (one
//! projected Secret volume per directory, read-only, each file at its path).

use super::parts::mount;
use super::secrets::secret_ref;
use crate::tree::node;
use crate::tree::Node;
use berth_spec::model::{VolumeModel, Workload};
use berth_spec::Model;

/// The claim a workload's volume uses: a named (shared) volume's name as a Kubernetes name,
/// else `<workload>-<volume>`.
pub fn claim_name(w: &Workload, v: &VolumeModel) -> String {
    if !v.named && !v.external {
        return format!("{}-{}", w.name, v.name);
    }
    let mut out: String = v
        .volume
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9') => c,
            _ => '-',
        })
        .collect();
    out.truncate(63);
    out.trim_matches('-').to_string()
}

/// Whether `w` makes the claim of `v`: the first workload (in model order) that mounts it.
pub fn owns_claim(model: &Model, w: &Workload, v: &VolumeModel) -> bool {
    let claim = claim_name(w, v);
    let first = model
        .workloads
        .iter()
        .find(|o| o.volumes.iter().any(|ov| claim_name(o, ov) == claim));
    first.is_none_or(|o| o.name == w.name)
}

/// The volumes `w` mounts (claims and secret files), added to `mounts` and `volumes`.
pub fn add<'a>(
    model: &'a Model,
    w: &'a Workload,
    mounts: &mut Vec<Node<'a>>,
    volumes: &mut Vec<Node<'a>>,
) {
    for v in &w.volumes {
        mounts.push(mount(v.name.as_str(), v.path.as_str()));
        let claim = claim_name(w, v);
        volumes.push(node!({ "name": &v.name, "persistentVolumeClaim": { "claimName": claim } }));
    }
    for (i, (dir, files)) in secret_dirs(w).into_iter().enumerate() {
        let name = format!("secret-files-{i}");
        let sources: Node = files
            .into_iter()
            .map(|(file, secret)| {
                let (secret_name, key) = secret_ref(model, secret, "value");
                node!({ "secret": { "name": secret_name, "items": [{ "key": key, "path": file }] } })
            })
            .collect();
        let mut m = mount(name.clone(), dir);
        m.insert("readOnly", true);
        mounts.push(m);
        volumes.push(node!({
            "name": name,
            "projected": { "defaultMode": 0o440, "sources": sources },
        }));
    }
}

/// Secret files grouped by directory: (directory, [(file name, secret)]), in first-seen order.
fn secret_dirs(w: &Workload) -> Vec<(String, Vec<(String, &str)>)> {
    let mut dirs: Vec<(String, Vec<(String, &str)>)> = Vec::new();
    for f in &w.secret_files {
        let (dir, file) = match f.path.rsplit_once('/') {
            Some(("", file)) => ("/".to_string(), file.to_string()),
            Some((dir, file)) => (dir.to_string(), file.to_string()),
            None => ("/run/secrets".to_string(), f.path.clone()),
        };
        match dirs.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, files)) => files.push((file, f.secret.as_str())),
            None => dirs.push((dir, vec![(file, f.secret.as_str())])),
        }
    }
    dirs
}
