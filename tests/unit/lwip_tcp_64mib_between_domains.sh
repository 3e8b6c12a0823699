#!/bin/sh
# lwIP in two domains: HTTP page and 64 MiB over TCP through the switch,
# every byte checked against the pattern (umx-lwip-httpd -> umx-lwip-get).
set -eu
bin=$(cd "$(dirname "$UMX")/.." && pwd)/tools
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-lwip
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
switch_start
domain_bg httpd "$bin/lwip/umx-lwip-httpd" --ip 10.0.0.2/24
vif_attach httpd

# Clients: the next domids (each run starts one domain, in order).
"$UMX" net attach 3 "$sw" --handle 0 >/dev/null || fail "attach client 1"
"$UMX" run --name page -- "$bin/lwip/umx-lwip-get" --ip 10.0.0.3/24 --server 10.0.0.2 \
	--path / >"$dir/page.out" 2>"$dir/page.log" || fail "page fetch"
grep -q "Hello from umx domain 2" "$dir/page.out" || fail "page content"

"$UMX" net attach 4 "$sw" --handle 0 >/dev/null || fail "attach client 2"
"$UMX" run --name bulk -- "$bin/lwip/umx-lwip-get" --ip 10.0.0.4/24 --server 10.0.0.2 \
	--path /bytes/67108864 --check 2>"$dir/bulk.log" || fail "64 MiB transfer"
grep -q "67108864 bytes in .* pattern checked ok" "$dir/bulk.log" || fail "64 MiB summary"
cat "$dir/bulk.log"
echo "lwip tcp between domains: ok"
