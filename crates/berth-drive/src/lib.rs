//! berth-drive.
