#!/usr/bin/env bash
# End-to-end check of the quickstart demo on the berth-local images with `docker compose`:
# up --wait, /health, POST+GET /notes, down (volumes kept) + up, data still there, down -v.
# Uses examples/quickstart/reference/compose.yaml; the app port is published on 127.0.0.1 only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILE="$ROOT/examples/quickstart/reference/compose.yaml"
PROJECT="berth-smoke-demo-$$"
export POSTGRES_PASSWORD="pg-$RANDOM$RANDOM" RABBITMQ_PASSWORD="mq-$RANDOM$RANDOM"
export DEMO_PORT="${DEMO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
log() { printf '[smoke-demo] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; compose logs --tail 30 >&2 || true; exit 1; }
compose() { docker compose -p "$PROJECT" -f "$FILE" "$@"; }
trap 'compose down -v --remove-orphans >/dev/null 2>&1 || true' EXIT

"$ROOT/examples/quickstart/app/build-image.sh" >/dev/null
URL="http://127.0.0.1:$DEMO_PORT"
up() {
  local t=$SECONDS
  compose up -d --wait --wait-timeout 180 >/dev/null 2>&1 || fail "compose up --wait"
  log "stack healthy in $((SECONDS - t))s"
}
expect() { [[ "$3" == *"$2"* ]] || fail "$1: wanted '$2' in '$3'"; log "ok  $1"; }

up
expect "/health all ok" '"status":"ok"' "$(curl -fsS "$URL/health")"
expect "/health names each store" '"rabbitmq":"ok"' "$(curl -fsS "$URL/health")"
for i in 1 2 3; do curl -fsS -X POST --data "note $i" "$URL/notes" >/dev/null || fail "POST /notes"; done
expect "/notes after 3 posts" '"count":3' "$(curl -fsS "$URL/notes")"
expect "healthcheck subcommand in the container" ok "$(compose exec -T app /usr/local/bin/berth-demo --check && echo ok)"

compose stop rabbitmq >/dev/null 2>&1
code=$(curl -s -o /tmp/berth-smoke-demo.$$ -w '%{http_code}' "$URL/health" || true)
expect "/health 503 when rabbitmq is down" 503 "$code"
expect "/health names the failing store" '"failing":["rabbitmq"]' "$(cat /tmp/berth-smoke-demo.$$)"
rm -f /tmp/berth-smoke-demo.$$

compose down >/dev/null 2>&1
up
got=$(curl -fsS "$URL/notes")
expect "postgres rows survive down/up" '"count":3' "$got"
expect "redis counter survives down/up" '"counter":3' "$got"
expect "rabbitmq messages survive down/up" '"queued":3' "$got"
log "demo passed"
