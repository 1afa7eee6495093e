//! `berth secrets ENV`: an environment's secret values, materialized for people who run the
//! rendered artifacts with plain `docker compose` or `kubectl` instead of `berth up`.
//!
//! - compose: the `.secrets/*.env` and `.secrets/*.secret` files of the rendered directory
//!   (`<out>/compose/<env>/`, git-ignored by its `.gitignore`), 0600, the same files `berth up`
//!   writes into `.berth/`;
//! - Kubernetes: the Secret of local values (`<stack>-secrets`) the overlays reference by name,
//!   returned as an object for the caller to print (`… | kubectl apply -f -`); never a file.
//!
//! Values come from the same sources as at `berth up`: generated ones are created once into
//! `.berth/secrets.json` (under the environment's lock) and shared with `berth up`; `env:` and
//! `file:` ones are read from the host. A host variable or file that is missing is reported and
//! written empty, so the artifacts still start; the plan names every file and source first.

use crate::artifacts;
use crate::secrets::{self, SecretError, SecretSources};
use crate::workspace::Workspace;
use berth_render::compose::SecretTarget;
use berth_render::plan::SecretNeed;
use berth_spec::model::SecretSource;
use berth_spec::{Model, Platform};
use serde::Serialize;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// What `berth secrets ENV` will do, computed before anything is read or written.
#[derive(Debug, Clone, Serialize)]
pub struct SecretsPlan {
    pub environment: String,
    /// `compose` or `kubernetes`.
    pub platform: &'static str,
    /// compose: the files written, relative to `out` (no values).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<SecretTarget>,
    /// compose: the output directory the files go under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
    /// Kubernetes: the Secret printed for `kubectl apply -f -`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<KubeSecret>,
    /// Where each value comes from.
    pub sources: Vec<Source>,
    /// Where generated values are kept (shared with `berth up`).
    pub state: PathBuf,
}

/// The Kubernetes Secret of local values, by name and keys.
#[derive(Debug, Clone, Serialize)]
pub struct KubeSecret {
    pub name: String,
    pub namespace: String,
    pub keys: Vec<String>,
}

/// One secret and where its value comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub secret: String,
    /// `generate`, `env`, `file` or `aws`.
    pub from: &'static str,
    /// The host variable or file read (none for generated values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
}

/// A host variable or file a secret reads that is not there: written empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// `env` or `file`.
    pub kind: &'static str,
    pub name: String,
}

/// What `berth secrets ENV` did.
#[derive(Debug, Clone, Serialize)]
pub struct Materialized {
    /// compose: files written or unchanged, relative to the plan's `out`.
    pub files: Vec<String>,
    /// compose: the files whose content changed.
    pub changed: Vec<String>,
    pub missing: Vec<Missing>,
    /// Kubernetes: the Secret object, values included (the caller prints it).
    #[serde(skip)]
    pub manifest: Option<serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum MaterializeError {
    #[error("environment `{0}` is native: `berth dev` passes its secrets to the processes it starts; `berth secrets` serves compose and Kubernetes environments")]
    Native(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Lock(#[from] crate::workspace::LockError),
    #[error("{0}")]
    Kube(#[from] berth_render::kube::MissingSecret),
    #[error("cannot create {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The plan for `model`'s environment; compose files go under `out` (the render directory).
pub fn plan(model: &Model, out: &Path, ws: &Workspace) -> Result<SecretsPlan, MaterializeError> {
    let (platform, files, secret, needs) = match model.platform {
        Platform::Compose => (
            "compose",
            berth_render::compose::secret_targets(model),
            None,
            berth_render::compose::plan(model).secrets,
        ),
        Platform::Kubernetes => {
            let (p, _) = berth_render::kube::plan::plan(model);
            let secret = p.secret.map(|s| {
                (
                    KubeSecret {
                        name: s.name,
                        namespace: model.namespace.clone(),
                        keys: s.keys,
                    },
                    s.sources,
                )
            });
            let (secret, needs) = secret.map_or((None, Vec::new()), |(k, n)| (Some(k), n));
            ("kubernetes", Vec::new(), secret, needs)
        }
        Platform::Native => return Err(MaterializeError::Native(model.environment.clone())),
    };
    Ok(SecretsPlan {
        environment: model.environment.clone(),
        platform,
        out: (platform == "compose").then(|| out.to_path_buf()),
        files,
        secret,
        sources: needs.iter().map(source).collect(),
        state: ws.secrets_path(),
    })
}

fn source(n: &SecretNeed) -> Source {
    let (from, read) = match &n.source {
        SecretSource::Generate { .. } => ("generate", None),
        SecretSource::Env { var } => ("env", Some(var.clone())),
        SecretSource::File { path } => ("file", Some(path.clone())),
        SecretSource::Aws { name, .. } => ("aws", Some(name.clone())),
    };
    Source {
        secret: n.name.clone(),
        from,
        read,
    }
}

/// Executes `plan`: values materialized under the environment's lock, then the compose files
/// written (0600) or the Kubernetes Secret built.
pub fn run(
    plan: &SecretsPlan,
    model: &Model,
    ws: &Workspace,
    sources: &dyn SecretSources,
) -> Result<Materialized, MaterializeError> {
    ws.ensure().map_err(|source| MaterializeError::Io {
        path: ws.dir.clone(),
        source,
    })?;
    let _lock = ws.lock(&model.environment)?;
    let lenient = Lenient {
        inner: sources,
        missing: RefCell::new(Vec::new()),
    };
    let needs = match model.platform {
        Platform::Kubernetes => berth_render::kube::plan::plan(model)
            .0
            .secret
            .map(|s| s.sources)
            .unwrap_or_default(),
        _ => berth_render::compose::plan(model).secrets,
    };
    let values = secrets::materialise(&needs, &ws.root, &ws.secrets_path(), &lenient)?;
    let lookup = |secret: &str, key: &str| values.get(secret)?.get(key).cloned();
    let mut done = Materialized {
        files: Vec::new(),
        changed: Vec::new(),
        missing: lenient.missing.into_inner(),
        manifest: None,
    };
    match &plan.out {
        Some(out) => {
            let set = berth_render::compose::secret_files(model, &lookup)
                .map_err(|e| MaterializeError::Secret(e.into()))?;
            done.changed =
                artifacts::write_private(&set, out).map_err(|e| MaterializeError::Io {
                    path: e.path,
                    source: e.source,
                })?;
            done.files = set.paths().map(String::from).collect();
        }
        None => done.manifest = berth_render::kube::secret_object(model, &lookup)?,
    }
    Ok(done)
}

/// The host's sources, with a missing variable or file read as empty and recorded.
struct Lenient<'a> {
    inner: &'a dyn SecretSources,
    missing: RefCell<Vec<Missing>>,
}

impl Lenient<'_> {
    fn note(&self, kind: &'static str, name: String) {
        let m = Missing { kind, name };
        let mut all = self.missing.borrow_mut();
        if !all.contains(&m) {
            all.push(m);
        }
    }
}

impl SecretSources for Lenient<'_> {
    fn env(&self, var: &str) -> Option<String> {
        self.inner.env(var).or_else(|| {
            self.note("env", var.to_string());
            Some(String::new())
        })
    }
    fn file(&self, path: &Path) -> std::io::Result<String> {
        self.inner.file(path).or_else(|_| {
            self.note("file", path.display().to_string());
            Ok(String::new())
        })
    }
    fn random(&self, buf: &mut [u8]) -> Result<(), String> {
        self.inner.random(buf)
    }
}

#[cfg(test)]
mod tests;
