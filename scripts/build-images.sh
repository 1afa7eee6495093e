#!/usr/bin/env bash
# Builds the berth-local/* images from Debian packages, without any image registry.
#
#   berth-local/base:bookworm         minbase + ca-certificates + curl (runs a copied binary)
#   berth-local/stores-base:bookworm  base + redis-server + postgresql + rabbitmq-server (shared layer)
#   berth-local/redis:7               \
#   berth-local/postgres:15            } thin layers FROM stores-base, entrypoints in images/<name>/
#   berth-local/rabbitmq:3            /  (also tagged berth-local/rabbitmq:3-management)
#
# Idempotent: an image whose tag exists is skipped; the debootstrapped rootfs tarballs are cached in
# $BERTH_IMAGE_CACHE (default /var/cache/berth-images). BERTH_IMAGES_REBUILD=1 rebuilds the thin
# layers (they are also rebuilt whenever images/<name>/ changes), BERTH_IMAGES_REBUILD=all also
# re-debootstraps and re-imports. MongoDB is not in Debian: no image for it. The platform
# stand-ins (LocalStack, MariaDB, Prometheus, Mailpit) are listed at PLATFORM_IMAGES below.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BERTH_IMAGE_CACHE:-/var/cache/berth-images}"
MIRROR="${BERTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${BERTH_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
SUITE=bookworm
REBUILD="${BERTH_IMAGES_REBUILD:-0}"

BASE_TAG=berth-local/base:bookworm
STORES_TAG=berth-local/stores-base:bookworm
STORE_PACKAGES=(redis-server redis-tools postgresql-15 postgresql-client-15 rabbitmq-server)
# name -> tag(s)
declare -A STORE_TAGS=(
  [redis]="berth-local/redis:7"
  [postgres]="berth-local/postgres:15"
  [rabbitmq]="berth-local/rabbitmq:3 berth-local/rabbitmq:3-management"
)

log() { printf '[build-images] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
# Content hash of images/<name>/: a thin image is rebuilt when its Dockerfile or entrypoint changes.
recipe_hash() { (cd "$ROOT/images/$1" && find . -type f -not -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }
image_hash() { docker image inspect -f '{{index .Config.Labels "berth.local.recipe"}}' "$1" 2>/dev/null || true; }
thin_current() { [[ "$(image_hash "$2")" == "$(recipe_hash "$1")" ]]; }

all_present() {
  have_image "$BASE_TAG" && have_image "$STORES_TAG" || return 1
  local name tag
  for name in "${!STORE_TAGS[@]}"; do
    for tag in ${STORE_TAGS[$name]}; do thin_current "$name" "$tag" || return 1; done
  done
}

# --- platform stand-ins (issue 14): thin layers FROM base, each in images/<name>/ ---------------
#   berth-local/localstack:4   moto's server (PyPI moto[server]) as LocalStack: S3, SQS, SNS on 4566
#   berth-local/mariadb:10.11  Debian's mariadb-server as the official mariadb image (mysql stores)
#   berth-local/prometheus:2   Debian's prometheus as prom/prometheus (observability, issue 15)
#   berth-local/mailpit:1      aiosmtpd (PyPI) and a small server as axllent/mailpit (smtp stores):
#                              SMTP on 1025 (any login), a subset of Mailpit's API on 8025, no UI,
#                              no TLS, no POP3; the build runs its self-test (images/mailpit/)
PLATFORM_IMAGES=(localstack mariadb prometheus mailpit)
declare -A PLATFORM_TAGS=([localstack]="berth-local/localstack:4" [mariadb]="berth-local/mariadb:10.11"
  [prometheus]="berth-local/prometheus:2" [mailpit]="berth-local/mailpit:1")
platform_present() {
  local name
  for name in "${PLATFORM_IMAGES[@]}"; do thin_current "$name" "${PLATFORM_TAGS[$name]}" || return 1; done
}
build_platform_images() {
  local name tag
  for name in "${PLATFORM_IMAGES[@]}"; do
    tag=${PLATFORM_TAGS[$name]}
    if [[ "$REBUILD" == 0 ]] && thin_current "$name" "$tag"; then continue; fi
    log "docker build $tag (apt + PyPI inside the build)"
    # The context: the recipe plus this host's CA bundle (pip behind a TLS-inspecting proxy).
    local ctx
    ctx=$(mktemp -d)
    cp -a "$ROOT/images/$name/." "$ctx/"
    find "$ctx" -name __pycache__ -prune -exec rm -rf {} +
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/build-ca.crt" 2>/dev/null || : >"$ctx/build-ca.crt"
    if ! DOCKER_BUILDKIT=0 docker build -q -t "$tag" --label "berth.local.recipe=$(recipe_hash "$name")" \
      "$ctx" >"$CACHE/build-$name.log" 2>&1; then
      rm -rf "$ctx"
      cat "$CACHE/build-$name.log" >&2
      die "docker build of $name failed"
    fi
    rm -rf "$ctx"
  done
}

if [[ "$REBUILD" == 0 ]] && all_present && platform_present; then
  log "all berth-local images present (BERTH_IMAGES_REBUILD=1 to rebuild)"
  exit 0
fi

command -v docker >/dev/null || die "docker not found"
docker info >/dev/null 2>&1 || die "docker engine not reachable"
[[ $(id -u) == 0 ]] || die "must run as root (debootstrap/chroot)"
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
fi

START=$SECONDS
mkdir -p "$CACHE"
BASE_ROOTFS="$CACHE/rootfs-base"
STORES_ROOTFS="$CACHE/rootfs-stores"
BASE_TAR="$CACHE/base-$SUITE.tar"
STORES_TAR="$CACHE/stores-$SUITE.tar"

MOUNTED=()
cleanup() {
  local m
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    m="${MOUNTED[$i]}"
    umount -l "$m" 2>/dev/null || true
  done
}
trap cleanup EXIT

# Runs a command inside a rootfs with /proc, /sys and /dev/pts mounted and services disabled.
in_chroot() {
  local rootfs=$1; shift
  local d
  for d in proc sys dev/pts; do
    mkdir -p "$rootfs/$d"
    if ! mountpoint -q "$rootfs/$d"; then
      case $d in
        proc) mount -t proc proc "$rootfs/proc" ;;
        sys) mount -t sysfs sys "$rootfs/sys" ;;
        dev/pts) mount -t devpts devpts "$rootfs/dev/pts" ;;
      esac
      MOUNTED+=("$rootfs/$d")
    fi
  done
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 HOME=/root "$@"
}

