#!/bin/sh
# A normal `umx daemon stop` logs no dropped toolstack client (the stop's
# own connection, a `umx wait` still waiting: both end because umxd does),
# while a client dropped for what it did (malformed framing) still warns.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-quiet-stop
fail() { umx_fail_logs "$@"; }
command -v socat >/dev/null || { echo "SKIP: socat not installed (scripts/deps.sh installs it)"; exit 77; }
umxd_start "$dir"

domain_bg s sleep 300
domid s >/dev/null
"$UMX" wait s 2>/dev/null &
pids="$pids $!"
# The control socket is SOCK_SEQPACKET: garbage is malformed framing.
printf '\377\377\377\377\377\377\377\377not a message' |
	socat - "UNIX-CONNECT:$dir/control,type=5" 2>/dev/null || true
i=0
until grep -q "dropped: malformed message framing" "$dir/umxd.log"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "an abnormal drop was not logged"; sleep 0.05
done
grep "dropped: malformed message framing" "$dir/umxd.log" | grep -q "warning" ||
	fail "an abnormal drop is not a warning"

"$UMX" daemon stop >/dev/null || fail "daemon stop"
wait "$daemon" || true
daemon=
grep -q "stopped;" "$dir/umxd.log" || fail "umxd did not log its stop"
! grep "dropped: daemon shutting down" "$dir/umxd.log" ||
	fail "a normal stop logged dropped toolstack clients"
echo "PASS"
