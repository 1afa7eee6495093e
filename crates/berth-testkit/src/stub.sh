#!/bin/sh
# A test stub written by berth-testkit (stubs.rs): records this call, then answers it.
PATH=/usr/bin:/bin
calls={calls}
while ! mkdir "$calls/lock" 2>/dev/null; do sleep 0.01; done
n=$(( $(cat "$calls/seq") + 1 ))
printf '%s' "$n" > "$calls/seq"
mkdir "$calls/$n"
rmdir "$calls/lock"
printf '%s' "$$" > "$calls/$n/pid"
printf '%s\0' {name} "$@" > "$calls/$n/argv.tmp"
mv "$calls/$n/argv.tmp" "$calls/$n/argv"
record_stdin() {{ [ -t 0 ] || cat > "$calls/$n/stdin"; }}
# next COUNTER LAST: how many earlier calls matched this rule (at most LAST), counted in COUNTER.
next() {{ k=$(cat "$1" 2>/dev/null || echo 0); printf '%s' $((k + 1)) > "$1"; [ "$k" -le "$2" ] && echo "$k" || echo "$2"; }}
US=$(printf '\037')
joined=
for word in "$@"; do joined="$joined$word$US"; done
case "$joined" in
{cases}esac
record_stdin
exit 0
