#!/bin/sh
# Every netfront-role detector of `umx attack` can say vulnerable: a
# deliberately weakened netback (tests/tools/umx_attack_target.c weak-back:
# OKAY for a grant it could not map, offset + size never bounded, the
# request producer trusted) is reported vulnerable with the evidence, and
# the exit status is 1.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-attack-wb
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
n=0
# expect ATTACK EVIDENCE-REGEX: a fresh weak backend, one attack.
expect() {
	n=$((n + 1))
	domain_bg "wb$n" "$UMX_ATTACK_TARGET" weak-back
	domid "wb$n" >/dev/null
	rc=0
	"$UMX" attack netfront "wb$n" --attack "$1" >"$dir/out$n" 2>"$dir/attack$n.log" || rc=$?
	[ $rc = 1 ] || fail "$1: exit $rc, not 1: $(cat "$dir/out$n")"
	line=$(grep "^$1 " "$dir/out$n") || fail "$1: no result: $(cat "$dir/out$n")"
	echo "$line" | grep -q " vulnerable " || fail "$1: not vulnerable: $line"
	echo "$line" | grep -Eq "$2" || fail "$1: evidence is not /$2/: $line"
	echo "$line"
}
expect tx-garbage-gref "grant that does not exist: answered OKAY"
# Past its page: OKAY, or the read past the mapping kills it.
expect tx-crosses-page "past its page: answered OKAY|the target died"
expect tx-req-prod-ahead "answered [0-9]+ requests never made"
echo "every netfront-role detector reports the weakened netback: ok"
