//! Secret values when containers start (`up`, `restart`, `run`, under the environment's
//! lock): the plan's secrets, generated once into `.berth/secrets.json` (0600, atomic) and
//! reused on every later start, or read from the host environment or a file when the spec says
//! so. The values then fill the compose `.secrets/*.env` files
//! (`berth_render::compose::secret_files`).

use crate::{artifacts, fsutil};
use berth_render::plan::SecretNeed;
use berth_spec::model::SecretSource;
use berth_spec::Model;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret `{secret}` reads the environment variable {var}, which is not set; export {var}=… and retry")]
    MissingEnv { secret: String, var: String },
    #[error("secret `{secret}` reads {}: {source}; create the file or change the secret's source", path.display())]
    File {
        secret: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("secret `{secret}` comes from AWS Secrets Manager (`{name}`), which a local environment cannot read; give it `generate:` or `env:` for this environment")]
    Aws { secret: String, name: String },
    #[error("{} is not a valid berth secrets file ({reason}); move it away and run `berth up` again to generate new values (running stores keep their old passwords in their volumes)", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no randomness available to generate secret `{secret}`: {reason}")]
    Random { secret: String, reason: String },
    #[error(transparent)]
    Missing(#[from] berth_render::compose::MissingSecret),
}

/// The generated values: secret → key → value.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretStore {
    pub version: u32,
    pub generated: BTreeMap<String, BTreeMap<String, String>>,
}

impl SecretStore {
    pub fn load(path: &Path) -> Result<Self, SecretError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SecretError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SecretStore {
                version: 1,
                ..Default::default()
            }),
            Err(e) => Err(SecretError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), SecretError> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        fsutil::write_atomic(path, text.as_bytes(), fsutil::Content::Secret).map_err(|source| {
            SecretError::Write {
                path: path.to_path_buf(),
                source,
            }
        })
    }
}

/// Where secret values come from besides the store (the host, for `env:` and `file:`).
pub trait SecretSources {
    fn env(&self, var: &str) -> Option<String>;
    fn file(&self, path: &Path) -> std::io::Result<String>;
    fn random(&self, buf: &mut [u8]) -> Result<(), String>;
}

/// The real host: process environment, filesystem, OS randomness.
#[derive(Debug, Default, Clone, Copy)]
pub struct HostSources;

impl SecretSources for HostSources {
    fn env(&self, var: &str) -> Option<String> {
        std::env::var(var).ok()
    }
    /// A `file:` secret: a regular file within the input limits (`crate::input`).
    fn file(&self, path: &Path) -> std::io::Result<String> {
        Ok(crate::input::read_text(path)?)
    }
    fn random(&self, buf: &mut [u8]) -> Result<(), String> {
        getrandom::fill(buf).map_err(|e| e.to_string())
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters from [A-Za-z0-9], uniformly (rejection sampling): safe in URLs, shells and
/// env files without quoting.
pub fn generate(len: usize, sources: &dyn SecretSources) -> Result<String, String> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        sources.random(&mut buf)?;
        for b in buf {
            // 248 = 4 * 62: bytes at or above it would bias the first characters.
            if b < 248 && out.len() < len {
                out.push(ALPHABET[(b % 62) as usize] as char);
            }
        }
    }
    Ok(out)
}

/// Every value of `secrets` (a plan's): secret → key → value. Generated values are created
/// once and saved to `store_path`; nothing is regenerated when it exists.
pub fn materialise(
    secrets: &[SecretNeed],
    root: &Path,
    store_path: &Path,
    sources: &dyn SecretSources,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, SecretError> {
    let mut store = SecretStore::load(store_path)?;
    let mut changed = false;
    let mut values = BTreeMap::new();
    for secret in secrets {
        let keys = match &secret.source {
            SecretSource::Generate { length } => {
                let entry = store.generated.entry(secret.name.clone()).or_default();
                changed |= generate_missing(secret, *length, entry, sources)?;
                secret
                    .keys
                    .iter()
                    .map(|k| (k.clone(), entry[k].clone()))
                    .collect()
            }
            SecretSource::Env { var } => {
                let v = sources.env(var).ok_or_else(|| SecretError::MissingEnv {
                    secret: secret.name.clone(),
                    var: var.clone(),
                })?;
                BTreeMap::from([("value".to_string(), v)])
            }
            SecretSource::File { path } => {
                let v = read_file(secret, &root.join(path), sources)?;
                BTreeMap::from([("value".to_string(), v)])
            }
            SecretSource::Aws { name, .. } => {
                return Err(SecretError::Aws {
                    secret: secret.name.clone(),
                    name: name.clone(),
                })
            }
        };
        values.insert(secret.name.clone(), keys);
    }
    if changed {
        if store.version == 0 {
            store.version = 1;
        }
        store.save(store_path)?;
    }
    Ok(values)
}

/// The generated secrets of `secrets` that `store_path` holds no (or not every) value of:
/// what the next start would generate afresh.
pub fn ungenerated<'a>(
    secrets: &'a [SecretNeed],
    store_path: &Path,
) -> Result<Vec<&'a SecretNeed>, SecretError> {
    let store = SecretStore::load(store_path)?;
    Ok(secrets
        .iter()
        .filter(|s| s.generated())
        .filter(|s| {
            let held = store.generated.get(&s.name);
            !s.keys
                .iter()
                .all(|k| held.is_some_and(|h| h.contains_key(k)))
        })
        .collect())
}

