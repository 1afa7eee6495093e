#!/usr/bin/env bash
# The bad-input drills of docs/drive.md ("What survives what") as figures: for each input, the
# exit code, wall time, peak RSS and bytes on stderr, each run under a hard bound (address
# space and CPU seconds, `prlimit`), so a regression ends as a killed run instead of a stalled
# machine. The same inputs are asserted in crates/berth-cli/tests/drills.rs.
# Usage: scripts/bench-drills.sh [path/to/berth]   (default: target/debug/berth)
set -euo pipefail
BERTH=$(realpath "${1:-target/debug/berth}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

printf '%-44s %5s %8s %9s %10s\n' drill exit "wall s" "RSS MiB" "stderr B"
run() { # name, then berth's arguments
    local name=$1; shift
    local code=0
    timeout -s KILL 300 /usr/bin/time -f '%e %M' -o time.txt \
        prlimit --as=$((2048 << 20)) --cpu=120 -- "$BERTH" "$@" \
        </dev/null >/dev/null 2>err.txt || code=$?
    read -r wall rss < <(tail -n 1 time.txt) || true
    printf '%-44s %5s %8s %9s %10s\n' "$name" "$code" "$wall" "$((rss / 1024))" "$(wc -c <err.txt)"
}

run "validate -f /dev/zero" -f /dev/zero validate
mkfifo fifo.yaml
run "validate -f FIFO" -f fifo.yaml validate
run "import -f /dev/zero" import -f /dev/zero -o -

python3 -c 'print("name: " + "a" * (50 << 20))' >big.yaml
run "validate 50 MB one-line file" -f big.yaml validate
python3 -c '
print("{name: Bad_Name, services: {api: {image: x, ports: {http: 8080}, nope: " + "b" * 10_000_000 + "}}}")
' >long.yaml
run "validate 10 MB one-line file (2 errors)" -f long.yaml validate

for n in 4000 5000 20000; do
    python3 - "$n" >warn.yaml <<'PY'
import sys
print("name: warned\nservices:\n  api: { image: x, ports: { http: 8080 } }")
print("environments:\n  local: { platform: compose }\nsecrets:")
for i in range(int(sys.argv[1])):
    print(f"  s{i}: {{ generate: {{ length: 16 }} }}")
PY
    run "validate $n warnings" -f warn.yaml validate
    run "render $n warnings" -f warn.yaml render --out out
done

mkdir -p range && cp "$ROOT/tests/drills/port-range/compose.yaml" range/
run "import 1-65535/udp (builtin)" import --project-directory range -f range/compose.yaml --reader builtin -o -
if docker compose version >/dev/null 2>&1; then
    run "import 1-65535/udp (docker)" import --project-directory range -f range/compose.yaml --reader docker -o -
fi
