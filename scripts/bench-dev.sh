#!/usr/bin/env bash
# Benchmarks of `berth dev` (figures, not pass/fail tests):
#   1. file change → the process serving again (median of N changes), from the state file;
#   2. 50 trivial services (a shell that sleeps, no health check) started to ready: Berth's own
#      overhead, as the "ready in" figure berth prints;
#   3. idle CPU of berth with watchers on a 10,000-file tree (10 s sample from /proc).
# Usage: scripts/bench-dev.sh [path/to/berth]   (default: target/debug/berth)
set -euo pipefail
BERTH=$(realpath "${1:-target/debug/berth}")
WORK=$(mktemp -d)
trap 'kill -INT ${PID:-0} 2>/dev/null || true; sleep 1; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { (cd "$1" && exec "$BERTH" dev >"$1/out.log" 2>"$1/err.log") & PID=$!; }
stop() { kill -INT "$PID"; wait "$PID" || true; PID=; }
wait_for() { for _ in $(seq 1 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "timeout: $2" >&2; cat "$1" >&2; exit 1; }

# 1. change → serving again
P="$WORK/change"; mkdir -p "$P/web"; PORT=$(free_port); echo hi >"$P/web/index.html"
cat >"$P/berth.yaml" <<YAML
name: benchchange
services:
  web:
    image: example/web:1
    ports: { http: $PORT }
    health: { http: { path: / } }
    dev: { run: "exec python3 -m http.server $PORT --bind 127.0.0.1", watch: [web], workdir: web }
environments:
  dev: { platform: native }
YAML
start "$P"; wait_for "$P/err.log" "ready in"
python3 - "$P" "$PORT" <<'PY'
import json, sys, time, urllib.request, statistics
p, port = sys.argv[1], int(sys.argv[2])
def state(): 
    try: return json.load(open(f"{p}/.berth/dev/dev.json"))["processes"][0]
    except Exception: return {}
times = []
for i in range(10):
    before = state()["restarts"]
    t0 = time.monotonic()
    open(f"{p}/web/index.html", "w").write(f"change {i}\n")
    while True:
        s = state()
        if s.get("restarts") == before + 1 and s.get("state") == "ready":
            try:
                if f"change {i}" in urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read().decode():
                    break
            except Exception: pass
        time.sleep(0.005)
    times.append((time.monotonic() - t0) * 1000)
    time.sleep(0.3)
print(f"change -> serving again: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms over {len(times)} changes (includes python's own start)")
PY
grep -o "ready in [0-9]* ms" "$P/err.log" | tail -3 | sed 's/^/  process start alone (probe): /'
stop

# 2. 50 trivial services
P="$WORK/fifty"; mkdir -p "$P"
{ echo "name: benchfifty"; echo "services:"
  for i in $(seq 1 50); do echo "  s$i: { image: example/s:1, dev: { run: \"exec sleep 600\" } }"; done
  echo "environments:"; echo "  dev: { platform: native }"; } >"$P/berth.yaml"
T0=$(date +%s%N); start "$P"; wait_for "$P/err.log" "ready in"; T1=$(date +%s%N)
echo "50 services to ready: $(grep -o 'ready in [0-9.]*s' "$P/err.log" | tail -1) (berth's figure), $(( (T1 - T0) / 1000000 )) ms wall from exec to the status line"
stop

# 3. idle CPU with watchers on 10,000 files
P="$WORK/idle"; mkdir -p "$P/src"
python3 - "$P/src" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/d{d}", exist_ok=True)
    for f in range(100):
        open(f"{root}/d{d}/f{f}.ts", "w").write("x\n")
PY
cat >"$P/berth.yaml" <<YAML
name: benchidle
services:
  app: { image: example/app:1, dev: { run: "exec sleep 600", watch: [src] } }
environments:
  dev: { platform: native }
YAML
start "$P"; wait_for "$P/err.log" "ready in"; sleep 1
ticks() { awk '{print $14+$15}' "/proc/$PID/stat"; }
A=$(ticks); sleep 10; B=$(ticks); HZ=$(getconf CLK_TCK)
python3 -c "print(f'idle CPU, watchers on 10,000 files (100 dirs): {($B-$A)/$HZ/10*100:.2f}% of one core over 10 s')"
stop