/// Generate the keys of `secret` that `entry` does not hold yet; true when it did any.
fn generate_missing(
    secret: &SecretNeed,
    length: u32,
    entry: &mut BTreeMap<String, String>,
    sources: &dyn SecretSources,
) -> Result<bool, SecretError> {
    let mut changed = false;
    for key in &secret.keys {
        if entry.contains_key(key) {
            continue;
        }
        let v = generate(length as usize, sources).map_err(|reason| SecretError::Random {
            secret: secret.name.clone(),
            reason,
        })?;
        entry.insert(key.clone(), v);
        changed = true;
    }
    Ok(changed)
}

/// The value of a `file:` secret, without its final newline.
fn read_file(
    secret: &SecretNeed,
    path: &Path,
    sources: &dyn SecretSources,
) -> Result<String, SecretError> {
    let v = sources.file(path).map_err(|source| SecretError::File {
        secret: secret.name.clone(),
        path: path.to_path_buf(),
        source,
    })?;
    Ok(v.strip_suffix('\n').unwrap_or(&v).to_string())
}

/// Write the environment's `.secrets/*.env` files (0600, atomically) under `out` (the
/// `.berth/` dir); returns how many changed.
pub fn write_env_files(
    model: &Model,
    values: &BTreeMap<String, BTreeMap<String, String>>,
    out: &Path,
) -> Result<usize, SecretError> {
    let lookup = |secret: &str, key: &str| values.get(secret).and_then(|k| k.get(key)).cloned();
    let set = berth_render::compose::secret_files(model, &lookup)?;
    let changed = artifacts::write_private(&set, out).map_err(|e| SecretError::Write {
        path: e.path,
        source: e.source,
    })?;
    Ok(changed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(u8);
    impl SecretSources for Fixed {
        fn env(&self, var: &str) -> Option<String> {
            (var == "SET").then(|| "from-env".to_string())
        }
        fn file(&self, _: &Path) -> std::io::Result<String> {
            Ok("from-file\n".into())
        }
        fn random(&self, buf: &mut [u8]) -> Result<(), String> {
            buf.fill(self.0);
            Ok(())
        }
    }

    #[test]
    fn generated_values_use_the_alphabet_and_skip_biased_bytes() {
        assert_eq!(generate(5, &Fixed(0)).unwrap(), "AAAAA");
        assert_eq!(generate(3, &Fixed(61)).unwrap(), "999");
        let real = generate(40, &HostSources).unwrap();
        assert_eq!(real.len(), 40);
        assert!(real.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(real, generate(40, &HostSources).unwrap());
    }

    fn model(yaml: &str) -> Model {
        let source = berth_spec::Source::new("berth.yaml", yaml.to_string());
        let loaded = berth_spec::validate(&source);
        assert!(
            !loaded.diagnostics.iter().any(|d| d.is_error()),
            "{:?}",
            loaded.diagnostics
        );
        berth_spec::resolve(&loaded.spec.unwrap(), "local").unwrap()
    }

    const SPEC: &str = "name: s\nservices:\n  api:\n    image: x/api:1\n    uses: [postgres]\n    secrets: [token]\nstores:\n  postgres: { type: postgres, version: \"16\" }\nsecrets:\n  token: { env: SET }\nenvironments:\n  local: { platform: compose }\n";

    #[test]
    fn generated_once_then_reused_and_saved_private() {
        let dir = tempfile::tempdir().unwrap();
        let m = model(SPEC);
        let store = dir.path().join(".berth/secrets.json");
        let needs = berth_render::compose::plan(&m).secrets;
        let first = materialise(&needs, dir.path(), &store, &Fixed(7)).unwrap();
        let second = materialise(&needs, dir.path(), &store, &Fixed(0)).unwrap();
        assert_eq!(first, second, "a later up reuses the generated values");
        assert_eq!(first["token"]["value"], "from-env");
        assert_eq!(first["postgres-password"]["value"].len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&store).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let out = dir.path().join(".berth");
        assert!(write_env_files(&m, &first, &out).unwrap() > 0);
        assert_eq!(write_env_files(&m, &first, &out).unwrap(), 0);
        let api = std::fs::read_to_string(out.join("compose/local/.secrets/api.env")).unwrap();
        assert!(api.contains("TOKEN=\"from-env\""), "{api}");
    }

    #[test]
    fn a_missing_env_variable_names_the_secret_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let m = model(&SPEC.replace("env: SET", "env: BERTH_TEST_SURELY_UNSET"));
        let needs = berth_render::compose::plan(&m).secrets;
        let err = materialise(&needs, dir.path(), &dir.path().join("s.json"), &Fixed(0))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`token`") && err.contains("export BERTH_TEST_SURELY_UNSET="),
            "{err}"
        );
    }
}
