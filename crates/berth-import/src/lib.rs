//! berth-import: reads a docker compose project and writes an equivalent, commented berth.yaml.
//!
//! Two readers produce the same [`NormalizedCompose`]: the real `docker compose config` when the
//! plugin is installed, and a built-in parser implementing compose's interpolation, `.env`,
//! `extends`, `include`, multi-file merge and profile rules. [`classify()`] turns that model into a
//! Berth stack and [`emit::emit`] writes it with a header listing every inference and every dropped or
//! approximated compose key.
//!
//! Rules, in short:
//! - A service whose image is a well-known store (redis/valkey, postgres, mongo, rabbitmq) and
//!   that is not built becomes a store; its tag gives the version, its volumes the storage, and
//!   its credential variables are dropped because Berth generates them. Store helpers (a store
//!   image that depends on another store of its type, or runs once) become jobs, except MongoDB
//!   replica-set initialisers, which Berth's mongodb store replaces.
//! - `restart: "no"`, or being awaited with `service_completed_successfully`, makes a job; the
//!   services that wait for it become its `before`.
//! - Connection strings, `host:port` pairs and values that repeat a store's host, port, user,
//!   password or database become `${store.url|host|port|user|password|db}`; URLs of services
//!   become `${service.url}`. Every such target is added to `uses`.
//! - Credential-looking variables become declared secrets: generated when the stack owns them
//!   (JWT, session, pepper…), read from the host environment otherwise (third-party keys, URLs).
//! - Everything else that compose says and Berth cannot is listed in the header with its key path.

pub mod builtin;
pub mod classify;
pub mod compare;
pub mod corpus;
pub mod docker;
pub mod emit;
pub mod model;
mod yaml;

use std::path::{Path, PathBuf};

pub use classify::{classify, Stack};
pub use compare::compare;
pub use model::NormalizedCompose;

/// Which compose reader to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reader {
    /// `docker compose config` when the plugin answers, the built-in parser otherwise.
    #[default]
    Auto,
    /// Always `docker compose config`; an error when the plugin is missing.
    Docker,
    /// Always the built-in parser.
    Builtin,
}

impl std::str::FromStr for Reader {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "docker" => Ok(Self::Docker),
            "builtin" => Ok(Self::Builtin),
            other => Err(format!(
                "unknown reader {other:?} (expected auto, docker or builtin)"
            )),
        }
    }
}

/// A local Kubernetes flavour for the extra environment `--kubernetes` adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalCluster {
    Minikube,
    Kind,
    K3d,
}

impl LocalCluster {
    pub fn name(self) -> &'static str {
        match self {
            LocalCluster::Minikube => "minikube",
            LocalCluster::Kind => "kind",
            LocalCluster::K3d => "k3d",
        }
    }
}

impl std::str::FromStr for LocalCluster {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "minikube" => Ok(Self::Minikube),
            "kind" => Ok(Self::Kind),
            "k3d" => Ok(Self::K3d),
            other => Err(format!(
                "unknown local cluster {other:?} (expected minikube, kind or k3d)"
            )),
        }
    }
}

/// What `berth import` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Compose files, in `-f` order. Empty means the default file in `project_dir`.
    pub files: Vec<PathBuf>,
    /// `--profile` values.
    pub profiles: Vec<String>,
    /// Project directory; defaults to the directory of the first file.
    pub project_dir: Option<PathBuf>,
    /// Overrides the project name.
    pub project_name: Option<String>,
    pub reader: Reader,
    pub kubernetes: Option<LocalCluster>,
    /// Directory the berth.yaml will be written to; build contexts are made relative to it.
    /// Defaults to the project directory.
    pub output_dir: Option<PathBuf>,
    /// Variables visible to interpolation instead of the process environment (`.env` still
    /// applies underneath). Tests use this to be independent of the machine they run on.
    pub environment: Option<std::collections::BTreeMap<String, String>>,
}

/// A dropped or approximated compose key, or an inference worth reviewing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// Compose key path, e.g. `services.api.container_name`.
    pub path: String,
    pub message: String,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// The commented berth.yaml.
    pub yaml: String,
    /// Keys that were dropped or approximated.
    pub warnings: Vec<Warning>,
    /// What was inferred (classification, references); also listed in the YAML header.
    pub inferred: Vec<Warning>,
    /// The model the YAML was built from.
    pub compose: NormalizedCompose,
    /// The reader that was actually used.
    pub reader: Reader,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("no compose file found in {0} (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)")]
    NoComposeFile(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid YAML: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Interpolation { path: PathBuf, message: String },
    #[error("invalid compose project: {0}")]
    Invalid(String),
    #[error("docker compose is not available: {0}")]
    DockerUnavailable(String),
    #[error("docker compose config failed: {0}")]
    Docker(String),
    #[error("unexpected compose model: {0}")]
    Model(String),
}

/// Default compose file names, in compose's lookup order.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Resolved inputs: absolute files and project directory.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub project_dir: PathBuf,
}

