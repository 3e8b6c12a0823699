#!/bin/sh
# `umx attack netfront` against umx's own netback (`umx net switch` in a
# sandboxed domain): every attack is rejected (ERROR for a grant that does
# not exist, the port disconnected for a slot past its page or a producer
# running ahead, an honest frame still answered after an event storm), the
# probe vif works afterwards, and the exit status is 0.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-attack-nb
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
switch_start
rc=0
"$UMX" attack netfront switch >"$dir/out" 2>"$dir/attack.log" || rc=$?
[ $rc = 0 ] || fail "exit $rc: $(cat "$dir/out")"
want=$("$UMX" attack --list | awk '
	/^[a-z]/ { on = ($1 == "netfront") } on && /^  [a-z]/ && !/correct:/ { n++ } END { print n }')
got=$(grep -c " rejected " "$dir/out" || true)
[ "$want" -gt 0 ] || fail "no netfront attack in the catalogue"
[ "$got" = "$want" ] || fail "$got of $want rejected: $(cat "$dir/out")"
kill -0 "$bg" 2>/dev/null || fail "the switch domain ended"
cat "$dir/out"
echo "umx's netback rejects every attack: ok"
