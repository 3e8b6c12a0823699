#!/bin/sh
# Debian's unmodified libxenvchan on both ends, in two umx domains, through
# umx's drop-in libxengnttab/libxenevtchn/libxenstore (umx run --xen-compat):
# UMX_COMPAT_BYTES (default 256 MiB) each way with random message sizes in
# stream and packet modes, every byte checked; then a client that dies
# without closing is seen as gone by the server (unmap notify of its
# mapping on death), and a server that dies is seen as gone by the client
# (unmap notify of the granter's share on death).
set -u
[ -x "${UMXD:-}" ] && [ -x "${UMX:-}" ] || { echo "SKIP: UMXD/UMX not set"; exit 77; }
peer=$(dirname "$UMX")/../compat/bin/vchan_peer
[ -x "$peer" ] || { echo "SKIP: vchan_peer not built (needs Debian libxenvchan + libxen-dev)"; exit 77; }
bytes=${UMX_COMPAT_BYTES:-268435456}
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
fail() { echo "FAIL: $*"; exit 1; }
umx_test_dir umx-compat
umxd_start "$dir"
# The domains exchange their domids through files in $share, bound into
# their sandboxes (their /tmp is their own, $dir is umxd's and stays
# hidden); sticky and world-writable, as root each domain has its own uid.
share="$dir/share"
mkdir -m 1777 "$share"
failed=0

pair() { # mode bytes [die]
	rm -f "$share"/*.domid
	"$UMX" run --xen-compat --bind "$share" -- "$peer" server "$share" "$1" "$2" 42 ${3:-} >"$dir/server.out" 2>&1 &
	spid=$!
	"$UMX" run --xen-compat --bind "$share" -- "$peer" client "$share" "$1" "$2" 42 ${3:-} >"$dir/client.out" 2>&1
	crc=$?
	wait $spid
	src=$?
	cat "$dir/server.out" "$dir/client.out"
	if [ $crc -ne 0 ] || [ $src -ne 0 ]; then
		echo "FAIL: $1 ${3:-}: server rc $src, client rc $crc"; failed=1
	else
		echo "ok: $1 ${3:-} ($2 bytes each way)"
	fi
}
pair stream "$bytes"
pair packet "$bytes"
pair stream 1 die
pair stream 1 die-server
if [ $failed -ne 0 ]; then
	tail -20 "$dir/umxd.log"
fi
exit $failed
