#!/bin/sh
# When umxd dies, every device program notices its lost store (or peer),
# says why and exits non-zero, instead of spinning on a hung-up descriptor
# (umx-lwip-httpd used to run at 88% CPU): an lwIP web server on a switch,
# a vchan client in mid-stream, and a vchan server still waiting for its
# client. The switch's own exit is net_switch_exits_when_umxd_dies.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-devdie
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
bin=$(dirname "$UMX")

domain_bg sw "$UMX" net switch
sw=$(domid sw)
domain_bg httpd "$bin/lwip/umx-lwip-httpd" --ip 10.0.0.2/24
httpd=$bg
web=$(domid httpd)
"$UMX" net attach "$web" "$sw" --handle 0 >/dev/null || fail "attach"
mkfifo "$dir/s1"
"$UMX" run --name vcli -- sh -c 'read s <&3; exec "$0" vchan client -k \
	/local/domain/$s/data/vchan/d $s </dev/null' "$UMX" 3<>"$dir/s1" >/dev/null \
	2>"$dir/vcli.log" &
vcli=$!
pids="$pids $vcli"
c=$(domid vcli)
domain_bg vsrv sh -c 'exec "$0" vchan server data/vchan/d "$1" </dev/zero' "$UMX" "$c"
s=$(domid vsrv)
echo "$s" >"$dir/s1"
domain_bg idle sleep 300
i=$(domid idle)
domain_bg vwait "$UMX" vchan server -k data/vchan/w "$i"
vwait=$bg
domid vwait >/dev/null
i=0
until grep -q "serving HTTP" "$dir/httpd.log"; do
	i=$((i + 1)); [ $i -lt 400 ] || fail "httpd never served"; sleep 0.05
done
sleep 1
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
daemon=

# Each must exit within 10 s, non-zero, and say why.
for name in httpd vcli vwait; do
	eval "p=\$$name"
	i=0
	while kill -0 "$p" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "$name still running 10 s after umxd died"
		sleep 0.05
	done
	rc=0; wait "$p" 2>/dev/null || rc=$?
	[ "$rc" -ne 0 ] || fail "$name exited 0 after umxd died"
done
# Either the program says why, or `umx run` does when it ends the domain
# with umxd (whichever notices first).
ran="umxd went away"
grep -q "the store (umxd) or the switch is gone\|$ran" "$dir/httpd.log" || fail "httpd did not say why"
grep -q "cut short\|store connection (umxd) is gone\|$ran" "$dir/vcli.log" ||
	fail "vchan client did not say why"
grep -q "store connection (umxd) is gone\|$ran" "$dir/vwait.log" || fail "vchan server did not say why"
echo "devices exit when umxd dies: ok"
