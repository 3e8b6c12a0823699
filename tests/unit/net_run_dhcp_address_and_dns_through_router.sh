#!/bin/sh
# `umx run --net SWITCH` with no ip=: the domain's eth0 gets its address,
# default route and DNS server by DHCP from the switch's router (umx-slirp,
# libslirp's DHCP server), before its program starts; the program resolves
# a name through the router's DNS (slirp forwards it to the resolver it
# knows, here a small DNS server of the test's on the host's loopback) and
# fetches a page from the host through the router by that name.
set -eu
bin=$(cd "$(dirname "$UMX")/.." && pwd)/tools
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-netdhcp
fail() { umx_fail_logs "$@"; }
[ "$(id -u)" = 0 ] || { echo "SKIP: the test's DNS server needs port 53 (root)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed (the test's DNS server)"; exit 77; }
command -v curl >/dev/null || fail "curl not installed (make deps)"
umxd_start "$dir"
switch_start

# A DNS server answering one name, on an address of the host's loopback
# that nothing else uses. Any other name: NXDOMAIN.
dns=127.$((($$ % 200) + 20)).0.53
cat >"$dir/dns.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
        i += 1 + q[i]
    qend = i + 5
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0] if qend <= len(q) else 0
    name = ".".join(labels).lower()
    hit = name == "umx-host.test" and qtype == 1
    flags = 0x8180 if hit or name == "umx-host.test" else 0x8183
    r = q[:2] + struct.pack("!HHHHH", flags, 1, 1 if hit else 0, 0, 0) + q[12:qend]
    if hit:
        r += struct.pack("!HHHIH", 0xc00c, 1, 1, 60, 4) + bytes([10, 0, 2, 2])
    s.sendto(r, peer)
EOF
python3 "$dir/dns.py" "$dns" >"$dir/dns.log" 2>&1 &
pids="$pids $!"
i=0
until grep -q ready "$dir/dns.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the test's DNS server did not start"; sleep 0.1
done
echo "nameserver $dns" >"$dir/slirp-resolv.conf"
# The router uses the host's network, and our resolver.
domain_bg_with "--net host --ro-bind $dir/slirp-resolv.conf:$(realpath /etc/resolv.conf)" \
	slirp "$bin/slirp/umx-slirp"
vif_attach slirp

# A page on the host's loopback: 10.0.2.2 through the router.
mkdir "$dir/www"
echo "host page $$" >"$dir/www/hello.txt"
port=$((20000 + $$ % 20000))
(cd "$dir/www" && exec python3 -m http.server "$port" --bind 127.0.0.1) >"$dir/pyhttp.log" 2>&1 &
pids="$pids $!"

mkdir "$dir/out"
chmod 777 "$dir/out"
# shellcheck disable=SC2016
prog='ip -4 -o addr show dev eth0 >/tmp/out/addr
ip -4 route show default >/tmp/out/route
cat /etc/resolv.conf >/tmp/out/resolv
getent hosts umx-host.test >/tmp/out/hosts
curl -sS -m 20 --retry 5 --retry-connrefused -o /tmp/out/page "http://umx-host.test:$1/hello.txt"'
"$UMX" run --name c --net switch --bind "$dir/out:/tmp/out" -- sh -c "$prog" sh "$port" \
	>"$dir/c.log" 2>&1 || fail "the domain's program: $(cat "$dir/c.log")"
grep -q "inet 10.0.2.15/24" "$dir/out/addr" || fail "address by DHCP: $(cat "$dir/out/addr")"
grep -q "default via 10.0.2.2 dev eth0" "$dir/out/route" ||
	fail "default route by DHCP: $(cat "$dir/out/route")"
grep -qx "nameserver 10.0.2.3" "$dir/out/resolv" || fail "DNS by DHCP: $(cat "$dir/out/resolv")"
grep -q "^10.0.2.2 *umx-host.test" "$dir/out/hosts" || fail "name resolved: $(cat "$dir/out/hosts")"
grep -qx "host page $$" "$dir/out/page" || fail "page fetched by name"
echo "DHCP address, route, DNS through the router: ok"
