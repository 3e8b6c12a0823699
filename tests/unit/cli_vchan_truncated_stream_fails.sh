#!/bin/sh
# A vchan stream cut short is an error, never a clean end of file: the
# server domain is killed mid-stream and `umx vchan client` exits non-zero
# saying the stream was cut short; a server whose client domain dies before
# connecting gives up, naming it. An orderly end still exits 0 (cli_vchan_pipe).
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-vchan-cut
fail() { echo "FAIL: $*"; for f in "$dir"/*.err; do [ -f "$f" ] && { echo "== $f"; cat "$f"; }; done; exit 1; }
umxd_start "$dir"
mkfifo "$dir/s1"

# 1. An endless stream from the server; kill -9 the server's domain.
"$UMX" run --name vcli -- sh -c 'read s <&3; exec "$0" vchan client -k \
	/local/domain/$s/data/vchan/cut $s </dev/null' "$UMX" 3<>"$dir/s1" >/dev/null \
	2>"$dir/cli.err" &
cpid=$!
pids="$pids $cpid"
c=$(domid vcli)
"$UMX" run --name vsrv -- sh -c 'exec "$0" vchan server data/vchan/cut "$1" </dev/zero' \
	"$UMX" "$c" 2>"$dir/srv.err" &
spid=$!
pids="$pids $spid"
s=$(domid vsrv)
echo "$s" >"$dir/s1"
# Wait for the stream to flow (the client's domain is listed connected and
# the server has been up a moment), then kill the server's domain.
sleep 1
"$UMX" destroy "$s" >/dev/null 2>&1 || kill -9 "$spid"
i=0
while kill -0 "$cpid" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "client still running 10 s after the server died"
	sleep 0.05
done
rc=0; wait "$cpid" || rc=$?
[ "$rc" -ne 0 ] || fail "client exited 0 after a cut-short stream"
grep -q "cut short" "$dir/cli.err" || fail "client did not say the stream was cut short"
grep -q "server domain $s died" "$dir/cli.err" || fail "client did not name the dead server"
wait "$spid" 2>/dev/null || true

# 2. A server whose client domain dies before connecting gives up.
"$UMX" run --name idle -- sleep 300 &
ipid=$!
pids="$pids $ipid"
c=$(domid idle)
"$UMX" run --name vsrv2 -- "$UMX" vchan server -k data/vchan/never "$c" </dev/null \
	2>"$dir/srv2.err" &
s2pid=$!
pids="$pids $s2pid"
domid vsrv2 >/dev/null
sleep 0.5
"$UMX" destroy "$c" >/dev/null 2>&1 || kill -9 "$ipid"
i=0
while kill -0 "$s2pid" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "server still waiting 10 s after its client died"
	sleep 0.05
done
rc=0; wait "$s2pid" || rc=$?
[ "$rc" -ne 0 ] || fail "server exited 0 though its client never came"
grep -q "client domain $c died before connecting" "$dir/srv2.err" ||
	fail "server did not name the client that died"

# 3. --wait bounds the server's wait for a client that never comes.
"$UMX" run --name idle3 -- sleep 300 &
i3=$!
pids="$pids $i3"
c=$(domid idle3)
rc=0
"$UMX" run --name vsrv3 -- "$UMX" vchan server -k data/vchan/late "$c" --wait 1 </dev/null \
	2>"$dir/srv3.err" || rc=$?
[ "$rc" -ne 0 ] || fail "server exited 0 though its client never came"
grep -q "client domain $c did not connect to data/vchan/late within 1 s" "$dir/srv3.err" ||
	fail "server did not say it timed out"
echo "truncated vchan streams and absent clients are errors: ok"
