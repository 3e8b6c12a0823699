#!/bin/sh
# Mixed vchan interop: Debian's unmodified libxenvchan (vchan_peer, through
# umx's drop-in Xen libraries) against umx's own vchan, both roles each way:
# Xen's server <-> umx client and umx server <-> Xen's client,
# UMX_COMPAT_BYTES (default 256 MiB) each way at once.
# Stream: umx's end is the `umx vchan` CLI, fed and checked through pipes by
# vchan_peer gen/check, every byte; the Xen side writes random sizes.
# Packet: umx's end is umx_vchan_peer, the same vchan_peer.c built on
# umx_vchan_send/recv, so both ends send and receive the same random packet
# sizes and check every byte and every packet boundary.
# Death: the peer that dies without closing (client, then server, on either
# side) is seen as gone by the other end (unmap notify on process death).
set -u
[ -x "${UMXD:-}" ] && [ -x "${UMX:-}" ] || { echo "SKIP: UMXD/UMX not set"; exit 77; }
peer=$(dirname "$UMX")/../compat/bin/vchan_peer
[ -x "$peer" ] || { echo "SKIP: vchan_peer not built (needs Debian libxenvchan + libxen-dev)"; exit 77; }
upeer=$(dirname "$UMX")/../compat/bin/umx_vchan_peer
[ -x "$upeer" ] || { echo "FAIL: umx_vchan_peer not built next to vchan_peer"; exit 1; }
"$UMX" vchan --help >/dev/null 2>&1 || { echo "FAIL: umx vchan missing"; exit 1; }
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

# umx's end, run as a domain: publish our domid, wait for the Xen end's,
# then gen | umx vchan ROLE ... -k | check. Args: role other mode
cat >"$share/umx_end.sh" <<'EOS'
set -u
role=$1 other=$2
me=$(xenstore-read domid) || exit 1
echo "$me" >"$DIR/$role.domid.tmp" && mv "$DIR/$role.domid.tmp" "$DIR/$role.domid"
i=0; while [ ! -e "$DIR/$other.domid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
peer=$(cat "$DIR/$other.domid")
if [ "$role" = server ]; then
	path=/local/domain/$me/data/vchan
else
	path=/local/domain/$peer/data/vchan
fi
"$PEER" gen "$role" "$BYTES" 42 |
	"$UMX" vchan "$role" "$path" "$peer" -k --stats |
	"$PEER" check "$other" "$BYTES" 42
EOS

run() { # xen_role umx_role mode
	rm -f "$share"/*.domid
	extra=
	[ "$1" = server ] && extra=close
	DIR="$share" PEER="$peer" BYTES="$bytes" UMX="$UMX" \
		"$UMX" run --xen-compat --bind "$share" -- sh "$share/umx_end.sh" "$2" "$1" >"$dir/umx.out" 2>&1 &
	upid=$!
	"$UMX" run --xen-compat --bind "$share" -- "$peer" "$1" "$share" "$3" "$bytes" 42 $extra >"$dir/xen.out" 2>&1
	xrc=$?
	wait $upid
	urc=$?
	cat "$dir/xen.out" "$dir/umx.out"
	if [ $xrc -ne 0 ] || [ $urc -ne 0 ]; then
		echo "FAIL: Xen $1 ($3) <-> umx $2: Xen rc $xrc, umx rc $urc"; failed=1
	else
		echo "ok: Xen's libxenvchan $1 ($3) <-> umx vchan $2, $bytes bytes each way"
	fi
}
# Both ends vchan_peer: Xen's libxenvchan (drop-ins) and umx's vchan
# (umx_vchan_peer, plain `umx run`). Args: xen_role mode bytes [die|die-server]
peers() {
	rm -f "$share"/*.domid
	[ "$1" = server ] && urole=client || urole=server
	"$UMX" run --bind "$share" -- "$upeer" "$urole" "$share" "$2" "$3" 42 ${4:-} >"$dir/umx.out" 2>&1 &
	upid=$!
	"$UMX" run --xen-compat --bind "$share" -- "$peer" "$1" "$share" "$2" "$3" 42 ${4:-} >"$dir/xen.out" 2>&1
	xrc=$?
	wait $upid
	urc=$?
	cat "$dir/xen.out" "$dir/umx.out"
	if [ $xrc -ne 0 ] || [ $urc -ne 0 ]; then
		echo "FAIL: Xen $1 ($2${4:+ $4}) <-> umx_vchan_peer $urole: Xen rc $xrc, umx rc $urc"
		failed=1
	else
		echo "ok: Xen's libxenvchan $1 ($2${4:+ $4}) <-> umx_vchan_peer $urole, $3 bytes each way"
	fi
}
run server client stream
run client server stream
peers server packet "$bytes"
peers client packet "$bytes"
peers server stream 1 die
peers client stream 1 die
peers server stream 1 die-server
peers client stream 1 die-server
[ $failed -ne 0 ] && tail -20 "$dir/umxd.log"
exit $failed
