#!/bin/sh
# Every store-client detector of `umx attack` can say vulnerable: a
# deliberately weakened XenStore (tests/tools/umx_weak_store.c: no length
# limit, success for unknown types, paths read without their NUL, half a
# write applied) attacked through --store is reported vulnerable with the
# evidence, and the exit status is 1.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-attack-wstore
fail() { umx_fail_logs "$@"; }
"$(dirname "$UMX_ATTACK_TARGET")/umx_weak_store" "$dir/weak.sock" 2>"$dir/store.log" &
pids="$pids $!"
i=0
until [ -S "$dir/weak.sock" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "the weak store never listened"; sleep 0.05
done
rc=0
"$UMX" attack store-client 0 --store "$dir/weak.sock" >"$dir/out" 2>"$dir/attack.log" || rc=$?
[ $rc = 1 ] || fail "exit $rc, not 1: $(cat "$dir/out")"
# expect ATTACK EVIDENCE-REGEX
expect() {
	line=$(grep "^$1 " "$dir/out") || fail "$1: no result: $(cat "$dir/out")"
	echo "$line" | grep -q " vulnerable " || fail "$1: not vulnerable: $line"
	echo "$line" | grep -Eq "$2" || fail "$1: evidence is not /$2/: $line"
	echo "$line"
}
expect oversized-length "past XENSTORE_PAYLOAD_MAX: answered"
expect unknown-type "accepted message type 9999"
expect path-not-terminated "read a path without its NUL"
expect truncated-write "half a write was applied"
# Domain 0 may write anywhere: that attack cannot tell, and says so.
grep "^write-outside-home .* inconclusive " "$dir/out" >/dev/null ||
	fail "write-outside-home as domain 0: $(grep "^write-outside-home" "$dir/out")"
echo "every store detector reports the weakened store: ok"
