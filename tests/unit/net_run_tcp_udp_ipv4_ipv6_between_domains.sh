#!/bin/sh
# Two sandboxed domains started with `umx run --net SWITCH,ip=...` talk with
# socat (Debian's) through their eth0, i.e. through their netfronts and the
# switch: over IPv4 and IPv6, 2 MiB by TCP each way (both checked byte for
# byte) and a UDP datagram echoed back (checked). Each domain sees eth0 and
# lo only; `umx net list` names the domain, interface and addresses.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-netrun
fail() { umx_fail_logs "$@"; }
command -v socat >/dev/null || fail "socat not installed (make deps)"
umxd_start "$dir"
switch_start

mkdir "$dir/a" "$dir/b"
head -c 2097152 /dev/urandom >"$dir/a/data"
head -c 2097152 /dev/urandom >"$dir/b/data"
head -c 1000 /dev/urandom >"$dir/b/dgram"
# As root each domain has a uid of its own: let both write their results.
chmod 777 "$dir/a" "$dir/b"

# probe: is a TAP device possible here at all?
if ! "$UMX" run --net "switch,ip=10.9.9.9/24" -- true 2>"$dir/probe.log"; then
	if grep -q "/dev/net/tun\|namespace" "$dir/probe.log"; then
		echo "SKIP: $(cat "$dir/probe.log")"
		exit 77
	fi
	fail "umx run --net: $(cat "$dir/probe.log")"
fi

# Domain a serves, per family: receive b's data (TCP), send its own (TCP),
# echo one datagram (UDP). linger: a close waits until the peer has every
# byte, so the domain never ends with data in flight.
# shellcheck disable=SC2016
serve='set -e
for fam in 4 6; do
	socat -u TCP$fam-LISTEN:5000,reuseaddr CREATE:/tmp/a/got$fam
	socat -u OPEN:/tmp/a/data TCP$fam-LISTEN:5001,reuseaddr,linger=30
	socat -T 5 UDP$fam-RECVFROM:5002 EXEC:cat
done
ip -o link show | cut -d: -f2 | tr -d " " >/tmp/a/links'
"$UMX" run --name a --net "switch,ip=10.0.0.1/24,ip=fd00::1/64" --bind "$dir/a:/tmp/a" \
	-- sh -c "$serve" >"$dir/a.log" 2>&1 &
apid=$!
pids="$pids $apid"

# shellcheck disable=SC2016
client='set -e
for fam in 4 6; do
	if [ $fam = 4 ]; then srv=10.0.0.1; else srv="[fd00::1]"; fi
	socat -u OPEN:/tmp/b/data TCP$fam:$srv:5000,retry=100,interval=0.1,linger=30
	socat -u TCP$fam:$srv:5001,retry=100,interval=0.1 CREATE:/tmp/b/got$fam
	i=0
	until socat -T 1 - UDP$fam:$srv:5002 </tmp/b/dgram >/tmp/b/echo$fam &&
		[ -s /tmp/b/echo$fam ]; do
		i=$((i + 1)); [ $i -lt 20 ]
	done
done'
"$UMX" run --name b --net "switch,ip=10.0.0.2/24,ip=fd00::2/64" --bind "$dir/b:/tmp/b" \
	-- sh -c "$client" >"$dir/b.log" 2>&1 || fail "domain b's transfers"
wait "$apid" || fail "domain a's transfers"

for fam in 4 6; do
	cmp "$dir/b/data" "$dir/a/got$fam" || fail "IPv$fam TCP b -> a differs"
	cmp "$dir/a/data" "$dir/b/got$fam" || fail "IPv$fam TCP a -> b differs"
	cmp "$dir/b/dgram" "$dir/b/echo$fam" || fail "IPv$fam UDP echo differs"
done
[ "$(sort "$dir/a/links" | tr '\n' ' ')" = "eth0 lo " ] ||
	fail "domain a sees links other than eth0 and lo: $(cat "$dir/a/links")"

# The interface in `umx net list` while a domain runs.
"$UMX" run --name c --net "switch,ip=10.0.0.3/24" -- sleep 30 >"$dir/c.log" 2>&1 &
pids="$pids $!"
i=0
until "$UMX" net list | grep -q "eth0 10.0.0.3/24"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "umx net list: $("$UMX" net list)"; sleep 0.1
done
c=$(domid c)
"$UMX" net list | grep "$c:eth0 10.0.0.3/24" || fail "umx net list names the domain"
echo "TCP and UDP over IPv4 and IPv6 between --net domains: ok"
