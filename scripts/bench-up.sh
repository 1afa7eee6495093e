#!/usr/bin/env bash
# Measures `berth up` on the quickstart against plain `docker compose up --wait` on the very
# same rendered files (.berth/compose/local), and the time of a no-op `berth up`.
#   cold berth:   down -v, then `berth up`               (ROUNDS times)
#   cold compose: down -v, then `docker compose up -d --wait` on the files berth rendered
#   no-op:        `berth up` on the running stack (hyperfine when installed, else a loop)
# Needs the local images (scripts/build-images.sh, examples/quickstart/app/build-image.sh).
#   BERTH=path/to/berth (default: target/release/berth, else target/debug/berth)  ROUNDS=3  NOOP_RUNS=10
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
NOOP_RUNS="${NOOP_RUNS:-10}"
BERTH="${BERTH:-}"
if [[ -z "$BERTH" ]]; then
  for p in "$ROOT/target/release/berth" "$ROOT/target/debug/berth"; do [[ -x "$p" ]] && { BERTH="$p"; break; }; done
fi
[[ -x "$BERTH" ]] || { echo "bench-up: build berth first (cargo build --release -p berth-cli) or set BERTH" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK="$(mktemp -d)"
NAME="berth-bench-$$"
sed -e "s/^name: quickstart/name: $NAME/" \
    -e "s/publish: { http: 18080 }/publish: { http: $(free_port) }/" \
    -e "s/publish: 16379/publish: $(free_port)/" \
    -e "s/publish: 15432/publish: $(free_port)/" \
    "$ROOT/examples/quickstart/berth.yaml" > "$WORK/berth.yaml"
b() { "$BERTH" -q -f "$WORK/berth.yaml" "$@"; }
DIR="$WORK/.berth/compose/local"
dc() { (cd "$DIR" && docker compose -p "$NAME" -f compose.stores.yaml -f compose.services.yaml "$@"); }
cleanup() { b down --volumes >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

echo "berth: $BERTH ($("$BERTH" --version)); $(docker compose version); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
b status >/dev/null   # renders the files and writes the secrets once
berth_t=(); compose_t=()
for i in $(seq "$ROUNDS"); do
  b down --volumes >/dev/null 2>&1
  t0=$(now); b up >/dev/null; t1=$(now); berth_t+=("$(elapsed "$t0" "$t1")")
  b down --volumes >/dev/null 2>&1
  t0=$(now); dc up -d --wait --wait-timeout 300 >/dev/null 2>&1; t1=$(now); compose_t+=("$(elapsed "$t0" "$t1")")
  echo "round $i: berth up ${berth_t[-1]}s, docker compose up --wait ${compose_t[-1]}s"
done
dc down >/dev/null 2>&1; b up >/dev/null    # a running stack for the no-op runs
python3 - "${berth_t[*]}" "${compose_t[*]}" <<'PY'
import statistics, sys
b = [float(x) for x in sys.argv[1].split()]; c = [float(x) for x in sys.argv[2].split()]
mb, mc = statistics.median(b), statistics.median(c)
print(f"cold up, median of {len(b)}: berth {mb:.2f}s, docker compose --wait {mc:.2f}s, overhead ratio {mb/mc:.2f}")
PY
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 1 --runs "$NOOP_RUNS" -N "$BERTH -q -f $WORK/berth.yaml up"
else
  ts=()
  for i in $(seq "$NOOP_RUNS"); do t0=$(now); b up >/dev/null; t1=$(now); ts+=("$(elapsed "$t0" "$t1")"); done
  python3 - "${ts[*]}" <<'PY'
import statistics, sys
t = [float(x) for x in sys.argv[1].split()]
print(f"no-op berth up, {len(t)} runs: median {statistics.median(t):.3f}s, min {min(t):.3f}s, max {max(t):.3f}s")
PY
fi
