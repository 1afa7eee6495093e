//! What `berth import` is asked to do ([`ImportOptions`]) and the compose files and project
//! directory that follow from it ([`Inputs`]), found the way compose finds them.

use crate::error::ImportError;
use crate::paths::normalize_path;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
        self.cluster().as_str()
    }

    /// The spec's cluster flavour.
    pub fn cluster(self) -> berth_spec::Cluster {
        match self {
            LocalCluster::Minikube => berth_spec::Cluster::Minikube,
            LocalCluster::Kind => berth_spec::Cluster::Kind,
            LocalCluster::K3d => berth_spec::Cluster::K3d,
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
    pub environment: Option<BTreeMap<String, String>>,
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

impl Inputs {
    /// The compose files relative to the project directory, as the header names them.
    pub fn sources(&self) -> Vec<String> {
        self.files
            .iter()
            .map(|f| {
                f.strip_prefix(&self.project_dir)
                    .map(|p| p.to_string_lossy().to_string())
                    .unwrap_or_else(|_| f.to_string_lossy().to_string())
            })
            .collect()
    }
}

/// Resolves the file list and project directory the same way compose does.
pub fn resolve_inputs(opts: &ImportOptions) -> Result<Inputs, ImportError> {
    let cwd = std::env::current_dir().map_err(|source| ImportError::Io {
        path: ".".into(),
        source,
    })?;
    let abs = |p: &Path| cwd.join(p);
    let mut files: Vec<PathBuf> = opts.files.iter().map(|f| abs(f)).collect();
    let project_dir = match (&opts.project_dir, files.first()) {
        (Some(d), _) => abs(d),
        (None, Some(f)) => f.parent().map(Path::to_path_buf).unwrap_or(cwd.clone()),
        (None, None) => cwd.clone(),
    };
    if files.is_empty() {
        files = default_files(&project_dir)?;
    }
    // A FIFO, a device or an oversized file is refused before any reader opens it.
    for f in &files {
        berth_drive::input::check(f)?;
    }
    Ok(Inputs {
        files: files.iter().map(|f| normalize_path(f)).collect(),
        project_dir: normalize_path(&project_dir),
    })
}

/// The first default file of the directory and, like compose, its `.override` sibling.
fn default_files(project_dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let found = DEFAULT_FILES
        .iter()
        .map(|n| project_dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| ImportError::NoComposeFile(project_dir.to_path_buf()))?;
    let name = found
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let over = match name.rsplit_once('.') {
        Some((stem, ext)) => project_dir.join(format!("{stem}.override.{ext}")),
        None => project_dir.join(format!("{name}.override")),
    };
    Ok(std::iter::once(found)
        .chain(over.is_file().then_some(over))
        .collect())
}