/// Resolves the file list and project directory the same way compose does.
pub fn resolve_inputs(opts: &ImportOptions) -> Result<Inputs, ImportError> {
    let cwd = std::env::current_dir().map_err(|source| ImportError::Io {
        path: ".".into(),
        source,
    })?;
    let abs = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        }
    };
    let mut files: Vec<PathBuf> = opts.files.iter().map(|f| abs(f)).collect();
    let project_dir = match (&opts.project_dir, files.first()) {
        (Some(d), _) => abs(d),
        (None, Some(f)) => f.parent().map(Path::to_path_buf).unwrap_or(cwd.clone()),
        (None, None) => cwd.clone(),
    };
    if files.is_empty() {
        let found = DEFAULT_FILES
            .iter()
            .map(|n| project_dir.join(n))
            .find(|p| p.is_file())
            .ok_or_else(|| ImportError::NoComposeFile(project_dir.clone()))?;
        // compose also loads the matching override file when no -f is given.
        let name = found
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let over = match name.rsplit_once('.') {
            Some((stem, ext)) => project_dir.join(format!("{stem}.override.{ext}")),
            None => project_dir.join(format!("{name}.override")),
        };
        files.push(found);
        if over.is_file() {
            files.push(over);
        }
    }
    for f in &files {
        if !f.is_file() {
            return Err(ImportError::Io {
                path: f.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
    }
    let project_dir = normalize_path(&project_dir);
    let files = files.iter().map(|f| normalize_path(f)).collect();
    Ok(Inputs { files, project_dir })
}

/// `path` relative to `base` (both absolute and normalized), in `./x` or `../x` form.
pub(crate) fn relative_to(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    match parts.first().map(String::as_str) {
        None => ".".into(),
        Some("..") => parts.join("/"),
        Some(_) => format!("./{}", parts.join("/")),
    }
}

/// Lexically removes `.` and `..` components.
pub(crate) fn normalize_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Reads the compose project with the chosen reader.
pub fn load(opts: &ImportOptions) -> Result<(NormalizedCompose, Reader), ImportError> {
    let inputs = resolve_inputs(opts)?;
    let reader = match opts.reader {
        Reader::Auto => {
            if docker::available() {
                Reader::Docker
            } else {
                Reader::Builtin
            }
        }
        r => r,
    };
    let raw = match reader {
        Reader::Docker => docker::config(&inputs, opts)?,
        _ => builtin::config(&inputs, opts)?,
    };
    let model = NormalizedCompose::from_canonical(raw, &inputs.project_dir)
        .map_err(|e| ImportError::Model(e.to_string()))?;
    Ok((model, reader))
}

/// Imports a compose project into berth.yaml text.
pub fn import(opts: &ImportOptions) -> Result<ImportOutcome, ImportError> {
    let (compose, reader) = load(opts)?;
    let inputs = resolve_inputs(opts)?;
    let sources: Vec<String> = inputs
        .files
        .iter()
        .map(|f| {
            f.strip_prefix(&inputs.project_dir)
                .map(|p| p.to_string_lossy().to_string())
                .unwrap_or_else(|_| f.to_string_lossy().to_string())
        })
        .collect();
    let mut stack = classify(&compose, opts.kubernetes);
    // Services left out by the active profiles are reported, not silently missing.
    let all = ImportOptions {
        profiles: vec!["*".into()],
        reader,
        ..opts.clone()
    };
    if let Ok((everything, _)) = load(&all) {
        for (name, s) in &everything.services {
            if !compose.services.contains_key(name) {
                stack.warnings.push(Warning {
                    path: format!("services.{name}"),
                    message: format!(
                        "not imported: only enabled by profile {}; re-run with --profile to include it",
                        s.profiles.join(", ")
                    ),
                });
            }
        }
    }
    // compose drops the obsolete `version` key before either reader sees the model; say so.
    for (f, name) in inputs.files.iter().zip(&sources) {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        if let Ok(serde_json::Value::Object(top)) =
            serde_saphyr::from_str::<serde_json::Value>(&text)
        {
            if let Some(v) = top.get("version") {
                stack.warnings.insert(
                    0,
                    Warning {
                        path: "version".into(),
                        message: format!(
                            "{name}: `version: {}` is obsolete and ignored by compose",
                            v.as_str()
                                .map(String::from)
                                .unwrap_or_else(|| v.to_string())
                        ),
                    },
                );
            }
        }
    }
    if let Some(out_dir) = &opts.output_dir {
        let cwd = std::env::current_dir().unwrap_or_default();
        let out_dir = normalize_path(&cwd.join(out_dir));
        for w in stack.services.values_mut() {
            if let Some(b) = &mut w.build {
                let abs = normalize_path(&inputs.project_dir.join(&b.context));
                b.context = relative_to(&abs, &out_dir);
            }
        }
    }
    let yaml = emit::emit(&stack, &sources, &opts.profiles);
    Ok(ImportOutcome {
        yaml,
        warnings: stack.warnings.clone(),
        inferred: stack.inferred.clone(),
        compose,
        reader,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let r = |a: &str, b: &str| relative_to(Path::new(a), Path::new(b));
        assert_eq!(r("/p/app", "/p"), "./app");
        assert_eq!(r("/p", "/p"), ".");
        assert_eq!(r("/p/app", "/p/deploy"), "../app");
        assert_eq!(r("/p", "/p/deploy/x"), "../..");
    }
}
