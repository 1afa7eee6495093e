//! docker compose artifacts of a compose environment: a stores file that runs alone, a services
//! file layered on top of it, `.env.example` and `.gitignore`; the secret env files the driver
//! writes at `berth up` ([`secret_files`]); and the [`plan`] the driver executes (what to start
//! in which order, what to wait for, which secrets are needed).
//!
//! Layout, under `<out>/compose/<env>/`:
//! - `compose.stores.yaml`: `docker compose -p STACK -f compose.stores.yaml up` (the
//!   databases on their own). Stores realized as containers, plus `<store>-init` for a MongoDB replica set.
//! - `compose.services.yaml`: used with the stores file (`-f stores -f services`); `depends_on`
//!   names stores defined there. Both files declare the same top-level `name` and the one bridge
//!   network `<stack>-net`, so each reads on its own and they merge cleanly.
//! - `compose.dev.yaml`: only when a service has a `dev` section; the dev mode `berth dev` layers
//!   on the other two (`develop.watch`: sync and rebuild rules, see [`develop`]).
//! - `.env.example`: every variable that lives in `.secrets/`, with the secret it comes from.
//! - `.gitignore`: `.secrets/`.
//!
//! Decisions:
//! - Secrets: no secret value ever reaches `render`. A variable whose value has a secret part
//!   (a password, a URL with one in it) goes, whole, to `.secrets/<name>.env` (`env_file`,
//!   `required: true`); store credentials go to the store's env file under the image's own
//!   variable (POSTGRES_PASSWORD, RABBITMQ_DEFAULT_PASS, MONGO_INITDB_ROOT_PASSWORD,
//!   REDIS_PASSWORD). Commands that need a password read it in the container's shell (`$$VAR`),
//!   never through compose interpolation. Every literal from the spec has `$` escaped as `$$`.
//! - MongoDB replica set: mongod runs with `--replSet RS --bind_ip_all --keyFile`, the key file
//!   derived at start from the root password (sha256 hex, mode 0400, inside the container), so
//!   no extra secret is needed. `<store>-init` runs `rs.initiate` idempotently and waits for a
//!   writable primary; dependents wait for it with `service_completed_successfully`. Compose
//!   runs a single-member set whatever `replicas` says (noted in the header).
//! - Shared builds: workloads with the same context and Dockerfile keep their own `build` (and
//!   target); BuildKit builds each shared stage once and serves the rest from its cache, which
//!   is the builder pattern without a separate builder image. The header names them.
//! - Secure by default: workloads get `read_only` + tmpfs `/tmp`, `no-new-privileges`,
//!   `cap_drop: [ALL]`; stores keep what their images need, plus `no-new-privileges`. Published
//!   ports bind to 127.0.0.1.
//! - Replicas: `deploy.replicas` (autoscale → its minimum) unless host ports are published,
//!   which would collide; then one instance and a header note.

mod common;
pub mod develop;
pub mod observe;
pub mod plan;
mod secrets;
mod services;
mod stores;

pub use common::{dir, ComposeOptions, HEADER, SERVICES_FILE, STORES_FILE};
pub use develop::{ServiceWatch, WatchAction, WatchRule, DEV_FILE};
pub use plan::{plan, ComposePlan, ObservabilityPlan};
pub use secrets::{env_file_line, secret_files, secret_targets, MissingSecret, SecretTarget};
pub use stores::volume_name;

use crate::artifact::to_yaml;
use crate::artifact::ArtifactSet;
use berth_spec::Model;

/// Render a compose environment with the default options.
pub fn render(model: &Model) -> ArtifactSet {
    render_with(model, &ComposeOptions::default())
}

/// Render a compose environment.
pub fn render_with(model: &Model, opts: &ComposeOptions) -> ArtifactSet {
    let dir = dir(model);
    let mut set = ArtifactSet::default();
    let run = format!(
        "# Stores alone: docker compose -p {s} -f compose.stores.yaml up -d\n\
         # Everything:   docker compose -p {s} -f compose.stores.yaml -f compose.services.yaml up -d\n",
        s = model.stack
    );
    let note_lines =
        |notes: Vec<String>| -> String { notes.iter().map(|n| format!("# note: {n}\n")).collect() };
    let stores = stores::document(model, opts);
    set.insert(
        format!("{dir}/{STORES_FILE}"),
        format!(
            "{HEADER}{run}{}{}",
            note_lines(stores::notes(model)),
            to_yaml(&stores)
        ),
    );
    let (services, notes) = services::document(model, opts);
    let notes = note_lines(notes);
    set.insert(
        format!("{dir}/{SERVICES_FILE}"),
        format!("{HEADER}{run}{notes}{}", to_yaml(&services)),
    );
    for (path, text) in observe::files(model) {
        let text = if path.ends_with(".json") {
            text
        } else {
            format!("{HEADER}{text}")
        };
        set.insert(format!("{dir}/{path}"), text);
    }
    if let Some(dev) = develop::document(model, opts) {
        set.insert(
            format!("{dir}/{DEV_FILE}"),
            format!(
                "{HEADER}# Dev mode (`berth dev`): docker compose -p {s} -f compose.stores.yaml -f compose.services.yaml -f {DEV_FILE} watch\n{}",
                to_yaml(&dev),
                s = model.stack
            ),
        );
    }
    set.insert(format!("{dir}/.env.example"), secrets::env_example(model));
    set.insert(
        format!("{dir}/.gitignore"),
        format!(
            "{HEADER}# Secret env files written by `berth up`; never commit them.\n.secrets/\n"
        ),
    );
    set
}
