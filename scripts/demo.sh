#!/bin/sh
# make demo: build quietly, start umxd, and tell the README's story with
# real domains: every command shown is the command run, every byte moved is
# checked (sha256 or byte for byte), and only figures that mean something
# are printed. Usage: demo.sh BUILD_DIR (configured as `make` does).
set -eu
build=${1:-build/release}
# Absolute: domains run programs by this name from their own working
# directory (a sandboxed domain's is not ours).
case $build in /*) ;; *) build="$PWD/$build" ;; esac
umx="$build/tools/umx"
umxd="$build/daemon/umxd"
lw="$build/tools/lwip"
dir=$(mktemp -d /tmp/umx-demo-XXXXXX)
export UMX_DIR="$dir" UMXD="$umxd"
started=
cleanup() {
	# Stopping umxd ends every domain it runs.
	[ -n "$started" ] && "$umx" daemon stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -t 1 ]; then bold=$(printf '\033[1m') off=$(printf '\033[0m'); else bold='' off=''; fi
say() { printf '\n%s%s%s\n' "$bold" "$*" "$off"; }
show() { echo "\$ $*"; } # the command about to run, as a user would type it
die() { echo "demo: $*" >&2; for f in "$dir"/log/*.log; do echo "--- $f"; tail -n 20 "$f"; done; exit 1; }

mkdir -p "$dir/log"
# ---- a quiet build: one progress line, the full log kept ---------------------
log="$(dirname "$build")/demo-build.log"
mkdir -p "$build"
printf 'building umx (log: %s) ' "$log"
{
	if [ ! -f "$build/CMakeCache.txt" ]; then
		cmake -S . -B "$build" ${GENERATOR:+-G "$GENERATOR"} -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DCMAKE_C_COMPILER="${CC:-gcc}" -DUMX_TESTS=OFF || echo "DEMO-BUILD-FAILED"
	fi
	cmake --build "$build" -j "${JOBS:-2}" || echo "DEMO-BUILD-FAILED"
} >"$log" 2>&1 &
b=$!
while kill -0 "$b" 2>/dev/null; do
	p=$(grep -o '^\[ *[0-9]*[/%][0-9]*\]\|^\[ *[0-9]*%\]' "$log" 2>/dev/null | tail -n1 || true)
	printf '\rbuilding umx (log: %s) %s ' "$log" "$p"
	sleep 0.5
done
wait "$b" || true
if grep -q DEMO-BUILD-FAILED "$log"; then
	echo
	tail -n 30 "$log"
	echo "demo: the build failed (whole log: $log)"
	exit 1
fi
printf '\rbuilding umx: done (log: %s)%20s\n' "$log" ""

say "umxd, the hypervisor and XenStore, in $dir"
show "umx daemon start"
"$umx" daemon start || exit 1
started=1

say "1. Domains: umx run, umx info, umx list"
show "umx run -d --name sleeper -- sleep 600"
"$umx" run -d --name sleeper -- sleep 600 >/dev/null
show "umx info"
"$umx" info
show "umx run -- sh -c 'id -u; ls /proc | grep -c \"^[0-9]\"; ip -o link | cut -d: -f2; touch /etc/x'"
echo "  (each domain is sandboxed: its own uid as root, only its own processes,"
echo "   only loopback, the host read-only; --no-sandbox turns that off)"
"$umx" run -- sh -c 'id -u; ls /proc | grep -c "^[0-9]"; ip -o link | cut -d: -f2; touch /etc/x' 2>&1 |
	sed 's/^/  /' || true
show "umx list"
"$umx" list

say "2. Xen's own xenstore-ls (Debian's xenstore-utils) reads umxd's store"
show "XENSTORED_PATH=$dir/xenstored xenstore-ls -p /local/domain"
XENSTORED_PATH="$dir/xenstored" xenstore-ls -p /local/domain

say "3. Requests and responses over a Xen shared ring, beside a bare eventfd ping-pong"
show "umx run --name ring -- bench_ring_pingpong"
echo "  (a MAP_SHARED sring, eventfd notify, in a domain; the ratio is ring/eventfd)"
BENCH_SECONDS=1 "$umx" run --name ring -- "$build/bench/bench_ring_pingpong" |
	grep -e "eventfd notify" -e "batches" | sed 's/  */ /g; s/^/  /'

say "4. Two domains share a page (a grant) and signal each other (an event channel)"
show "umx-demo-shared-page"
"$build/demo/umx-demo-shared-page"

say "5. TCP/IP in domains: lwIP serves HTTP on a switch; the host fetches it through slirp"
echo "  (switch: the netback domain; web: an lwIP HTTP server; slirp: a user-mode NAT"
echo "   forwarding a host port to web, on the host's network; fetch: an lwIP client)"
port=$((20000 + $$ % 20000))
show "umx run -d --name switch -- umx net switch"
"$umx" run -d --name switch -- "$umx" net switch >/dev/null
show "umx run -d --name web --vif backend=switch -- umx-lwip-httpd --ip 10.0.2.15/24 --gw 10.0.2.2"
"$umx" run -d --name web --vif backend=switch -- "$lw/umx-lwip-httpd" --ip 10.0.2.15/24 \
	--gw 10.0.2.2 >/dev/null || die "web"
