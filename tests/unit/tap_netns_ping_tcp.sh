#!/bin/sh
# TAP bridge domain in a network namespace the test creates: the namespace
# pings an lwIP domain, fetches a page and 8 MiB (checked) from it over TCP,
# and the domain fetches a page from a server in the namespace. The host's
# own interfaces are never touched.
set -eu
bin=$(cd "$(dirname "$UMX")/.." && pwd)/tools
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (ip netns, /dev/net/tun)"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: ip (iproute2) not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-tap
ns="umxtap$$"
cleanup_extra() { ip netns del "$ns" 2>/dev/null || true; }
fail() { umx_fail_logs "$@"; }
ip netns add "$ns" 2>"$dir/netns.log" || { echo "SKIP: cannot create a network namespace: $(cat "$dir/netns.log")"; exit 77; }
ip -n "$ns" link set lo up
umxd_start "$dir"
switch_start
tap_start "$ns" 10.9.0.1/24
domain_bg web "$bin/lwip/umx-lwip-httpd" --ip 10.9.0.2/24
vif_attach web

command -v ping >/dev/null || fail "ping not installed: Debian iputils-ping (make deps)"
command -v curl >/dev/null || fail "curl not installed (make deps)"
{
	i=0
	until ip netns exec "$ns" ping -c 1 -W 1 10.9.0.2 >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 20 ] || fail "ping never answered"; sleep 0.2
	done
	ip netns exec "$ns" ping -c 3 -i 0.2 10.9.0.2 >"$dir/ping.log" || fail "ping"
	grep "packets transmitted" "$dir/ping.log"
}
{
	ip netns exec "$ns" curl -sS -m 10 --retry 5 --retry-connrefused -o "$dir/page" \
		http://10.9.0.2/ || fail "curl from the namespace"
	grep -q "Hello from umx domain" "$dir/page" || fail "page content"
	ip netns exec "$ns" curl -sS -m 60 http://10.9.0.2/bytes/8388608 |
		"$bin/lwip/umx-lwip-get" --verify-stdin 8388608 || fail "8 MiB from the namespace"
}
kill -0 "$tap" || fail "tap bridge died"

if command -v python3 >/dev/null; then
	mkdir "$dir/www"
	echo "namespace says hi $$" >"$dir/www/hello.txt"
	(cd "$dir/www" && exec ip netns exec "$ns" python3 -m http.server 8000 --bind 10.9.0.1) \
		>"$dir/pyhttp.log" 2>&1 &
	pids="$pids $!"
	i=0
	until ip netns exec "$ns" sh -c 'exec 3<>/dev/tcp/10.9.0.1/8000' 2>/dev/null ||
		grep -q "Serving" "$dir/pyhttp.log"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "namespace HTTP server"; sleep 0.1
	done
	next=$(($(domid web) + 1))
	"$UMX" net attach "$next" "$sw" --handle 0 >/dev/null || fail "attach client"
	"$UMX" run --name out -- "$bin/lwip/umx-lwip-get" --ip 10.9.0.3/24 --server 10.9.0.1 \
		--port 8000 --path /hello.txt >"$dir/out" 2>"$dir/out.log" ||
		fail "domain -> namespace over TCP"
	grep -q "namespace says hi $$" "$dir/out" || fail "domain got the namespace's page"
else
	echo "note: python3 not installed, domain -> namespace TCP not checked"
fi
echo "tap in a namespace: ok"
