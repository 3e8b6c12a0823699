#!/bin/sh
# umx run sandboxes a domain by default: it sees only its own processes
# (its program is pid 2 under a small init), has only a loopback that is
# up, writes nowhere but its private /tmp (and a --bind), cannot see
# $UMX_DIR, has no capabilities, no_new_privs and a seccomp filter, and as
# root runs as a uid of its own (UMX_UID_BASE + domid); umx list says so.
# Exit statuses, signals and umx wait read exactly as without a sandbox.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-sandbox
out="$dir/out"
fail() { echo "FAIL: $*"; [ -f "$out" ] && cat "$out"; tail -5 "$dir/umxd.log"; exit 1; }
umxd_start "$dir"
share="$dir/share"
mkdir -m 1777 "$share"
me=$(id -u)

# shellcheck disable=SC2016
probe='
echo "uid=$(id -u)"
echo "maxpid=$(ls /proc | grep "^[0-9]" | sort -n | tail -1)"
echo "self=$$"
echo "launcher-visible=$([ -e /proc/$0 ] && echo yes || echo no)"
echo "netdevs=$(ls /sys/class/net | tr "\n" " ")"
echo "lo-up=$(($(cat /sys/class/net/lo/flags) & 1))"
echo "capeff=$(awk "/^CapEff/ { print \$2 }" /proc/self/status)"
echo "nnp=$(awk "/^NoNewPrivs/ { print \$2 }" /proc/self/status)"
echo "seccomp=$(awk "/^Seccomp:/ { print \$2 }" /proc/self/status)"
echo "netns=$(readlink /proc/self/ns/net)"
echo "umxdir=$([ -e "$1/control" ] && echo visible || echo hidden)"
touch /etc/umx-sandbox-probe 2>/dev/null && echo "etc=writable" || echo "etc=read-only"
echo private >/tmp/probe && echo "tmp=$(cat /tmp/probe)"
echo "bind=$(echo hello >"$2/from-domain" && cat "$2/from-domain")"
'
"$UMX" run --name probe --bind "$share" -- sh -c "$probe" "$$" "$dir" "$share" >"$out" 2>&1 ||
	fail "the probe domain failed"
get() { sed -n "s/^$1=//p" "$out"; }
# Its processes are numbered from 1 in its own namespace; none of ours is there.
[ "$(get maxpid)" -lt 20 ] || fail "the domain sees pid $(get maxpid): not its own namespace"
[ "$(get self)" = 2 ] || fail "the program is pid $(get self), not 2 (pid 1 is the sandbox's init)"
[ "$(get launcher-visible)" = no ] || fail "the domain sees the test's pid $$"
[ "$(get netdevs)" = "lo " ] || fail "network devices: $(get netdevs)"
[ "$(get lo-up)" = 1 ] || fail "loopback is not up"
[ "$(get capeff)" = 0000000000000000 ] || fail "capabilities left: $(get capeff)"
[ "$(get nnp)" = 1 ] || fail "no_new_privs not set"
[ "$(get seccomp)" = 2 ] || fail "no seccomp filter (Seccomp: $(get seccomp))"
[ "$(get netns)" != "$(readlink /proc/self/ns/net)" ] || fail "the domain shares our network namespace"
[ "$(get umxdir)" = hidden ] || fail "the domain sees \$UMX_DIR"
[ "$(get etc)" = read-only ] || fail "the domain wrote /etc"
[ ! -e /etc/umx-sandbox-probe ] || { rm -f /etc/umx-sandbox-probe; fail "/etc written"; }
[ "$(get tmp)" = private ] || fail "no writable /tmp"
[ ! -e /tmp/probe ] || [ "$(cat /tmp/probe)" != private ] || fail "the domain's /tmp is the host's"
[ "$(get bind)" = hello ] && [ "$(cat "$share/from-domain")" = hello ] || fail "--bind not writable"
if [ "$me" = 0 ]; then
	[ "$(get uid)" = $((0x7ff00000 + 1)) ] || fail "as root domain 1 should be uid $((0x7ff00000 + 1)), is $(get uid)"
	rc=0; UMX_UID_BASE=200000 "$UMX" run -- sh -c 'exit $(($(id -u) - 200000))' || rc=$?
	[ $rc = 2 ] || fail "UMX_UID_BASE=200000 should make domain 2 uid 200002 (rc $rc)"
else
	[ "$(get uid)" = "$me" ] || fail "unprivileged: the domain should keep uid $me, is $(get uid)"
fi

# Statuses and signals as without a sandbox (init reports the real status).
rc=0; "$UMX" run -- sh -c 'exit 3' || rc=$?
[ $rc = 3 ] || fail "exit 3 came back as $rc"
rc=0; "$UMX" run -- sh -c 'kill -TERM $$' || rc=$?
[ $rc = 143 ] || fail "killed by SIGTERM came back as $rc"
"$UMX" run --name sleeper --domid-file "$dir/sleeper.id" -- sleep 60 &
sleeper=$!
pids="$pids $sleeper"
d=$(domid sleeper)
# Listed from its creation on; running, with its process and sandbox
# state, once its launcher has handed umxd the pidfd.
i=0
until "$UMX" list >"$out" && grep -Eq "^$d +sleeper +[0-9]+ +running .* yes *\$" "$out"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "list does not say sandboxed"; sleep 0.05
done
"$UMX" list --json | grep -q '"name": "sleeper".*"sandbox": "yes"' || fail "json: sandbox yes"
kill -TERM "$sleeper"
rc=0; wait "$sleeper" || rc=$?
[ $rc = 143 ] || fail "SIGTERM to umx run should end the program with SIGTERM (143), got $rc"
rc=0; "$UMX" wait "$d" >"$out" || rc=$?
grep -q "killed by signal 15" "$out" || fail "umx wait: $(cat "$out")"
"$UMX" run --name sleeper2 --domid-file "$dir/s2.id" -- sleep 60 &
sleeper=$!
pids="$pids $sleeper"
d=$(domid sleeper2)
"$UMX" destroy "$d" || fail "destroy"
rc=0; wait "$sleeper" || rc=$?
[ $rc = 137 ] || fail "destroy should end umx run with 137, got $rc"
"$UMX" wait "$d" | grep -q "killed by signal 9" || fail "umx wait after destroy"

# --net host is the host's network, and umx list says so.
"$UMX" run --net host -- readlink /proc/self/ns/net >"$out" || fail "--net host run"
[ "$(cat "$out")" = "$(readlink /proc/self/ns/net)" ] || fail "--net host is not the host's namespace"
echo "sandbox by default: ok"
