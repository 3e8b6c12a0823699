#!/bin/sh
# A hostile domain floods malformed frames (lying IP/TCP/UDP/ARP lengths,
# truncated headers, IPv6 junk, runts and jumbos) at the slirp router, the
# TAP bridge (as root, in its own namespace) and an lwIP domain: none of
# them crashes, and HTTP through the forward and ping/TCP via TAP still work.
set -eu
bin=$(cd "$(dirname "$UMX")/.." && pwd)/devices
dir=$(mktemp -d /tmp/umx-garbage-XXXXXX)
export UMX_DIR="$dir"
ns="umxbad$$"
pids=""
with_tap=0
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	[ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	[ $with_tap = 1 ] && ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
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
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umxd_start "$dir"
port=$((20000 + ($$ + 7) % 20000))
"$UMX" run --name switch -- "$bin/lwip/umx-vif" switch 2>"$dir/switch.log" &
switch=$!
pids="$pids $switch"
sw=$(domid switch)
"$UMX" run --name slirp -- "$bin/slirp/umx-slirp" --forward "tcp:$port:10.0.2.15:80" \
	2>"$dir/slirp.log" &
slirp=$!
pids="$pids $slirp"
"$bin/lwip/umx-vif" attach "$(domid slirp)" "$sw" 0 >/dev/null || fail "attach slirp"
"$UMX" run --name web -- "$bin/lwip/umx-lwip-httpd" --ip 10.0.2.15/24 --gw 10.0.2.2 \
	2>"$dir/web.log" &
web=$!
pids="$pids $web"
"$bin/lwip/umx-vif" attach "$(domid web)" "$sw" 0 >/dev/null || fail "attach web"
if [ $with_tap = 1 ]; then
	"$UMX" run --name tap -- "$bin/tap/umx-tap" --netns "$ns" --dev umx0 2>"$dir/tap.log" &
	tap=$!
	pids="$pids $tap"
	"$bin/lwip/umx-vif" attach "$(domid tap)" "$sw" 0 >/dev/null || fail "attach tap"
	i=0
	until ip -n "$ns" link show umx0 >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "umx0 never appeared"; sleep 0.05
	done
	ip -n "$ns" addr add 10.0.2.100/24 dev umx0
	ip -n "$ns" link set umx0 up
fi
i=0
until curl -sS -m 5 -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "forward before the flood"; sleep 0.2
done

last=$("$UMX" list | awk 'NR > 1 { print $1 }' | sort -n | tail -1)
for seed in 1 2 3; do
	next=$((last + 1)) last=$((last + 1))
	"$bin/lwip/umx-vif" attach "$next" "$sw" 0 >/dev/null || fail "attach garbage"
	"$UMX" run --name "garbage$seed" -- "$bin/tap/umx-net-garbage" --count 20000 \
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
