#!/bin/sh
# `umx attack store-client` against umxd's XenStore, the attacker a
# sandboxed domain: every attack is rejected (cut off, EINVAL, ENOSYS,
# EACCES, nothing of a half write applied), the store serves each next
# connection, and the exit status is 0.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-attack-store
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
# The command line: help is exit 0, a role or attack not in the catalogue
# exit 2 with the reason.
"$UMX" attack --help | grep -q "^usage: umx attack ROLE" || fail "umx attack --help"
rc=0; "$UMX" attack nosuchrole 0 2>"$dir/err" || rc=$?
[ $rc = 2 ] || fail "unknown role: exit $rc"
grep -q "no role 'nosuchrole'" "$dir/err" || fail "unknown role: $(cat "$dir/err")"
rc=0; "$UMX" attack store-client 0 --attack nope 2>"$dir/err" || rc=$?
[ $rc = 2 ] || fail "unknown attack: exit $rc"
grep -q "no attack 'nope'" "$dir/err" || fail "unknown attack: $(cat "$dir/err")"
rc=0
"$UMX" attack store-client 0 >"$dir/out" 2>"$dir/attack.log" || rc=$?
[ $rc = 0 ] || fail "exit $rc: $(cat "$dir/out")"
want=$("$UMX" attack --list | awk '
	/^[a-z]/ { on = ($1 == "store-client") } on && /^  [a-z]/ && !/correct:/ { n++ } END { print n }')
got=$(grep -c " rejected " "$dir/out" || true)
[ "$want" -gt 0 ] || fail "no store-client attack in the catalogue"
[ "$got" = "$want" ] || fail "$got of $want rejected: $(cat "$dir/out")"
"$UMX" xs read /local/domain/0/umx-attack-foreign >/dev/null 2>&1 &&
	fail "a domain wrote into domain 0's directory"
cat "$dir/out"
echo "umxd's store rejects every client attack: ok"
