#!/bin/sh
# The MSA02 rule between two domain processes on umxd, with the very program
# that shows it on real Xen (tests/tools/msa02_peer.c, scenario
# 60-msa02-on-xen): a page unshared while the peer maps it stays aside —
# the peer keeps seeing what was granted, never the granter's later memory,
# and its writes land in none of the granter's new pages.
set -u
peer=$(dirname "$UMX")/../tests/msa02_peer
[ -x "$peer" ] || { echo "FAIL: $peer not built"; exit 1; }
dir=$(mktemp -d /tmp/umx-msa02-XXXXXX)
export UMX_DIR="$dir"
daemon= g= m=
cleanup() {
	for p in $g $m $daemon; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$dir"/*.out "$dir/umxd.log" 2>/dev/null | tail -40; exit 1; }

. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umxd_start "$dir"
# A directory both domains may write (b0: owner dom0, read/write for all).
"$UMX" xs mkdir /msa02 && "$UMX" xs chmod /msa02 b0 || fail "store directory"

# Each side learns the other's domid from the --domid-file it waits for,
# in a directory bound read-only into both sandboxes (their /tmp is their
# own, and $dir, the umxd directory, stays hidden).
ids="$dir/ids"
mkdir -m 755 "$ids"
await='i=0; while [ ! -s "$0" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done'
"$UMX" run --ro-bind "$ids" --domid-file "$ids/m.id" -- \
	sh -c "$await"'; exec "$1" map "$(cat "$0")" /msa02' "$ids/g.id" "$peer" \
	>"$dir/map.out" 2>&1 &
m=$!
"$UMX" run --ro-bind "$ids" --domid-file "$ids/g.id" -- \
	sh -c "$await"'; exec "$1" grant "$(cat "$0")" /msa02' "$ids/m.id" "$peer" \
	>"$dir/grant.out" 2>&1 &
g=$!
wait $g; grc=$?
wait $m; mrc=$?
g= m=
cat "$dir/grant.out" "$dir/map.out"
[ $grc -eq 0 ] && [ $mrc -eq 0 ] || fail "granter rc $grc, mapper rc $mrc"
grep -q "unshare while the peer maps the page: -16 (busy" "$dir/grant.out" ||
	fail "umxd did not report the unshare of a mapped page as busy"
grep -q "ok: the page was not reused while mapped" "$dir/grant.out" || fail "granter verdict"
grep -q "ok: our mapping still holds the granted content" "$dir/map.out" || fail "mapper verdict"
echo "ok: unshared page kept aside while mapped (umxd), checked from both sides"
