//! berth-drive: the only layer that touches the world. It writes rendered files
//! ([`artifacts`], atomically through [`fsutil`]), keeps the project's state under `.berth/`
//! ([`workspace`]: generated secrets, history, locks), reads the user's input files in bounds
//! ([`input`]), and executes the plans render returns
//! beside the files: [`compose`] drives `docker compose`, [`kube`] drives kubectl and the
//! cluster CLIs, [`terraform`] drives terraform. It
//! reaches processes and time only through the [`process::Runner`] and [`clock::Clock`]
//! traits (real implementations by default).

pub mod artifacts;
pub mod clock;
pub mod cluster;
pub mod compose;
pub mod dev;
pub mod forward;
pub mod fsutil;
pub mod history;
pub mod input;
pub mod kube;
pub mod materialize;
pub mod process;
pub mod project_files;
pub mod project_lock;
pub mod secrets;
pub mod select;
pub mod terraform;
pub mod workspace;

pub use compose::{ComposeDriver, DriveError};
pub use workspace::Workspace;
