#!/usr/bin/env bash
# Smoke-tests the berth-local/* images: each starts, its healthcheck passes, it honours the official
# image's variables, accepts a client from another container, and keeps its data when the container
# is recreated on the same volume. Private internal docker network, no published ports; cleans up.
set -euo pipefail

P="berth-smoke-$$"
NET="$P-net"
TIMEOUT="${BERTH_SMOKE_TIMEOUT:-120}"
log() { printf '[smoke-images] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

for img in berth-local/base:bookworm berth-local/redis:7 berth-local/postgres:15 berth-local/rabbitmq:3; do
  docker image inspect "$img" >/dev/null 2>&1 || fail "image $img missing (run scripts/build-images.sh)"
done

cleanup() {
  local ids
  ids=$(docker ps -aq --filter "label=$P" 2>/dev/null || true)
  [[ -n "$ids" ]] && docker rm -f $ids >/dev/null 2>&1 || true
  ids=$(docker volume ls -q --filter "label=$P" 2>/dev/null || true)
  [[ -n "$ids" ]] && docker volume rm -f $ids >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
}
trap cleanup EXIT
docker network create --internal --label "$P" "$NET" >/dev/null

# run NAME IMAGE [docker-run args...] -- starts a detached container on the private network.
run() {
  local name=$1 image=$2; shift 2
  docker run -d --name "$P-$name" --network "$NET" --network-alias "$name" --label "$P" "$@" "$image" >/dev/null
}
volume() { docker volume create --label "$P" "$P-$1" >/dev/null; echo "$P-$1"; }

# wait_healthy NAME -- waits for the image's HEALTHCHECK to report healthy.
wait_healthy() {
  local name=$1 start=$SECONDS status
  while :; do
    status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.Status}}' "$P-$name")
    case $status in
      "healthy running") log "$name healthy after $((SECONDS - start))s"; return 0 ;;
      *exited* | *dead*) docker logs "$P-$name" 2>&1 | tail -20 >&2; fail "$name exited" ;;
    esac
    if ((SECONDS - start > TIMEOUT)); then
      docker logs "$P-$name" 2>&1 | tail -20 >&2
      fail "$name not healthy after ${TIMEOUT}s ($status)"
    fi
    sleep 1
  done
}
in_c() { local name=$1; shift; docker exec "$P-$name" "$@"; }
# client IMAGE CMD... -- a throwaway client container on the private network.
client() { local image=$1; shift; docker run --rm --network "$NET" --label "$P" "$image" "$@"; }
expect() { # expect DESCRIPTION WANT GOT
  [[ "$3" == *"$2"* ]] || fail "$1: wanted '$2', got '$3'"
  log "ok  $1"
}

# --- base ---------------------------------------------------------------------------------------
expect "base: curl runs" "curl " "$(docker run --rm --label "$P" --network none berth-local/base:bookworm curl --version | head -1)"
expect "base: CA bundle" "ca-certificates.crt" "$(docker run --rm --label "$P" --network none berth-local/base:bookworm ls /etc/ssl/certs/ca-certificates.crt)"

# --- start all three stores at once (rabbitmq is the slow one) ------------------------------------
rv=$(volume redis-data); pv=$(volume pg-data); qv=$(volume rmq-data)
run redis berth-local/redis:7 -v "$rv:/data"
run postgres berth-local/postgres:15 -v "$pv:/var/lib/postgresql/data" \
  -e POSTGRES_USER=app -e POSTGRES_PASSWORD=s3cret -e POSTGRES_DB=appdb
run rabbitmq berth-local/rabbitmq:3 -v "$qv:/var/lib/rabbitmq" \
  -e RABBITMQ_DEFAULT_USER=app -e RABBITMQ_DEFAULT_PASS=s3cret
pwdir=$(mktemp -d); chmod 0755 "$pwdir"; printf 'fromfile\n' >"$pwdir/pw"; chmod 0644 "$pwdir/pw"
run pgfile berth-local/postgres:15 -v "$pwdir:/run/secrets:ro" \
  -e POSTGRES_PASSWORD_FILE=/run/secrets/pw -e POSTGRES_USER=fileuser
