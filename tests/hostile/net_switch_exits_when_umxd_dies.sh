#!/bin/sh
# When umxd dies under a running switch domain, the switch notices the lost
# store and exits (it used to spin on the hung-up descriptor).
set -eu
dir=$(mktemp -d /tmp/umx-swdie-XXXXXX)
export UMX_DIR="$dir"
daemon= sw=
cleanup() {
	[ -n "$sw" ] && kill -9 "$sw" 2>/dev/null || true
	[ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$dir/sw.log" 2>/dev/null; exit 1; }
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umxd_start "$dir"
"$UMX" run --name sw -- "$UMX" net switch >"$dir/sw.log" 2>&1 &
sw=$!
i=0
until "$UMX" list | grep -q ' sw '; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "switch not listed"; sleep 0.05
done
sleep 0.5
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
daemon=
i=0
while kill -0 "$sw" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "switch still running 5 s after umxd died"; sleep 0.05
done
sw=
# Two paths race, both without a spin: the switch sees its store go
# (it says so), or its launcher sees umxd go first and ends the domain.
grep -q -e "store connection lost" -e "umxd went away: domain [0-9]* was ended with it" \
	"$dir/sw.log" || fail "neither the switch nor its launcher said why it stopped"
echo "switch exits when umxd dies: ok"
