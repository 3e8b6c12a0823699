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
	include/umx/platform.h include/umx/domain.h bin/umx sbin/umxd; do
	[ -e "$prefix/$f" ] || fail "missing $f"
done
ls "$libdir"/libumx.so.0* >/dev/null 2>&1 || fail "missing libumx.so.0"
pc=$(find "$prefix" -name umx.pc | head -n1)
[ -n "$pc" ] || fail "missing umx.pc"
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs umx) || fail "pkg-config"
echo "$flags" | grep -q -- "-lumx" || fail "pkg-config libs: $flags"
# Only the umx_ namespace is exported, under the UMX_0.1 version node.
so=$(ls "$libdir"/libumx.so.0.* | head -n1)
bad=$(readelf --dyn-syms -W "$so" | awk '$5=="GLOBAL" && $7!="UND" {print $8}' |
	grep -v '@@UMX_0.1$' | grep -v -x 'UMX_0.1' || true)
[ -z "$bad" ] || fail "unversioned or foreign exports: $bad"
readelf --dyn-syms -W "$so" | grep -q 'umx_ring_take@@UMX_0.1' || fail "umx_ring_take not exported"
"$prefix/bin/umx" --version | grep -q '^umx ' || fail "installed umx runs"
echo "install: ok"
