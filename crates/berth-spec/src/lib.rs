//! Berth spec.
