//! berth-render.