show "umx run -d --name slirp --net host --vif backend=switch -- umx-slirp --forward tcp:$port:10.0.2.15:80"
"$umx" run -d --name slirp --net host --vif backend=switch -- "$build/tools/slirp/umx-slirp" \
	--forward "tcp:$port:10.0.2.15:80" >/dev/null || die "slirp"
show "umx net list"
"$umx" net list | cut -c1-50
show "curl http://127.0.0.1:$port/"
i=0
until curl -sS -m 5 "http://127.0.0.1:$port/" 2>/dev/null | sed 's/^/  /'; do
	i=$((i + 1)); [ $i -lt 50 ] || die "no HTTP answer through slirp"; sleep 0.2
done
show "curl http://127.0.0.1:$port/bytes/67108864 | umx-lwip-get --verify-stdin 67108864"
curl -sS -m 300 "http://127.0.0.1:$port/bytes/67108864" \
	-w '%{stderr}  curl: %{size_download} bytes at %{speed_download} bytes/s (host <- domain, through slirp)\n' |
	"$lw/umx-lwip-get" --verify-stdin 67108864 2>&1 | sed 's/^/  /' || die "the 64 MiB did not verify"
show "umx run --name fetch --vif backend=switch -- umx-lwip-get --ip 10.0.2.16/24 --server 10.0.2.15 --path /bytes/67108864 --check"
"$umx" run --name fetch --vif backend=switch -- "$lw/umx-lwip-get" --ip 10.0.2.16/24 \
	--server 10.0.2.15 --path /bytes/67108864 --check 2>&1 | sed 's/^/  /; s/$/ (domain -> domain, through the switch)/' ||
	die "fetch"
show "umx destroy slirp; umx destroy web; umx destroy switch"
"$umx" destroy slirp && "$umx" destroy web && "$umx" destroy switch

say "6. Two domains pipe 64 MiB of random bytes through a vchan (Xen's libxenvchan protocol)"
echo "  (1 MiB rings, an event channel, store nodes ring-ref/event-channel; each side"
echo "   names the other by its domain name, resolved when the domain starts)"
head -c 67108864 /dev/urandom >"$dir/data"
sent=$(sha256sum <"$dir/data" | cut -d' ' -f1)
mkfifo "$dir/tx-id"
show "umx run --name vchan-rx -- sh -c 'read s <&3; umx vchan client -k /local/domain/\$s/data/vchan/demo \$s' 3<>tx-id > received &"
# The receiver learns the sender's domid on descriptor 3 (its /tmp is its
# own; a descriptor crosses the sandbox), the sender names the receiver.
# The domains exec umx by its build path: bound in read-only, for a build
# under /tmp (a domain's /tmp is its own).
"$umx" run --name vchan-rx --ro-bind "$build/tools" -- sh -c 'read s <&3; exec "$0" vchan client -k \
	"/local/domain/$s/data/vchan/demo" "$s" </dev/null' "$umx" 3<>"$dir/tx-id" \
	>"$dir/received" 2>"$dir/log/vchan-rx.log" &
rx=$!
i=0
until "$umx" domid vchan-rx >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 200 ] || die "vchan-rx did not start"; sleep 0.05
done
show "umx run --name vchan-tx --vchan peer=vchan-rx,path=data/vchan/demo -- sh -c 'umx vchan server --ring 1048576 --stats \$UMX_VCHAN0_PATH \$UMX_VCHAN0_PEER' < data &"
"$umx" run --name vchan-tx --ro-bind "$build/tools" --vchan peer=vchan-rx,path=data/vchan/demo -- sh -c \
	'exec "$0" vchan server --ring 1048576 --stats "$UMX_VCHAN0_PATH" "$UMX_VCHAN0_PEER"' \
	"$umx" <"$dir/data" 2>"$dir/log/vchan-tx.log" &
tx=$!
i=0
until "$umx" domid vchan-tx >"$dir/tx-id.val" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || die "vchan-tx did not start"; sleep 0.05
done
cat "$dir/tx-id.val" >"$dir/tx-id"
wait "$tx" || die "the vchan server failed"
wait "$rx" || die "the vchan client failed"
sed 's/^/  /' "$dir/log/vchan-tx.log"
got=$(sha256sum <"$dir/received" | cut -d' ' -f1)
echo "  sha256 sent     $sent"
echo "  sha256 received $got ($(wc -c <"$dir/received") bytes)"
[ "$sent" = "$got" ] || die "the vchan corrupted the data"

say "7. umx destroy, umx wait, and the store forgetting the domain"
id=$("$umx" domid sleeper)
show "umx destroy sleeper; umx wait $id"
"$umx" destroy sleeper
"$umx" wait "$id" || true
show "xenstore-exists /local/domain/$id"
if XENSTORED_PATH="$dir/xenstored" xenstore-exists "/local/domain/$id"; then
	die "its store nodes are still there"
fi
echo "  gone"

say "umxd stops, and every domain with it"
show "umx daemon stop"
"$umx" daemon stop
started=
show "umx log"
"$umx" log | sed 's/^/  /'
