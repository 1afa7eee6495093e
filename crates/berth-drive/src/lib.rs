//! berth-drive: the only layer that touches the world. It takes a resolved
//! [`berth_spec::Model`], writes the rendered artifacts and the generated secrets under
//! `.berth/`, and drives `docker compose`, reaching processes and time only through the
//! [`process::Runner`] and [`clock::Clock`] traits (real implementations by default).

pub mod clock;
pub mod compose;
pub mod fsutil;
pub mod history;
pub mod process;
pub mod secrets;
pub mod select;
pub mod terraform;
pub mod workspace;

pub use compose::{ComposeDriver, DriveError};
pub use workspace::Workspace;
