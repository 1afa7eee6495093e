#!/usr/bin/env bash
# The quickstart for a newcomer with Docker: installs the docker compose v2 plugin when Docker
# has none (scripts/install-compose-plugin.sh), builds berth, builds the local images the demo
# needs (no registry required), brings the demo API up on Redis, PostgreSQL and RabbitMQ with
# `berth up`, and prints its endpoints. Run it again at any time: it converges, nothing is
# recreated. Stop with: berth -f examples/quickstart/berth.yaml down [--volumes]
#
#   BERTH_INSTALL=1   also `cargo install --path crates/berth-cli` (berth on your PATH)
#   BERTH_DEMO_PROFILE=debug   pack a debug build of the demo (faster to compile)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '\n==> %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "quickstart: $1 is required ($2)" >&2; exit 1; }; }
need docker "https://docs.docker.com/engine/install/"
need cargo "https://rustup.rs"
need python3 "https://www.python.org/downloads/"
docker info >/dev/null 2>&1 || { echo "quickstart: the Docker engine is not reachable (is it running? may this user use it?)" >&2; exit 1; }
if ! docker compose version >/dev/null 2>&1; then
  say "docker compose v2 is missing: installing the plugin (scripts/install-compose-plugin.sh)"
  scripts/install-compose-plugin.sh
fi

if [[ "${BERTH_INSTALL:-0}" == 1 ]]; then
  say "cargo install --path crates/berth-cli"
  cargo install --locked --path crates/berth-cli
  BERTH=berth
else
  say "cargo build --release -p berth-cli"
  cargo build --release -p berth-cli
  target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  BERTH="$target_dir/release/berth"
fi

say "building the local store images (scripts/build-images.sh; cached after the first run)"
scripts/build-images.sh
say "building the demo API image (examples/quickstart/app/build-image.sh)"
examples/quickstart/app/build-image.sh

say "berth -f examples/quickstart/berth.yaml up"
"$BERTH" -f examples/quickstart/berth.yaml up

cat >&2 <<MSG

The demo is up. Try:
  curl http://127.0.0.1:18080/health
  curl -X POST --data hello http://127.0.0.1:18080/notes
  curl http://127.0.0.1:18080/notes
  $BERTH -f examples/quickstart/berth.yaml status
  $BERTH -f examples/quickstart/berth.yaml logs api -f
  $BERTH -f examples/quickstart/berth.yaml down            # keeps the data
  $BERTH -f examples/quickstart/berth.yaml down --volumes  # deletes it
MSG
