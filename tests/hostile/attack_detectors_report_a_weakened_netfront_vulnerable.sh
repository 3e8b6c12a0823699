#!/bin/sh
# Every detector of `umx attack` can say vulnerable: a deliberately weakened
# netfront (tests/tools/umx_attack_target.c weak: a free list that trusts
# every response, abort() on a TX id past its table, RX responses taken
# unchecked, buffers reused after a failed end of access) is reported
# vulnerable, with the evidence, and the exit status is 1; one that never
# comes back from an event storm is reported hung (exit 0: not vulnerable).
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-attack-weak
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
n=0
# expect ROLE ATTACK EVIDENCE-REGEX: a fresh weak target, one attack.
expect() {
	n=$((n + 1))
	domain_bg "weak$n" "$UMX_ATTACK_TARGET" weak
	domid "weak$n" >/dev/null
	rc=0
	"$UMX" attack "$1" "weak$n" --attack "$2" >"$dir/out$n" 2>"$dir/attack$n.log" || rc=$?
	[ $rc = 1 ] || fail "$1 $2: exit $rc, not 1: $(cat "$dir/out$n")"
	line=$(grep "^$2 " "$dir/out$n") || fail "$1 $2: no result: $(cat "$dir/out$n")"
	echo "$line" | grep -q " vulnerable " || fail "$1 $2: not vulnerable: $line"
	echo "$line" | grep -Eq "$3" || fail "$1 $2: evidence is not /$3/: $line"
	echo "$line"
}
# MSA00: a duplicate completion puts the id on the free list twice.
expect netback tx-dup-id "TX id [0-9]+ posted again while in flight"
# A crash: abort() on an id past the table, as BUG_ON did.
expect netback tx-id-out-of-range "the target died"
# An RX id answered twice: the buffer re-posted twice, the frame echoed twice.
expect netback rx-dup-id "RX id [0-9]+ posted again while in flight.*marker came back [2-9]"
# MSA02: the RX pages reused while we still map them.
expect grant-mapper rx-pages-kept-mapped "reused while mapped: .*SECRET-OF-THE-TARGET"
# XSA-391: an unbounded event handler never takes up the next device (the
# probe waits --timeout for it: 4 s, not the default 10).
n=$((n + 1))
domain_bg "weak$n" "$UMX_ATTACK_TARGET" weak
domid "weak$n" >/dev/null
rc=0
"$UMX" attack netback "weak$n" --attack event-storm --timeout 4 >"$dir/out$n" 2>"$dir/attack$n.log" || rc=$?
[ $rc = 0 ] || fail "event-storm: exit $rc, not 0: $(cat "$dir/out$n")"
grep -Eq "^event-storm .* hung .*next fresh vif never worked" "$dir/out$n" ||
	fail "event-storm: not hung: $(cat "$dir/out$n")"
grep "^event-storm " "$dir/out$n"
echo "every detector reports the weakened netfront: ok"
