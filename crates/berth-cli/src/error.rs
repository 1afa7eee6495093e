//! How a command ends: [`ExitStatus`] (the documented exit codes) and [`CliError`] (the one
//! error a command returns: its message, the spec diagnostics behind it, its exit status).
//! Commands never print their fatal error; `main` prints it once through the printer.

use berth_drive::kube::KubeError;
use berth_drive::DriveError;
use berth_spec::{Diagnostic, Source};

/// The process exit status (stable, documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success (warnings allowed).
    Success,
    /// 1: invalid spec, failed operation, drift found.
    Failure,
    /// 2: usage error: unknown environment, missing file, bad arguments.
    Usage,
    /// 130 (128 + SIGINT): stopped by Ctrl-C, as shells report it.
    Interrupted,
    /// A job's own exit code, passed through by `berth run`.
    Code(u8),
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Interrupted => 130,
            ExitStatus::Code(c) => c,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

/// Spec diagnostics that explain an error, with the source they point into.
#[derive(Debug)]
pub struct Diagnostics {
    pub source: Source,
    pub list: Vec<Diagnostic>,
}

/// A command's failure: printed once by `main` (diagnostics first, then `error: MESSAGE`).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    message: String,
    status: ExitStatus,
    diagnostics: Option<Box<Diagnostics>>,
}

impl CliError {
    pub fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            status,
            diagnostics: None,
        }
    }

    /// Exit 1: the operation failed or the spec is invalid.
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Failure, message)
    }

    /// Exit 2: the command line or the named things in it are wrong.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Usage, message)
    }

    /// The diagnostics to print before the message.
    pub fn with_diagnostics(mut self, source: Source, list: Vec<Diagnostic>) -> Self {
        self.diagnostics = Some(Box::new(Diagnostics { source, list }));
        self
    }

    pub fn status(&self) -> ExitStatus {
        self.status
    }

    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        self.diagnostics.as_deref()
    }
}

/// An environment name the spec does not declare is a usage error.
impl From<berth_spec::ResolveError> for CliError {
    fn from(e: berth_spec::ResolveError) -> Self {
        CliError::usage(e.to_string())
    }
}

/// Driver errors: Ctrl-C is 130; a wrong environment or service name is a usage error.
impl From<DriveError> for CliError {
    fn from(e: DriveError) -> Self {
        let status = match e {
            DriveError::Interrupted => ExitStatus::Interrupted,
            DriveError::NotCompose { .. }
            | DriveError::Select(_)
            | DriveError::Kube(KubeError::NoContext(_) | KubeError::Unknown(_)) => {
                ExitStatus::Usage
            }
            _ => ExitStatus::Failure,
        };
        CliError::new(status, e.to_string())
    }
}

/// A cluster command's error: naming an environment without a local cluster is a usage error.
impl From<berth_drive::cluster::ClusterError> for CliError {
    fn from(e: berth_drive::cluster::ClusterError) -> Self {
        let status = if e.is_usage() {
            ExitStatus::Usage
        } else {
            ExitStatus::Failure
        };
        CliError::new(status, e.to_string())
    }
}

/// A forward's error: an unknown name or nothing to forward is a usage error.
impl From<berth_drive::forward::ForwardError> for CliError {
    fn from(e: berth_drive::forward::ForwardError) -> Self {
        let status = if e.is_usage() {
            ExitStatus::Usage
        } else {
            ExitStatus::Failure
        };
        CliError::new(status, e.to_string())
    }
}

/// Dev-session errors: a wrong platform is a usage error, Ctrl-C is not an error at all.
impl From<berth_drive::dev::DevError> for CliError {
    fn from(e: berth_drive::dev::DevError) -> Self {
        use berth_drive::dev::DevError;
        match e {
            DevError::Drive(d) => d.into(),
            DevError::NotNative { .. } => CliError::usage(e.to_string()),
            DevError::Interrupted => CliError::new(ExitStatus::Interrupted, e.to_string()),
            _ => CliError::failure(e.to_string()),
        }
    }
}

/// `berth secrets`: a native environment is a usage error.
impl From<berth_drive::materialize::MaterializeError> for CliError {
    fn from(e: berth_drive::materialize::MaterializeError) -> Self {
        use berth_drive::materialize::MaterializeError;
        match e {
            MaterializeError::Native(_) => CliError::usage(e.to_string()),
            _ => CliError::failure(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_documented_codes() {
        let codes: Vec<u8> = [
            ExitStatus::Success,
            ExitStatus::Failure,
            ExitStatus::Usage,
            ExitStatus::Interrupted,
            ExitStatus::Code(42),
        ]
        .into_iter()
        .map(ExitStatus::code)
        .collect();
        assert_eq!(codes, [0, 1, 2, 130, 42]);
    }

    #[test]
    fn driver_errors_keep_their_status() {
        assert_eq!(
            CliError::from(DriveError::Interrupted).status(),
            ExitStatus::Interrupted
        );
        let e = berth_spec::ResolveError::NoPlatform("x".into());
        let e = CliError::from(e);
        assert_eq!(e.status(), ExitStatus::Usage);
        assert!(e.to_string().contains("has no platform"), "{e}");
    }
}
