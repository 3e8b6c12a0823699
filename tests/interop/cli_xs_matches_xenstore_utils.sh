#!/bin/sh
# umx xs read/write/ls/rm/mkdir/perms/chmod/watch behave like Xen's
# xenstore-* tools against the same umxd store, and fail clearly.
set -eu
dir=$(mktemp -d /tmp/umx-xs-XXXXXX)
export UMX_DIR="$dir"
daemon= watcher=
cleanup() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null || true
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umxd_start "$dir"
export XENSTORED_PATH="$dir/xenstored"

"$UMX" xs write /t/a 1 /t/b/c "two words" || fail "write"
[ "$(xenstore-read /t/a)" = 1 ] || fail "xenstore-read sees umx xs write"
xenstore-write /t/d 4
[ "$("$UMX" xs read /t/d)" = 4 ] || fail "umx xs read sees xenstore-write"
[ "$("$UMX" xs read /t/a /t/d)" = "$(printf '1\n4')" ] || fail "read of two paths"
"$UMX" xs mkdir /t/e || fail "mkdir"
xenstore-exists /t/e || fail "mkdir made the node"

got=$("$UMX" xs ls /t)
want=$(printf 'a = "1"\nb = ""\n c = "two words"\nd = "4"\ne = ""')
[ "$got" = "$want" ] || { echo "$got"; fail "ls tree"; }

"$UMX" xs chmod /t/a n0 r5 || fail "chmod"
[ "$("$UMX" xs perms /t/a)" = "n0,r5" ] || fail "perms after chmod"
"$UMX" xs ls -p /t | grep -q '^a = "1"  (n0,r5)$' || fail "ls -p shows perms"

"$UMX" xs watch /t >"$dir/events" &
watcher=$!
i=0
until grep -qx /t "$dir/events" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "watch: no initial event"; sleep 0.05
done
xenstore-write /t/new x
i=0
until grep -qx /t/new "$dir/events"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "watch: no event for /t/new"; sleep 0.05
done
kill "$watcher"; watcher=

"$UMX" xs rm /t/b || fail "rm"
xenstore-exists /t/b && fail "rm removed the subtree"
"$UMX" xs read /t/missing 2>"$dir/err" && fail "read of a missing node"
grep -q "ENOENT" "$dir/err" || fail "ENOENT reported"
rc=0; "$UMX" xs write /t/odd 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "write without a value is a usage error"
echo "umx xs: ok"
