#!/usr/bin/env bash
# Builds berth-demo on the host (release) and packs it into berth-local/berth-demo:dev
# (FROM berth-local/base:bookworm, made by scripts/build-images.sh). TAG overrides the tag;
# BERTH_DEMO_PROFILE=debug packs the dev build instead (CI: reuses what `cargo test` compiled).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TAG="${TAG:-berth-local/berth-demo:dev}"
docker image inspect berth-local/base:bookworm >/dev/null 2>&1 ||
  { echo "berth-local/base:bookworm missing: run scripts/build-images.sh" >&2; exit 1; }
PROFILE="${BERTH_DEMO_PROFILE:-release}"
case $PROFILE in
  release) cargo build --release -p berth-demo --manifest-path "$ROOT/Cargo.toml" ;;
  debug) cargo build -p berth-demo --manifest-path "$ROOT/Cargo.toml" ;;
  *) echo "BERTH_DEMO_PROFILE must be release or debug" >&2; exit 2 ;;
esac
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p "$HERE/bin"
cp "$target_dir/$PROFILE/berth-demo" "$HERE/bin/berth-demo"
DOCKER_BUILDKIT=0 docker build -q -t "$TAG" "$HERE" >/dev/null 2>"$HERE/bin/build.log" ||
  { cat "$HERE/bin/build.log" >&2; exit 1; }
echo "$TAG"
