#!/bin/sh
# A sandboxed domain started without --net, beside --net domains on a
# switch: it has lo only, no route at all, and every address it tries —
# a domain on the switch, the host's — is unreachable.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-nonet
fail() { umx_fail_logs "$@"; }
command -v socat >/dev/null || fail "socat not installed (make deps)"
umxd_start "$dir"
switch_start
"$UMX" run --name a --net "switch,ip=10.0.0.1/24" -- socat -u TCP4-LISTEN:5000 - \
	>"$dir/a.log" 2>&1 &
pids="$pids $!"
mkdir "$dir/out"
chmod 777 "$dir/out"
# shellcheck disable=SC2016
prog='ip -o link show | cut -d: -f2 | tr -d " " >/tmp/out/links
ip route show table all | grep -v "^local\|^broadcast\|^multicast\|lo proto\|dev lo" >/tmp/out/routes || true
for a in 10.0.0.1 "$1"; do
	if socat -u /dev/null TCP4:$a:5000,connect-timeout=2 2>>/tmp/out/err; then echo "reached $a"; fi
done >/tmp/out/reached'
host=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
"$UMX" run --name n --bind "$dir/out:/tmp/out" -- sh -c "$prog" sh "${host:-192.0.2.1}" \
	>"$dir/n.log" 2>&1 || fail "the domain's program"
[ "$(cat "$dir/out/links")" = "lo" ] || fail "links besides lo: $(cat "$dir/out/links")"
[ ! -s "$dir/out/routes" ] || fail "routes: $(cat "$dir/out/routes")"
[ ! -s "$dir/out/reached" ] || fail "$(cat "$dir/out/reached")"
grep -q "Network is unreachable" "$dir/out/err" || fail "not ENETUNREACH: $(cat "$dir/out/err")"
echo "no --net: lo only, no route: ok"
