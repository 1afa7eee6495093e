//! What can go wrong while reading a compose project.

use std::path::PathBuf;

/// An import failure: which file or tool, and why.
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
    /// A compose or `.env` file refused before reading: not a regular file, or too large.
    #[error(transparent)]
    Input(#[from] berth_drive::input::InputError),
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
    #[error("interrupted: `docker compose config` was stopped")]
    Interrupted,
    #[error("unexpected compose model: {0}")]
    Model(String),
}
