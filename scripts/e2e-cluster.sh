#!/usr/bin/env bash
# Opt-in end to end against a REAL local cluster (the test suite drives stub CLIs instead; no
# cluster can run where it runs). With BERTH_E2E_CLUSTER=kind|minikube|k3d it writes a small
# project to a temp dir and runs, stopping at the first failure:
#   berth cluster create → up → status → up (a second revision) → rollback → down → cluster delete
# Without the variable it prints why it skips and exits 0. Needs the cluster's CLI, kubectl,
# Docker and network access to pull the images. BERTH_BIN names the berth binary (default:
# target/debug/berth); BERTH_E2E_KEEP=1 keeps the cluster and the temp project on failure.
set -euo pipefail
cluster="${BERTH_E2E_CLUSTER:-}"
if [ -z "$cluster" ]; then
  echo "e2e-cluster: skipped: set BERTH_E2E_CLUSTER=kind, minikube or k3d to run against a real local cluster"
  exit 0
fi
case "$cluster" in
  kind | minikube | k3d) ;;
  *) echo "e2e-cluster: BERTH_E2E_CLUSTER must be kind, minikube or k3d (got \`$cluster\`)" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
berth="${BERTH_BIN:-$root/target/debug/berth}"
[ -x "$berth" ] || { echo "e2e-cluster: $berth not found: cargo build -p berth-cli (or set BERTH_BIN)" >&2; exit 2; }
work="$(mktemp -d)"
cat > "$work/berth.yaml" <<YAML
name: berth-e2e
services:
  web:
    image: nginxinc/nginx-unprivileged:1.27
    ports: { http: 8080 }
    publish: { http: 18080 }
    uses: [cache]
    health: { http: { path: / } }
stores:
  cache: { type: redis, version: "7" }
environments:
  e2e: { platform: kubernetes, cluster: $cluster }
YAML
run() { printf '\n+ berth %s\n' "$*" >&2; "$berth" -f "$work/berth.yaml" "$@"; }
cleanup() {
  status=$?
  if [ "$status" -ne 0 ] && [ "${BERTH_E2E_KEEP:-}" = 1 ]; then
    echo "e2e-cluster: failed (exit $status); kept the cluster and $work" >&2
    exit "$status"
  fi
  [ "$status" -ne 0 ] && "$berth" -f "$work/berth.yaml" cluster delete e2e >&2 || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
run validate
run cluster create e2e --dry-run
run cluster create e2e
run cluster status e2e
run up e2e
run status e2e
run up e2e
run rollback e2e
run status e2e
run down e2e
run cluster delete e2e
echo "e2e-cluster: $cluster passed" >&2
