#!/bin/sh
# The drop-in libxengnttab/libxenevtchn/libxenstore/libxenforeignmemory
# export every symbol of Debian's Xen 4.17 libraries under the same version
# node, with the same SONAME and the same version-definition chain
# (VERS_1.0 <- 1.1 <- 1.2 ...). The drop-in libxenctrl.so.4.17 exports a
# subset of Debian's (what xenconsoled and xenconsole call), each under
# Debian's version node, with Debian's SONAME and version nodes; Debian's
# xenconsoled and xenconsole resolve every symbol against the drop-ins.
set -u
command -v readelf >/dev/null || { echo "SKIP: readelf not installed (binutils)"; exit 77; }
[ -n "${UMX:-}" ] || { echo "SKIP: UMX not set"; exit 77; }
ours=$(cd "$(dirname "$UMX")/../compat/lib" 2>/dev/null && pwd) ||
	{ echo "FAIL: no compat/lib next to $UMX"; exit 1; }
sys=/usr/lib/x86_64-linux-gnu
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

syms() { # defined global symbols as name@version
	readelf --dyn-syms -W "$1" | awk '$7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") {
		sub(/@@/, "@", $8); print $8 }' | sort -u
}
verdefs() { # version definitions and their parents, one line each
	readelf -V -W "$1" | sed -n '/\.gnu\.version_d/,/^$/p' |
		sed -n 's/.*Name: \(.*\)/\1/p; s/.*Parent 1: \(.*\)/  parent \1/p'
}
soname() { readelf -d "$1" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p'; }

for lib in libxengnttab.so.1 libxenevtchn.so.1 libxenstore.so.4 libxenforeignmemory.so.1 \
	libxenctrl.so.4.17; do
	if [ ! -e "$sys/$lib" ]; then
		echo "SKIP: $sys/$lib not installed (Debian libxen packages)"
		exit 77
	fi
	[ -e "$ours/$lib" ] || { echo "FAIL: $ours/$lib not built"; fail=1; continue; }
	syms "$sys/$lib" >"$tmp/deb"
	syms "$ours/$lib" >"$tmp/ours"
	missing=$(comm -23 "$tmp/deb" "$tmp/ours")
	extra=$(comm -13 "$tmp/deb" "$tmp/ours")
	n=$(wc -l <"$tmp/deb")
	if [ "$lib" = libxenctrl.so.4.17 ]; then
		# A subset by design: Xen's ~400 calls mean nothing without a
		# hypervisor; the binaries below prove the subset is enough.
		echo "ok: $lib exports $(wc -l <"$tmp/ours") of Debian's $n symbol@version"
	elif [ -n "$missing" ]; then
		echo "FAIL: $lib lacks: $missing"; fail=1
	else
		echo "ok: $lib exports all $n of Debian's symbol@version"
	fi
	if [ -n "$extra" ]; then
		echo "FAIL: $lib exports more than Debian's: $extra"; fail=1
	fi
	if [ "$(soname "$sys/$lib")" != "$(soname "$ours/$lib")" ]; then
		echo "FAIL: $lib SONAME $(soname "$ours/$lib")"; fail=1
	fi
	if [ "$(verdefs "$sys/$lib")" != "$(verdefs "$ours/$lib")" ]; then
		echo "FAIL: $lib version definitions differ:"
		verdefs "$sys/$lib"; echo "--- ours:"; verdefs "$ours/$lib"; fail=1
	else
		echo "ok: $lib version nodes: $(verdefs "$ours/$lib" | tr '\n' ' ')"
	fi
done
# What Debian's binaries we run need must resolve against ours alone.
# xenconsoled/xenconsole: Debian's xen-utils-4.17 (scripts/deps.sh installs it).
for bin in "$sys/libxenvchan.so.4.17" /usr/bin/xenstore /usr/lib/xen-4.17/bin/xenconsoled \
	/usr/lib/xen-4.17/bin/xenconsole; do
	if [ ! -e "$bin" ]; then
		case $bin in
		*/xenconsole*) echo "FAIL: $bin missing (Debian xen-utils-4.17: make deps)"; fail=1 ;;
		esac
		continue
	fi
	out=$(LD_LIBRARY_PATH="$ours" ldd -r "$bin" 2>&1)
	if printf '%s\n' "$out" | grep -q "undefined symbol\|not found\|no version information"; then
		echo "FAIL: $bin against the drop-ins:"; printf '%s\n' "$out"; fail=1
	elif ! printf '%s\n' "$out" | grep -q "$ours/libxenstore.so.4"; then
		echo "FAIL: $bin did not load our libxenstore:"; printf '%s\n' "$out"; fail=1
	elif printf '%s\n' "$out" | grep "=> " | grep "libxen" | grep -vq "=> $ours/"; then
		echo "FAIL: $bin loaded a Xen library that is not ours:"; printf '%s\n' "$out"; fail=1
	else
		echo "ok: $(basename "$bin") resolves every symbol from the drop-ins"
	fi
done
exit $fail
