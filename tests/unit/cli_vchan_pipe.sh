#!/bin/sh
# umx vchan pipes data between two domains started by umx run, both ways
# (server -> client and client -> server), checked by checksum.
set -eu
dir=$(mktemp -d /tmp/umx-vchan-cli-XXXXXX)
export UMX_DIR="$dir"
cleanup() {
	[ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.err; do [ -f "$f" ] && { echo "== $f"; cat "$f"; }; done; exit 1; }

. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umxd_start "$dir"

head -c 4194304 /dev/urandom >"$dir/a.in"
head -c 3000001 /dev/urandom >"$dir/b.in"
mkfifo "$dir/s1" "$dir/c2"

# 1. server -> client. The client must not close at its (empty) input's
#    end: -k keeps it receiving until the server closes.
# The client domain is started first (it waits for the offer), so the
# server learns its domid.
# The domains see none of $dir (their /tmp is their own): the fifo and the
# output reach them as inherited descriptors, as any sandboxed program's.
"$UMX" run --name vcli1 -- sh -c 'read s <&3; exec "$0" vchan client -k \
	/local/domain/$s/data/vchan/pipe1 $s </dev/null' "$UMX" 3<>"$dir/s1" >"$dir/a.out" \
	2>"$dir/cli1.err" &
cpid=$!
c=$(domid vcli1)
"$UMX" run --name vsrv1 -- "$UMX" vchan server data/vchan/pipe1 "$c" --stats \
	<"$dir/a.in" 2>"$dir/srv1.err" &
spid=$!
s=$(domid vsrv1)
echo "$s" >"$dir/s1"
wait "$spid" || fail "server 1 failed"
wait "$cpid" || fail "client 1 failed"
cmp "$dir/a.in" "$dir/a.out" || fail "server -> client data differs"
grep -q "sent 4194304 bytes" "$dir/srv1.err" || fail "server stats"

# 2. client -> server, the server keeps open until the client closes.
"$UMX" run --name vsrv2 -- sh -c 'read c <&3; exec "$0" vchan server data/vchan/pipe2 $c \
	-k --stats </dev/null' "$UMX" 3<>"$dir/c2" >"$dir/b.out" 2>"$dir/srv2.err" &
spid=$!
s=$(domid vsrv2)
"$UMX" run --name vcli2 -- "$UMX" vchan client /local/domain/$s/data/vchan/pipe2 "$s" \
	<"$dir/b.in" 2>"$dir/cli2.err" &
cpid=$!
c=$(domid vcli2)
echo "$c" >"$dir/c2"
wait "$cpid" || fail "client 2 failed"
wait "$spid" || fail "server 2 failed"
cmp "$dir/b.in" "$dir/b.out" || fail "client -> server data differs"
size=$(wc -c <"$dir/b.in")
grep -q "received $size bytes" "$dir/srv2.err" || fail "server stats count what it received"

# 3. Usage errors are reported.
"$UMX" vchan bogus x 1 2>"$dir/usage.err" && fail "bad role accepted"
grep -q "usage: umx vchan" "$dir/usage.err" || fail "usage shown"
echo PASS
