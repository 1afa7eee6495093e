#!/usr/bin/env bash
# The project's test command: formatting, lints, then every test target of the workspace, with
# every oracle required: BERTH_REQUIRE_ORACLES=1 turns a missing oracle (docker compose, kubectl,
# kubernetes-validate, checkov, terraform, moto_server, the berth-local/* images) into a failure
# instead of a skip. It installs nothing: scripts/install-oracles.sh and scripts/build-images.sh do
# (.ci/run runs all three). Plain `cargo test` skips the tests whose oracle is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export BERTH_REQUIRE_ORACLES=1
step() { printf '\n==> %s\n' "$*" >&2; }
t0=$SECONDS
step "cargo fmt --all -- --check"
cargo fmt --all -- --check
step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
step "demo image berth-local/berth-demo:dev (the drive e2e tests run it)"
BERTH_DEMO_PROFILE="${BERTH_DEMO_PROFILE:-debug}" examples/quickstart/app/build-image.sh
step "cargo test --workspace --all-targets"
cargo test --workspace --all-targets
printf '\n==> scripts/test.sh done in %ss\n' "$((SECONDS - t0))" >&2