run redisroot berth-local/redis:7 --user 0:0

wait_healthy redis
wait_healthy redisroot
wait_healthy postgres
wait_healthy pgfile
wait_healthy rabbitmq

# --- redis --------------------------------------------------------------------------------------
expect "redis: redis-cli ping" PONG "$(in_c redis redis-cli ping)"
expect "redis: appendonly yes" yes "$(in_c redis redis-cli config get appendonly | tail -1)"
expect "redis: data dir /data" /data "$(in_c redis redis-cli config get dir | tail -1)"
expect "redis: remote client write" OK "$(client berth-local/redis:7 redis-cli -h redis set smoke kept)"
expect "redis: started as root drops to redis" redis "$(in_c redisroot sh -c 'ps -o user= -C redis-server 2>/dev/null || stat -c %U /proc/1')"

# --- postgres -----------------------------------------------------------------------------------
expect "postgres: pg_isready" "accepting connections" "$(in_c postgres pg_isready -h 127.0.0.1)"
expect "postgres: user/db/password over TCP (scram)" " 1" \
  "$(client berth-local/postgres:15 env PGPASSWORD=s3cret psql -h postgres -U app -d appdb -tAc 'select 1 as one' | sed 's/^/ /')"
expect "postgres: scram-sha-256 stored" SCRAM-SHA-256 \
  "$(in_c postgres psql -U app -d appdb -tAc "select left(rolpassword, 13) from pg_authid where rolname='app'")"
if client berth-local/postgres:15 env PGPASSWORD=wrong psql -h postgres -U app -d appdb -tAc 'select 1' >/dev/null 2>&1; then
  fail "postgres: wrong password accepted"
fi
log "ok  postgres: wrong password refused"
client berth-local/postgres:15 env PGPASSWORD=s3cret psql -h postgres -U app -d appdb -qc \
  "create table smoke(v text); insert into smoke values ('kept')" >/dev/null
expect "postgres: POSTGRES_PASSWORD_FILE" " 1" \
  "$(client berth-local/postgres:15 env PGPASSWORD=fromfile psql -h pgfile -U fileuser -d fileuser -tAc 'select 1' | sed 's/^/ /')"

# --- rabbitmq -----------------------------------------------------------------------------------
in_c rabbitmq rabbitmq-diagnostics -q ping >/dev/null || fail "rabbitmq: rabbitmq-diagnostics -q ping"
log "ok  rabbitmq: rabbitmq-diagnostics -q ping"
expect "rabbitmq: default user from env" Success "$(in_c rabbitmq rabbitmqctl authenticate_user app s3cret 2>&1)"
in_c rabbitmq rabbitmqctl -q add_vhost smoke-kept >/dev/null
expect "rabbitmq: AMQP port reachable from another container" "open" \
  "$(client berth-local/base:bookworm bash -c 'exec 3<>/dev/tcp/rabbitmq/5672 && echo open')"

# --- recreate every store on its volume: data must survive ---------------------------------------
docker rm -f "$P-redis" "$P-postgres" "$P-rabbitmq" >/dev/null
run redis berth-local/redis:7 -v "$rv:/data"
run postgres berth-local/postgres:15 -v "$pv:/var/lib/postgresql/data" \
  -e POSTGRES_USER=app -e POSTGRES_PASSWORD=s3cret -e POSTGRES_DB=appdb
run rabbitmq berth-local/rabbitmq:3 -v "$qv:/var/lib/rabbitmq" \
  -e RABBITMQ_DEFAULT_USER=app -e RABBITMQ_DEFAULT_PASS=s3cret
wait_healthy redis
wait_healthy postgres
wait_healthy rabbitmq
expect "redis: data survives recreate (AOF)" kept "$(in_c redis redis-cli get smoke)"
expect "postgres: data survives recreate" kept "$(in_c postgres psql -U app -d appdb -tAc 'select v from smoke')"
expect "rabbitmq: data survives recreate" smoke-kept "$(in_c rabbitmq rabbitmqctl -q list_vhosts name)"
rm -rf "$pwdir"
log "all images passed"
