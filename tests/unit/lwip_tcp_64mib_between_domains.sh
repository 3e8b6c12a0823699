#!/bin/sh
# lwIP in two domains: HTTP page and 64 MiB over TCP through the switch,
# every byte checked against the pattern (umx-lwip-httpd -> umx-lwip-get).
set -eu
bin=$(cd "$(dirname "$UMX")/.." && pwd)/devices
dir=$(mktemp -d /tmp/umx-lwip-XXXXXX)
export UMX_DIR="$dir"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	[ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$dir"/*.log; do echo "--- $f"; cat "$f"; done
	exit 1
}
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umxd_start "$dir"
"$UMX" run --name switch -- "$bin/lwip/umx-vif" switch 2>"$dir/switch.log" &
pids="$pids $!"
sw=$(domid switch)
"$UMX" run --name httpd -- "$bin/lwip/umx-lwip-httpd" --ip 10.0.0.2/24 2>"$dir/httpd.log" &
pids="$pids $!"
"$bin/lwip/umx-vif" attach "$(domid httpd)" "$sw" 0 >/dev/null || fail "attach httpd"

# Clients: the next domids (each run starts one domain, in order).
"$bin/lwip/umx-vif" attach 3 "$sw" 0 >/dev/null || fail "attach client 1"
"$UMX" run --name page -- "$bin/lwip/umx-lwip-get" --ip 10.0.0.3/24 --server 10.0.0.2 \
	--path / >"$dir/page.out" 2>"$dir/page.log" || fail "page fetch"
grep -q "Hello from umx domain 2" "$dir/page.out" || fail "page content"

"$bin/lwip/umx-vif" attach 4 "$sw" 0 >/dev/null || fail "attach client 2"
"$UMX" run --name bulk -- "$bin/lwip/umx-lwip-get" --ip 10.0.0.4/24 --server 10.0.0.2 \
	--path /bytes/67108864 --check 2>"$dir/bulk.log" || fail "64 MiB transfer"
grep -q "67108864 bytes in .* pattern checked ok" "$dir/bulk.log" || fail "64 MiB summary"
cat "$dir/bulk.log"
echo "lwip tcp between domains: ok"
