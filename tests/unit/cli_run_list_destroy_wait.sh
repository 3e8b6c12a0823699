#!/bin/sh
# The umx command: run reports the exit status, list/--json show a running
# domain, destroy kills it, wait reports how it died, errors are clear.
set -eu
dir=$(mktemp -d /tmp/umx-cli-XXXXXX)
export UMX_DIR="$dir"
out="$dir/out"
cleanup() {
	[ -n "${sleeper:-}" ] && kill "$sleeper" 2>/dev/null || true
	[ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$out" ] && cat "$out"; exit 1; }

"$UMX" daemon status >"$out" 2>&1 && fail "status should fail with no daemon"
grep -q "not running" "$out" || fail "status says why"
"$UMX" list >"$out" 2>&1 && fail "list with no daemon"
grep -q "umx daemon start" "$out" || fail "list suggests how to start umxd"

. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umxd_start "$dir"

"$UMX" info >"$out" || fail "info"
grep -q "xenstore socket:   $dir/xenstored" "$out" || fail "info shows the xenstore socket"

rc=0; "$UMX" run -- sh -c 'test -n "$UMX_DOMAIN_FD" && test "$UMX_DOMID" = 1 && exit 3' || rc=$?
[ $rc -eq 3 ] || fail "run should exit 3, got $rc"
"$UMX" wait 1 >"$out" || true
grep -q "domain 1 exited with status 3" "$out" || fail "wait reports the exit status"

"$UMX" run --name sleeper --domid-file "$dir/sleeper.id" -- sleep 60 &
sleeper=$!
i=0
until [ -s "$dir/sleeper.id" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "no domid file"; sleep 0.05
done
[ "$(cat "$dir/sleeper.id")" = 2 ] || fail "domid file says $(cat "$dir/sleeper.id")"
i=0
until "$UMX" list | grep -q sleeper; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "sleeper never listed"; sleep 0.05
done
"$UMX" list >"$out"
grep -Eq '^2 +sleeper +[0-9]+ +running' "$out" || fail "list row"
"$UMX" list --json >"$out"
grep -q '"name": "sleeper", "pid": [0-9]*, "state": "running"' "$out" || fail "json row"

"$UMX" destroy 2 || fail "destroy"
rc=0; wait "$sleeper" || rc=$?
sleeper=
[ $rc -eq 137 ] || fail "umx run should report SIGKILL (137), got $rc"
rc=0; "$UMX" wait 2 >"$out" || rc=$?
[ $rc -eq 137 ] || fail "wait should return 137, got $rc"
grep -q "killed by signal 9" "$out" || fail "wait says how it died"

"$UMX" destroy 2 >"$out" 2>&1 && fail "destroy of a dead domain"
grep -q "no such domain" "$out" || fail "destroy error message"
"$UMX" destroy abc >"$out" 2>&1 && fail "destroy abc"
grep -q "no running domain is named 'abc'" "$out" || fail "unknown name message"
"$UMX" bogus >"$out" 2>&1 && fail "unknown command"
grep -q "unknown command" "$out" || fail "unknown command message"

"$UMX" daemon stop >"$out" || fail "daemon stop"
wait "$daemon" || fail "umxd exit status"
daemon=
[ ! -e "$dir/control" ] || fail "control socket left behind"
# The daemonising path: `umx daemon start` returns once umxd serves.
"$UMX" daemon start >"$out" || fail "daemon start"
grep -q "umxd started" "$out" || fail "daemon start message"
"$UMX" daemon status >"$out" || fail "status after daemon start"
grep -q "umxd is running" "$out" || fail "status says running"
"$UMX" daemon start >"$out" || fail "second daemon start"
grep -q "already running" "$out" || fail "second start is a no-op"
"$UMX" daemon stop >"$out" || fail "stop the daemonised umxd"
rc=0; "$UMX" daemon status >/dev/null 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "status after stop should exit 3, got $rc"
echo "cli: ok"
