#!/bin/sh
# umx run --no-sandbox runs the program as before the sandbox existed: our
# uid, our processes, network and files in view, host /tmp writable; the
# status, signal and wait reports are unchanged, and umx list marks the
# domain as unsandboxed.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-nosandbox
out="$dir/out"
fail() { echo "FAIL: $*"; [ -f "$out" ] && cat "$out"; exit 1; }
umxd_start "$dir"

# shellcheck disable=SC2016
"$UMX" run --no-sandbox -- sh -c '
echo "uid=$(id -u)"
echo "launcher-visible=$([ -e /proc/$0 ] && echo yes || echo no)"
echo "netns=$(readlink /proc/self/ns/net)"
echo "mntns=$(readlink /proc/self/ns/mnt)"
echo "seccomp=$(awk "/^Seccomp:/ { print \$2 }" /proc/self/status)"
echo "umxdir=$([ -e "$1/control" ] && echo visible || echo hidden)"
echo written >"$1/from-domain"' "$$" "$dir" >"$out" 2>&1 || fail "the domain failed"
get() { sed -n "s/^$1=//p" "$out"; }
[ "$(get uid)" = "$(id -u)" ] || fail "uid $(get uid), not ours"
[ "$(get launcher-visible)" = yes ] || fail "our pid is not visible"
[ "$(get netns)" = "$(readlink /proc/self/ns/net)" ] || fail "not our network namespace"
[ "$(get mntns)" = "$(readlink /proc/self/ns/mnt)" ] || fail "not our mount namespace"
[ "$(get seccomp)" = 0 ] || fail "a seccomp filter is on"
[ "$(get umxdir)" = visible ] || fail "\$UMX_DIR hidden"
[ "$(cat "$dir/from-domain")" = written ] || fail "host /tmp not written"

rc=0; "$UMX" run --no-sandbox -- sh -c 'exit 3' || rc=$?
[ $rc = 3 ] || fail "exit 3 came back as $rc"
rc=0; "$UMX" run --no-sandbox -- sh -c 'kill -TERM $$' || rc=$?
[ $rc = 143 ] || fail "SIGTERM came back as $rc"
"$UMX" run --no-sandbox --name plain -- sleep 60 &
sleeper=$!
pids="$pids $sleeper"
d=$(domid plain)
# Listed from its creation on; running, with its process and sandbox
# state, once its launcher has handed umxd the pidfd.
i=0
until "$UMX" list >"$out" && grep -Eq "^$d +plain +[0-9]+ +running .* no *\$" "$out"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "list: SANDBOX no"; sleep 0.05
done
pid=$(awk -v d="$d" '$1 == d { print $3 }' "$out")
# The pid umxd shows is the program itself, umx run's child (no init between).
[ "$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")" = "$sleeper" ] ||
	fail "listed pid $pid is not umx run's child"
[ "$(cat "/proc/$pid/comm")" = sleep ] || fail "listed pid $pid is not the program"
"$UMX" list --json | grep -q '"name": "plain".*"sandbox": "no"' || fail "json: sandbox no"
kill -TERM "$sleeper"
rc=0; wait "$sleeper" || rc=$?
[ $rc = 143 ] || fail "SIGTERM should end it with 143, got $rc"
"$UMX" wait "$d" | grep -q "killed by signal 15" || fail "umx wait after SIGTERM"
echo "--no-sandbox: ok"
