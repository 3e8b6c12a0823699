#!/bin/sh
# `umx attack` against umx's own netfront (in a sandboxed domain): every
# attack of the netback and grant-mapper roles is rejected, the JSON report
# lists each one once with its verdict (and scripts/attack_table.sh makes a
# row of each), and the exit status is 0.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-attack-ok
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
domain_bg target "$UMX_ATTACK_TARGET" honest
domid target >/dev/null
for role in netback grant-mapper; do
	rc=0
	"$UMX" attack "$role" target --json >"$dir/$role.json" 2>"$dir/$role-attack.log" || rc=$?
	[ $rc = 0 ] || fail "$role: exit $rc: $(cat "$dir/$role.json")"
	# One attack per catalogue line of the role (umx attack --list).
	want=$("$UMX" attack --list | awk -v r="$role" '
		/^[a-z]/ { on = ($1 == r) } on && /^  [a-z]/ && !/correct:/ { n++ } END { print n }')
	got=$(grep -c '"verdict": "rejected"' "$dir/$role.json" || true)
	all=$(grep -c '"verdict": ' "$dir/$role.json" || true)
	if [ "$want" -eq 0 ] || [ "$got" != "$want" ] || [ "$all" != "$want" ]; then
		fail "$role: $got of $all rejected, catalogue $want: $(cat "$dir/$role.json")"
	fi
	grep -q '"vulnerable": false' "$dir/$role.json" || fail "$role: vulnerable in $dir/$role.json"
	# The docs' table of it (scripts/attack_table.sh): one row per attack.
	rows=$(sh "$UMX_SOURCE_DIR/scripts/attack_table.sh" "$dir/$role.json" | grep -c '| \*\*rejected\*\* |' || true)
	[ "$rows" = "$want" ] || fail "$role: attack_table.sh made $rows rows, not $want"
	echo "$role: $got of $want attacks rejected"
done
# The target kept working through all of it: it is still running.
kill -0 "$bg" 2>/dev/null || fail "the target domain ended"
echo "umx's netfront rejects every attack: ok"
