//! The project files a spec's `files:` mount (services' and stores'), read for rendering: the
//! Kubernetes ConfigMaps hold their content, so rendering itself stays pure. Every file goes
//! through `input` (regular files of at most 16 MiB); a folder's files are read recursively, in
//! path order. A source that does not exist is left out (validation reports it, B2028).

use crate::input::{self, InputError};
use berth_render::ProjectFiles;
use berth_spec::Spec;
use std::path::Path;

/// The content of every project file or folder `spec` mounts, relative to `root`.
pub fn read(root: &Path, spec: &Spec) -> Result<ProjectFiles, InputError> {
    let services = spec.services.values().flat_map(|s| s.files.values());
    let stores = spec.stores.values().flat_map(|s| s.files.values());
    let mut out = ProjectFiles::new();
    for src in services.chain(stores) {
        let source = src.value.trim_start_matches("./").to_string();
        let path = root.join(&source);
        if out.contains_key(&source) || !path.exists() {
            continue;
        }
        let files = match path.is_dir() {
            true => folder(&path)?,
            false => vec![(String::new(), input::read_bytes(&path)?)],
        };
        out.insert(source, files);
    }
    Ok(out)
}

/// Every file under `dir`: its path relative to `dir` and its bytes, in path order.
fn folder(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, InputError> {
    let io = |source| InputError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).map_err(io)? {
            let path = e.map_err(io)?.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                let rel = rel.to_string_lossy().replace('\\', "/");
                files.push((rel, input::read_bytes(&path)?));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_and_folders_once() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("nginx.conf"), "server {}").unwrap();
        std::fs::create_dir_all(tmp.path().join("rules/sub")).unwrap();
        std::fs::write(tmp.path().join("rules/b.yml"), "b").unwrap();
        std::fs::write(tmp.path().join("rules/sub/a.yml"), "a").unwrap();
        let yaml = "name: s\nservices:\n  web:\n    image: nginx:1.27\n    files:\n      /etc/nginx/nginx.conf: ./nginx.conf\n      /rules: rules\n      /gone: missing.txt\nstores:\n  db:\n    type: postgres\n    version: \"16\"\n    files: { /docker-entrypoint-initdb.d: rules }\n";
        let spec = berth_spec::load(&berth_spec::Source::new("b.yaml", yaml))
            .spec
            .unwrap();
        let files = read(tmp.path(), &spec).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            files["nginx.conf"],
            [(String::new(), b"server {}".to_vec())]
        );
        let rules: Vec<&str> = files["rules"].iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(rules, ["b.yml", "sub/a.yml"]);
    }
}
