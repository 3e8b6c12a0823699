#!/bin/sh
# umx create's network key is umx run --net in a file: network = [ "SWITCH,
# mac=...,ip=..." ] gives the domain eth0 with that MAC and address on the
# switch; an override network="none" on the command line replaces it (the
# domain has no eth0), and a bad interface spec is named by file and line.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-create-net
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
switch_start

# probe: is a TAP device possible here at all?
if ! "$UMX" run --net "switch,ip=10.9.9.9/24" -- true 2>"$dir/probe.log"; then
	if grep -q "/dev/net/tun\|namespace" "$dir/probe.log"; then
		echo "SKIP: $(cat "$dir/probe.log")"
		exit 77
	fi
	fail "umx run --net: $(cat "$dir/probe.log")"
fi

cat >"$dir/net.cfg" <<'CFG'
name = "n1"
command = [ "sh", "-c", "if [ -e /sys/class/net/eth0 ]; then cat /sys/class/net/eth0/address; ip -o -4 addr show eth0; else echo no eth0; fi; exec sleep 60" ]
network = [ "switch,mac=00:16:3e:00:00:42,ip=10.0.0.7/24" ]
console = "none"
CFG
"$UMX" create "$dir/net.cfg" >/dev/null || fail "create with network"
"$UMX" create "$dir/net.cfg" name=n2 network=none >/dev/null || fail "create with network=none"
# wait_log NAME TEXT
wait_log() {
	i=0
	until grep -q "$2" "$dir/log/$1.log" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 400 ] || fail "$1.log never showed '$2'"; sleep 0.05
	done
}
wait_log n1 "00:16:3e:00:00:42"
wait_log n1 "inet 10.0.0.7/24"
wait_log n2 "no eth0"

printf 'command = [ "true" ]\nnetwork = [ "switch,mtu=9000" ]\n' >"$dir/bad.cfg"
"$UMX" create "$dir/bad.cfg" 2>"$dir/bad.out" && fail "a bad interface spec was accepted"
grep -q "bad.cfg:2: network" "$dir/bad.out" || fail "bad spec: $(cat "$dir/bad.out")"
echo "PASS"
