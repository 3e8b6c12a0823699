#!/bin/sh
# libslirp NAT router domain: the host fetches a page and 16 MiB (checked)
# from an lwIP domain with curl through a port forward, and the domain
# reaches a host service on loopback through slirp (10.0.2.2) — no root.
set -eu
bin=$(cd "$(dirname "$UMX")/.." && pwd)/tools
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-slirp
fail() { umx_fail_logs "$@"; }
command -v curl >/dev/null || { echo "FAIL: curl not installed (make deps)"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed (host HTTP server)"; exit 77; }
umxd_start "$dir"
port=$((20000 + $$ % 20000))
switch_start
# slirp is the NAT to the host network: it runs with the host's.
domain_bg_with "--net host" slirp "$bin/slirp/umx-slirp" --forward "tcp:$port:10.0.2.15:80"
slirp=$bg
vif_attach slirp
domain_bg web "$bin/lwip/umx-lwip-httpd" --ip 10.0.2.15/24 --gw 10.0.2.2
vif_attach web

# host -> domain through the forward
i=0
until curl -sS -m 5 -o "$dir/page" "http://127.0.0.1:$port/" 2>"$dir/curl.log"; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "curl through the forward"; sleep 0.2
done
grep -q "Hello from umx domain" "$dir/page" || fail "page content"
curl -sS -m 60 "http://127.0.0.1:$port/bytes/16777216" -w '%{stderr}curl: %{size_download} bytes at %{speed_download} B/s\n' \
	2>"$dir/curl.log" | "$bin/lwip/umx-lwip-get" --verify-stdin 16777216 2>"$dir/verify.log" ||
	fail "16 MiB through the forward"
cat "$dir/curl.log" "$dir/verify.log"
kill -0 "$slirp" || fail "slirp router died"

# domain -> host through NAT: a host server on loopback, seen as 10.0.2.2
mkdir "$dir/www"
echo "host says hi $$" >"$dir/www/hello.txt"
hport=$((port + 1))
(cd "$dir/www" && exec python3 -m http.server "$hport" --bind 127.0.0.1) >"$dir/pyhttp.log" 2>&1 &
pids="$pids $!"
i=0
until curl -s -o /dev/null "http://127.0.0.1:$hport/hello.txt"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "host HTTP server"; sleep 0.1
done
next=$(($(domid web) + 1))
"$UMX" net attach "$next" "$sw" --handle 0 >/dev/null || fail "attach client"
"$UMX" run --name out -- "$bin/lwip/umx-lwip-get" --ip 10.0.2.16/24 --gw 10.0.2.2 \
	--server 10.0.2.2 --port "$hport" --path /hello.txt >"$dir/out" 2>"$dir/out.log" ||
	fail "domain -> host through slirp"
grep -q "host says hi $$" "$dir/out" || fail "domain got the host's page"
echo "slirp host <-> domain: ok"
