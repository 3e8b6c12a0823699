#!/bin/sh
# make demo: start a private umxd, run real domains on it, and narrate.
set -eu
build=${1:-build/release}
umx="$build/tools/umx"
umxd="$build/daemon/umxd"
dir=$(mktemp -d /tmp/umx-demo-XXXXXX)
export UMX_DIR="$dir" UMXD="$umxd"
daemon= sleeper=
cleanup() {
	[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null || true
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. Start umxd (hypervisor + XenStore) in $dir"
"$umxd" -f -d "$dir" 2>"$dir/umxd.log" &
daemon=$!
i=0
until "$umx" daemon status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$dir/umxd.log"; exit 1; }; sleep 0.05
done
"$umx" info

say "2. Start a long-running domain and list domains"
"$umx" run --name sleeper -- sleep 60 &
sleeper=$!
until "$umx" list | grep -q sleeper; do sleep 0.05; done
"$umx" list

say "3. Xen's own xenstore-ls (Debian's xenstore-utils) reads umxd's store"
echo "\$ XENSTORED_PATH=$dir/xenstored xenstore-ls -p /local/domain"
XENSTORED_PATH="$dir/xenstored" xenstore-ls -p /local/domain

say "4. Two processes exchange requests over a Xen shared ring (umx ring core)"
echo "  (request/response ping-pong over a MAP_SHARED sring, eventfd notify,"
echo "   run inside a domain; compared with a bare eventfd ping-pong)"
BENCH_SECONDS=0.5 "$umx" run --name ring-demo -- "$build/bench/bench_ring_pingpong"

say "5. Two domains share a page (grant) and signal each other (event channel)"
"$build/demo/umx-demo-shared-page"

say "6. Destroy the sleeper; umx wait reports how it died"
"$umx" destroy 1
wait "$sleeper" 2>/dev/null || true
sleeper=
"$umx" wait 1 || true
echo "\$ xenstore-exists /local/domain/1  (its store nodes are gone)"
if XENSTORED_PATH="$dir/xenstored" xenstore-exists /local/domain/1; then
	echo "still there (unexpected)"; exit 1
else
	echo "gone"
fi

say "7. Stop umxd"
"$umx" daemon stop
wait "$daemon" 2>/dev/null || true
daemon=
echo
echo "umxd's log:"
sed 's/^/  /' "$dir/umxd.log"