unmount_all() { cleanup; MOUNTED=(); }

# rm -rf a rootfs, first unmounting anything a killed earlier run may have left mounted inside it.
remove_rootfs() {
  local rootfs=$1 m
  [[ -e "$rootfs" ]] || return 0
  while read -r m; do
    [[ -n "$m" ]] && umount -l "$m" 2>/dev/null || true
  done < <(findmnt -rn -o TARGET | grep -F "$rootfs/" | sort -r)
  if findmnt -rn -o TARGET | grep -qF "$rootfs/"; then die "cannot unmount everything under $rootfs"; fi
  rm -rf --one-file-system "$rootfs"
}

# Slims a rootfs and writes it as a tarball suitable for `docker import`.
pack_rootfs() {
  local rootfs=$1 tar=$2
  unmount_all
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/*.log "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/tmp/* "$rootfs"/var/tmp/*
  : >"$rootfs/etc/resolv.conf"
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
}

if [[ "$REBUILD" == all ]]; then
  remove_rootfs "$BASE_ROOTFS"; remove_rootfs "$STORES_ROOTFS"
  rm -f "$BASE_TAR" "$STORES_TAR"
fi

# --- 1. base rootfs (debootstrap, cached) -------------------------------------------------------
if [[ ! -f "$BASE_TAR" ]]; then
  log "debootstrap --variant=minbase $SUITE into $BASE_ROOTFS"
  t=$SECONDS
  remove_rootfs "$BASE_ROOTFS"
  debootstrap --variant=minbase --include=ca-certificates,curl "$SUITE" "$BASE_ROOTFS" "$MIRROR" \
    >"$CACHE/debootstrap.log" 2>&1 || { tail -30 "$CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
  cat >"$BASE_ROOTFS/etc/apt/sources.list" <<SRC
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
SRC
  # Docker-style apt defaults: no recommends, no docs, no cache.
  cat >"$BASE_ROOTFS/etc/apt/apt.conf.d/90berth" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
APT
  cat >"$BASE_ROOTFS/etc/dpkg/dpkg.cfg.d/90berth-nodoc" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
DPKG
  # Never start services while installing packages into the rootfs.
  printf '#!/bin/sh\nexit 101\n' >"$BASE_ROOTFS/usr/sbin/policy-rc.d"
  chmod 755 "$BASE_ROOTFS/usr/sbin/policy-rc.d"
  in_chroot "$BASE_ROOTFS" apt-get update -qq
  in_chroot "$BASE_ROOTFS" apt-get -y -qq dist-upgrade >/dev/null
  in_chroot "$BASE_ROOTFS" apt-get clean
  unmount_all
  # The stores rootfs starts from this one (copied before slimming, so apt lists stay usable).
  remove_rootfs "$STORES_ROOTFS"
  cp -a "$BASE_ROOTFS" "$STORES_ROOTFS"
  rm -f "$BASE_ROOTFS/usr/sbin/policy-rc.d"
  pack_rootfs "$BASE_ROOTFS" "$BASE_TAR"
  remove_rootfs "$BASE_ROOTFS"
  log "base rootfs ready ($((SECONDS - t))s)"
fi

# --- 2. stores rootfs: one chroot install of all store packages (shared by the store images) ----
if [[ ! -f "$STORES_TAR" ]]; then
  log "installing ${STORE_PACKAGES[*]} into $STORES_ROOTFS"
  t=$SECONDS
  if [[ ! -d "$STORES_ROOTFS/usr" ]]; then
    # Base tarball exists but the working copy was removed: recreate it from the tarball.
    remove_rootfs "$STORES_ROOTFS"; mkdir -p "$STORES_ROOTFS"
    tar --numeric-owner -C "$STORES_ROOTFS" -xf "$BASE_TAR"
    printf '#!/bin/sh\nexit 101\n' >"$STORES_ROOTFS/usr/sbin/policy-rc.d"
    chmod 755 "$STORES_ROOTFS/usr/sbin/policy-rc.d"
  fi
  # The images initialise their own data directory at first start (like the official ones).
  mkdir -p "$STORES_ROOTFS/etc/postgresql-common/createcluster.d"
  echo 'create_main_cluster = false' >"$STORES_ROOTFS/etc/postgresql-common/createcluster.d/00-berth.conf"
  in_chroot "$STORES_ROOTFS" apt-get update -qq
  in_chroot "$STORES_ROOTFS" apt-get install -y -qq "${STORE_PACKAGES[@]}" >"$CACHE/stores-apt.log" 2>&1 ||
    { tail -30 "$CACHE/stores-apt.log" >&2; die "apt-get install in stores rootfs failed"; }
  in_chroot "$STORES_ROOTFS" dpkg-query -W -f '${Package}\t${Version}\n' "${STORE_PACKAGES[@]}" erlang-base \
    >"$CACHE/stores-versions.tsv"
  in_chroot "$STORES_ROOTFS" apt-get clean
  rm -f "$STORES_ROOTFS/usr/sbin/policy-rc.d"
  pack_rootfs "$STORES_ROOTFS" "$STORES_TAR"
  remove_rootfs "$STORES_ROOTFS"
  log "stores rootfs ready ($((SECONDS - t))s)"
fi

# --- 3. docker import + thin Dockerfile layers -------------------------------------------------
import_image() {
  local tar=$1 tag=$2
  if [[ "$REBUILD" == all ]] || ! have_image "$tag"; then
    log "docker import $tag"
    docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'ENV LANG=C.UTF-8' \
      -c 'CMD ["/bin/bash"]' \
      -m "berth-local rootfs from Debian $SUITE" "$tar" "$tag" >/dev/null
  fi
}
import_image "$BASE_TAR" "$BASE_TAG"
import_image "$STORES_TAR" "$STORES_TAG"

for name in redis postgres rabbitmq; do
  tags=(${STORE_TAGS[$name]})
  if [[ "$REBUILD" == 0 ]] && thin_current "$name" "${tags[-1]}"; then continue; fi
  log "docker build ${tags[*]}"
  args=()
  for tag in "${tags[@]}"; do args+=(-t "$tag"); done
  # The classic builder: BuildKit may be absent on this engine, and these layers need no cache mounts.
  if ! DOCKER_BUILDKIT=0 docker build -q "${args[@]}" --label "berth.local.recipe=$(recipe_hash "$name")" \
    "$ROOT/images/$name" >"$CACHE/build-$name.log" 2>&1; then
    cat "$CACHE/build-$name.log" >&2
    die "docker build of $name failed"
  fi
done

build_platform_images

# Per-image versions, for docs/oracles.md and debugging.
[[ -f "$CACHE/stores-versions.tsv" ]] && log "store packages: $(tr '\t\n' '= ' <"$CACHE/stores-versions.tsv")"
log "done in $((SECONDS - START))s"
