#!/bin/sh
# make install gives a working tree: installed at a prefix other than the
# configured one, pkg-config's flags build a program against it, and that
# program talks to the installed umxd through the installed libumx.
set -eu
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not installed"; exit 77; }
cc=$(command -v cc || command -v gcc || command -v clang) ||
	{ echo "SKIP: no C compiler"; exit 77; }
build=$(cd "$(dirname "$UMX")/.." && pwd)
tmp=$(mktemp -d /tmp/umx-installrun-XXXXXX)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/umxd.err" ] && cat "$tmp/umxd.err"; exit 1; }
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install"
pc=$(find "$prefix" -name umx.pc | head -n1)
[ -n "$pc" ] || fail "no umx.pc"
export PKG_CONFIG_PATH="$(dirname "$pc")"
[ "$(pkg-config --variable=includedir umx)" -ef "$prefix/include" ] ||
	fail "umx.pc's includedir is not the install prefix's: $(pkg-config --variable=includedir umx)"
cat >"$tmp/hello.c" <<'C'
/* Ask the installed umxd who it is, through the installed libumx. */
#include <stdio.h>
#include <umx/conn.h>
#include <umx/domain.h>
int main(void)
{
	struct umx_daemon_info info;
	umx_conn *c;
	if (umx_conn_open_toolstack(NULL, &c) < 0 || umx_daemon_info(c, &info) < 0)
		return 1;
	printf("umxd pid %d, %u domains\n", (int)info.pid, info.domains);
	umx_conn_close(c);
	return 0;
}
C
libdir=$(pkg-config --variable=libdir umx)
san=
# A sanitized build's library needs the sanitizer runtime in the program.
if nm -D "$libdir"/libumx.so.0 2>/dev/null | grep -q __asan_; then
	cc=$(command -v clang) || { echo "SKIP: sanitized libumx needs clang"; exit 77; }
	san="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2046,SC2086
"$cc" $san -o "$tmp/hello" "$tmp/hello.c" $(pkg-config --cflags --libs umx) ||
	fail "a program does not build with pkg-config --cflags --libs umx"
export UMX_DIR="$tmp/run"
"$prefix/sbin/umxd" -f -d "$UMX_DIR" 2>"$tmp/umxd.err" &
daemon=$!
i=0
until "$prefix/bin/umx" daemon status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "the installed umxd did not come up"; sleep 0.05
done
LD_LIBRARY_PATH="$libdir" "$tmp/hello" >"$tmp/out" || fail "the program fails"
grep -q "^umxd pid $daemon, 0 domains" "$tmp/out" || fail "the program says: $(cat "$tmp/out")"
ldd "$tmp/hello" | grep -q "$libdir/libumx.so.0" 2>/dev/null ||
	LD_LIBRARY_PATH="$libdir" ldd "$tmp/hello" | grep -q "libumx.so.0 => $libdir" ||
	fail "the program does not use the installed libumx"
"$prefix/bin/umx" daemon stop >/dev/null || fail "installed umx stops the installed umxd"
wait "$daemon" || fail "umxd exit status"
daemon=
echo "install tree: ok (pkg-config build, installed umxd and libumx)"
