#!/bin/sh
# The hypervisor's death is every domain's death: after `umx daemon stop`,
# and after kill -9 of umxd, no process of any domain survives (sandboxed,
# --no-sandbox with a setsid orphan, detached with -d, and the console
# service -d started, with its log broker); stop names what it ended; a
# restarted umxd starts clean and says so in its log.
set -eu
command -v pgrep >/dev/null || { echo "SKIP: pgrep not installed (procps)"; exit 77; }
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-lifecycle
fail() { umx_fail_logs "$@"; }
out="$dir/out"
mark=7$$ # every domain process runs `sleep $mark`: counted by argv

# Processes whose whole command line is "sleep $mark": the domains' own,
# not their launchers (pgrep only counts here; nothing is killed by name).
count() {
	pgrep -c -x -f "sleep $mark" || true
}
# until_count N WHAT: wait (following progress, 20 s at most) for N.
until_count() {
	_i=0
	while [ "$(count)" != "$1" ]; do
		_i=$((_i + 1))
		[ $_i -lt 400 ] || fail "$2: $(count) domain processes, expected $1"
		sleep 0.05
	done
}
# Five domain processes in three domains.
start_domains() {
	"$UMX" run --name a -- sh -c "sleep $mark & sleep $mark & wait" 2>>"$dir/a.log" &
	pids="$pids $!"
	"$UMX" run --no-sandbox --name b -- sh -c "setsid sleep $mark & sleep $mark; true" \
		2>>"$dir/b.log" &
	pids="$pids $!"
	id=$("$UMX" run -d --name c -- sleep "$mark") || fail "run -d"
	[ "$id" -ge 1 ] 2>/dev/null || fail "run -d printed '$id', not a domid"
	until_count 5 "domains starting"
}

umxd_start "$dir"
start_domains
"$UMX" daemon stop >"$out" || fail "daemon stop"
for n in a b c console; do
	grep -q "4 domains ended with it: .*[0-9] ($n)" "$out" || fail "stop names $n"
done
# umxd waits for the sandboxed domains before it exits; the --no-sandbox
# orphan goes when its launcher sees umxd go.
until_count 0 "after umx daemon stop"
wait "$daemon" || fail "umxd's exit status after stop"
daemon=
grep -q "starting clean, with no domains" "$dir/log/umxd.log" || fail "no clean-start line"
grep -q "stopped; 4 domains ended with it" "$dir/log/umxd.log" || fail "no stop line"
[ ! -e "$dir/umxd.pid" ] || fail "a clean stop leaves no pid file"

umxd_start "$dir"
start_domains
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
daemon=
until_count 0 "after kill -9 of umxd"
# The console service's log broker (outside the sandbox, holding the log
# directory open) ends with the service.
i=0
while find /proc/[0-9]*/fd -lname "$dir/log" 2>/dev/null | grep -q .; do
	i=$((i + 1)); [ $i -lt 400 ] || fail "the console service's log broker outlived umxd"
	sleep 0.05
done
for p in $pids; do
	rc=0; wait "$p" || rc=$?
	[ $rc -eq 137 ] || fail "umx run should exit 137 when umxd dies, got $rc"
done
pids=
grep -q "umxd went away: domain" "$dir/a.log" || fail "umx run says why its domain ended"

umxd_start "$dir"
grep -q "the last umxd (pid [0-9]*) ended without stopping; .*starting clean" \
	"$dir/log/umxd.log" || fail "restart does not say it starts clean"
"$UMX" list >"$out" || fail "list"
[ "$(wc -l <"$out")" -eq 1 ] || fail "a restarted umxd lists domains"
"$UMX" log >"$out" || fail "umx log"
grep -Eq '^20[0-9-]+ [0-9:.]+ umxd\[[0-9]+\]: ' "$out" || fail "umx log lines are timestamped"
echo "lifecycle: ok (0 processes left after stop and after kill -9)"
