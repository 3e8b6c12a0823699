#!/bin/sh
# make demo: start a private umxd, run real domains on it, and narrate.
set -eu
build=${1:-build/release}
umx="$build/tools/umx"
umxd="$build/daemon/umxd"
dir=$(mktemp -d /tmp/umx-demo-XXXXXX)
export UMX_DIR="$dir" UMXD="$umxd"
daemon= sleeper=
cleanup() {
	for p in ${net_pids:-}; do kill "$p" 2>/dev/null || true; done
	[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null || true
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. Start umxd (hypervisor + XenStore) in $dir"
"$umxd" -f -d "$dir" 2>"$dir/umxd.log" &
daemon=$!
i=0
until "$umx" daemon status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$dir/umxd.log"; exit 1; }; sleep 0.05
done
"$umx" info

say "2. Start a long-running domain and list domains"
"$umx" run --name sleeper -- sleep 60 &
sleeper=$!
until "$umx" list | grep -q sleeper; do sleep 0.05; done
"$umx" list
echo "\$ umx run -- sh -c 'id -u; ls /proc | grep -c \"^[0-9]\"; ip -o link | cut -d: -f2; touch /etc/x'"
echo "  (each domain is sandboxed: its own uid as root, only its own processes,"
echo "   only loopback, the host read-only; --no-sandbox turns that off)"
"$umx" run -- sh -c 'id -u; ls /proc | grep -c "^[0-9]"; ip -o link | cut -d: -f2; touch /etc/x' 2>&1 |
	sed 's/^/  /' || true

say "3. Xen's own xenstore-ls (Debian's xenstore-utils) reads umxd's store"
echo "\$ XENSTORED_PATH=$dir/xenstored xenstore-ls -p /local/domain"
XENSTORED_PATH="$dir/xenstored" xenstore-ls -p /local/domain

say "4. Two processes exchange requests over a Xen shared ring (umx ring core)"
echo "  (request/response ping-pong over a MAP_SHARED sring, eventfd notify,"
echo "   run inside a domain; compared with a bare eventfd ping-pong)"
BENCH_SECONDS=0.5 "$umx" run --name ring-demo -- "$build/bench/bench_ring_pingpong"

say "5. Two domains share a page (grant) and signal each other (event channel)"
"$build/demo/umx-demo-shared-page"

say "6. TCP/IP in domains: lwIP serves HTTP; the host fetches it through slirp, a domain over the switch"
echo "  (switch = netback domain; web = lwIP HTTP server domain; slirp = user-mode NAT"
echo "   router domain forwarding a host port to web; fetch = lwIP client domain)"
lw="$build/tools/lwip"
port=$((20000 + $$ % 20000))
domid() {
	i=0
	until id=$("$umx" list | awk -v n="$1" '$2 == n { print $1 }') && [ -n "$id" ]; do
		i=$((i + 1)); [ $i -lt 200 ] || { echo "domain $1 never started"; exit 1; }; sleep 0.05
	done
	echo "$id"
}
"$umx" run --name switch -- "$umx" net switch 2>"$dir/switch.log" &
net_pids="$!"
sw=$(domid switch)
"$umx" run --name web -- "$lw/umx-lwip-httpd" --ip 10.0.2.15/24 --gw 10.0.2.2 2>"$dir/web.log" &
net_pids="$net_pids $!"
"$umx" net attach "$(domid web)" "$sw" >/dev/null
# slirp is the NAT to the host's network, so it keeps the host's (--net host);
# every other domain has only its own loopback.
"$umx" run --name slirp --net host -- "$build/tools/slirp/umx-slirp" --forward "tcp:$port:10.0.2.15:80" \
	2>"$dir/slirp.log" &
net_pids="$net_pids $!"
"$umx" net attach "$(domid slirp)" "$sw" >/dev/null
"$umx" list
echo "\$ curl http://127.0.0.1:$port/"
i=0
until curl -sS -m 5 "http://127.0.0.1:$port/" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { cat "$dir/slirp.log" "$dir/web.log"; exit 1; }; sleep 0.2
done
echo "\$ curl http://127.0.0.1:$port/bytes/67108864 | umx-lwip-get --verify-stdin"
curl -sS -m 120 "http://127.0.0.1:$port/bytes/67108864" \
	-w '%{stderr}curl: %{size_download} bytes at %{speed_download} bytes/s (host <- domain via slirp)\n' |
	"$lw/umx-lwip-get" --verify-stdin 67108864
echo "\$ umx run --name fetch -- umx-lwip-get --server 10.0.2.15 --path /bytes/67108864 --check"
"$umx" run --name fetch -- "$lw/umx-lwip-get" --ip 10.0.2.16/24 --server 10.0.2.15 \
	--path /bytes/67108864 --check 2>"$dir/fetch.log" &
fetch=$!
"$umx" net attach "$(domid fetch)" "$sw" >/dev/null
wait "$fetch" || { cat "$dir/fetch.log"; exit 1; }
sed 's/$/ (domain -> domain via the switch)/' "$dir/fetch.log"
for p in $net_pids; do kill "$p" 2>/dev/null || true; done
for p in $net_pids; do wait "$p" 2>/dev/null || true; done
net_pids=
echo "What each domain saw:"
cat "$dir/web.log" "$dir/slirp.log" "$dir/switch.log" | grep -v "connected (persistent)" | sed 's/^/  /'

say "7. Two domains pipe 64 MiB through a vchan (Xen's libxenvchan protocol)"
echo "  (umx vchan server | umx vchan client: shared 1 MiB rings, event channel,"
echo "   store nodes ring-ref/event-channel; the client is started first so the"
echo "   server can name it)"
domid_of() {
	i=0
	until "$umx" list | awk -v n="$1" '$2 == n { print $1; f = 1 } END { exit !f }'; do
		i=$((i + 1)); [ $i -lt 200 ] || { echo "$1 never started"; exit 1; }; sleep 0.05
	done
}
mkfifo "$dir/vchan-server"
# The fifo reaches the sandboxed domain as a descriptor: its /tmp is its own.
"$umx" run --name vchan-rx -- sh -c 'read s <&3; "$0" vchan client -k \
	/local/domain/$s/data/vchan/demo "$s" </dev/null | wc -c | sed "s/^/  client received /; s/$/ bytes/"' \
	"$umx" 3<>"$dir/vchan-server" &
rx=$!
c=$(domid_of vchan-rx)
"$umx" run --name vchan-tx -- sh -c 'head -c 67108864 /dev/zero |
	"$1" vchan server --ring 1048576 --stats data/vchan/demo "$0" 2>&1 | sed "s/^/  /"' \
	"$c" "$umx" &
tx=$!
domid_of vchan-tx >"$dir/vchan-server"
wait "$tx"
wait "$rx"

say "8. Destroy the sleeper; umx wait reports how it died"
"$umx" destroy 1
wait "$sleeper" 2>/dev/null || true
sleeper=
"$umx" wait 1 || true
echo "\$ xenstore-exists /local/domain/1  (its store nodes are gone)"
if XENSTORED_PATH="$dir/xenstored" xenstore-exists /local/domain/1; then
	echo "still there (unexpected)"; exit 1
else
	echo "gone"
fi

say "9. Stop umxd"
"$umx" daemon stop
wait "$daemon" 2>/dev/null || true
daemon=
echo
echo "umxd's log:"
sed 's/^/  /' "$dir/umxd.log"
