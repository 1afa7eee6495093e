//! berth-drive.
pub mod terraform;
