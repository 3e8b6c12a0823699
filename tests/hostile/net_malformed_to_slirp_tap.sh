#!/bin/sh
# A hostile domain floods malformed frames (lying IP/TCP/UDP/ARP lengths,
# truncated headers, IPv6 junk, runts and jumbos) at the slirp router, the
# TAP bridge (as root, in its own namespace) and an lwIP domain: none of
# them crashes, and HTTP through the forward and ping/TCP via TAP still work.
set -eu
bin=$(cd "$(dirname "$UMX")/.." && pwd)/tools
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-garbage
ns="umxbad$$"
with_tap=0
cleanup_extra() { [ $with_tap = 1 ] && ip netns del "$ns" 2>/dev/null || true; }
fail() {
	echo "FAIL: $*"
	for f in "$dir"/*.log; do echo "--- $f"; tail -20 "$f"; done
	exit 1
}
command -v curl >/dev/null || fail "curl not installed (make deps)"
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && [ -c /dev/net/tun ] &&
	ip netns add "$ns" 2>/dev/null; then
	with_tap=1
else
	echo "note: not root (or no ip/tun/netns): TAP part skipped, slirp part runs"
fi
umxd_start "$dir"
port=$((20000 + ($$ + 7) % 20000))
switch_start
switch=$bg
# slirp is the NAT to the host network: it runs with the host's.
domain_bg_with "--net host" slirp "$bin/slirp/umx-slirp" --forward "tcp:$port:10.0.2.15:80"
slirp=$bg
vif_attach slirp
domain_bg web "$bin/lwip/umx-lwip-httpd" --ip 10.0.2.15/24 --gw 10.0.2.2
web=$bg
vif_attach web
if [ $with_tap = 1 ]; then
	tap_start "$ns" 10.0.2.100/24
fi
i=0
until curl -sS -m 5 -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "forward before the flood"; sleep 0.2
done

last=$("$UMX" list | awk 'NR > 1 { print $1 }' | sort -n | tail -1)
for seed in 1 2 3; do
	next=$((last + 1)) last=$((last + 1))
	"$UMX" net attach "$next" "$sw" --handle 0 >/dev/null || fail "attach garbage"
	"$UMX" run --name "garbage$seed" -- "$bin/../tests/umx_net_garbage" --count 20000 \
		--seed "$seed" 2>>"$dir/garbage.log" || fail "garbage domain $seed"
done
cat "$dir/garbage.log"

for p in $switch $slirp $web; do
	kill -0 "$p" 2>/dev/null || fail "process $p died under malformed frames"
done
curl -sS -m 10 -o "$dir/page" "http://127.0.0.1:$port/" || fail "forward after the flood"
grep -q "Hello from umx domain" "$dir/page" || fail "page after the flood"
if [ $with_tap = 1 ]; then
	kill -0 "$tap" 2>/dev/null || fail "tap bridge died under malformed frames"
	ip netns exec "$ns" ping -c 2 -i 0.2 -W 2 10.0.2.15 >/dev/null || fail "ping via TAP after"
	ip netns exec "$ns" curl -sS -m 10 -o /dev/null http://10.0.2.15/ || fail "TCP via TAP after"
fi
echo "malformed frames to slirp/tap: ok"
