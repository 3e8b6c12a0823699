#!/bin/sh
# make install puts headers, libumx (versioned symbols only), umx.pc, umx and
# umxd where a user expects them, and pkg-config finds the library.
set -eu
build=$(cd "$(dirname "$UMX")/.." && pwd)
prefix=$(mktemp -d /tmp/umx-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cmake --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install"
libdir=$(ls -d "$prefix"/lib* | head -n1)
for f in include/umx/ring.h include/umx/grant.h include/umx/evtchn.h include/umx/xs.h \
	include/umx/platform.h include/umx/domain.h bin/umx sbin/umxd bin/umx-slirp \
	bin/umx-tap bin/umx-lwip-httpd bin/umx-lwip-get share/man/man1/umx.1 \
	share/man/man5/umx.cfg.5 share/man/man8/umxd.8 lib/systemd/system/umxd.service; do
	[ -e "$prefix/$f" ] || fail "missing $f"
done
ls "$libdir"/libumx.so.0* >/dev/null 2>&1 || fail "missing libumx.so.0"
pc=$(find "$prefix" -name umx.pc | head -n1)
[ -n "$pc" ] || fail "missing umx.pc"
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs umx) || fail "pkg-config"
echo "$flags" | grep -q -- "-lumx" || fail "pkg-config libs: $flags"
grep -q "^ExecStart=$prefix/sbin/umxd " "$prefix/lib/systemd/system/umxd.service" ||
	fail "the systemd unit does not start the installed umxd"
# A header installed promises a library installed: umx_lwip's is not, and
# the internal headers (clock.h among them) are the tree's own.
[ ! -e "$prefix/include/umx/lwip.h" ] || fail "umx/lwip.h installed without its library"
[ ! -e "$prefix/include/umx/clock.h" ] || fail "umx/clock.h (internal) installed"
[ ! -e "$prefix/include/umx/internal" ] || fail "umx/internal/ installed"
# Only the umx_ namespace is exported, under the UMX_0.1 version node.
so=$(ls "$libdir"/libumx.so.0.* | head -n1)
bad=$(readelf --dyn-syms -W "$so" | awk '$5=="GLOBAL" && $7!="UND" {print $8}' |
	grep -v '@@UMX_0.1$' | grep -v -x 'UMX_0.1' || true)
[ -z "$bad" ] || fail "unversioned or foreign exports: $bad"
readelf --dyn-syms -W "$so" | grep -q 'umx_ring_take@@UMX_0.1' || fail "umx_ring_take not exported"
"$prefix/bin/umx" --version | grep -q '^umx ' || fail "installed umx runs"
echo "install: ok"
