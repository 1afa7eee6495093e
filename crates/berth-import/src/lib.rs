//! berth-import: reads a docker compose project and writes an equivalent, commented berth.yaml.
//!
//! Two readers produce the same [`NormalizedCompose`]: the real `docker compose config` (run
//! through berth-drive's process runner) when the plugin is installed, and a built-in parser
//! implementing compose's interpolation, `.env`, `extends`, `include`, multi-file merge and profile
//! rules. [`classify()`] turns that model into a `berth_spec::Spec` and [`emit::emit`] writes it
//! through the spec's own serializer, under a header listing every inference and every dropped or
//! approximated compose key. [`import`] runs the whole [`pipeline`].
//!
//! Rules, in short:
//! - A service whose image is a well-known store (redis/valkey, postgres, mongo, rabbitmq) and
//!   that is not built becomes a store that keeps its exact image and is published only where
//!   compose published it; its volumes give the storage, and its credential variables are
//!   dropped because Berth generates them.
//! - Workloads keep their entrypoint, command, ports with protocols, named volumes under their
//!   real names (shared, external), project files (`files`) and compose secrets as files at the
//!   same paths (`secret_files`). Store helpers (a store
//!   image that depends on another store of its type, or runs once) become jobs, except MongoDB
//!   replica-set initialisers, which Berth's mongodb store replaces.
//! - `restart: "no"`, or being awaited with `service_completed_successfully`, makes a job; the
//!   services that wait for it become its `before`.
//! - Connection strings, `host:port` pairs and values that repeat a store's host, port, user,
//!   password or database become `${store.url|host|port|user|password|db}`; URLs of services
//!   become `${service.url}`. Every such target is added to `uses`.
//! - Credential-looking variables become declared secrets: generated when the stack owns them
//!   (JWT, session, pepper…), read from the host environment otherwise (third-party keys, URLs).
//! - Everything else that compose says and Berth cannot is listed in the header with its key path.

pub mod builtin;
pub mod classify;
pub mod compare;
pub mod corpus;
pub mod docker;
pub mod emit;
pub mod error;
pub mod model;
pub mod notes;
pub mod options;
mod paths;
pub mod pipeline;
pub mod ranges;
mod yaml;

pub use classify::{classify, Stack};
pub use compare::compare;
pub use error::ImportError;
pub use model::NormalizedCompose;
pub use notes::Warning;
pub use options::{resolve_inputs, ImportOptions, Inputs, LocalCluster, Reader, DEFAULT_FILES};
pub use pipeline::{import, import_with, load, ImportOutcome};
