//! berth-import.
