# libumx's ABI is exactly its installed headers: every symbol in the version
# map (lib/libumx.map, no wildcard) is a function declared in an installed
# header, every function declared there (not static inline) is in the map,
# and libumx.so exports exactly the map, each under its version node.
set -u
command -v nm >/dev/null || { echo "SKIP: nm not installed (binutils)"; exit 77; }
command -v gcc >/dev/null || { echo "SKIP: gcc not installed (needed for -aux-info)"; exit 77; }
build=$(cd "$(dirname "$UMX")/.." && pwd)
map="$UMX_SOURCE_DIR/lib/libumx.map"
tmp=$(mktemp -d /tmp/umx-abi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/p" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
so=$(ls "$tmp"/p/lib*/libumx.so.0.* 2>/dev/null | head -n1)
[ -n "$so" ] || { echo "FAIL: no libumx.so.0.* installed"; exit 1; }
ls "$tmp"/p/include/umx/*.h >/dev/null 2>&1 || { echo "FAIL: no headers installed"; exit 1; }

# Declared: gcc -aux-info lists every function the installed headers
# declare, with the header it came from; static inline helpers are marked
# static and are not symbols.
for h in "$tmp"/p/include/umx/*.h; do echo "#include \"umx/$(basename "$h")\""; done >"$tmp/all.c"
gcc -std=c11 -D_GNU_SOURCE -fsyntax-only -aux-info "$tmp/aux" -I"$tmp/p/include" "$tmp/all.c" ||
	{ echo "FAIL: the installed headers do not compile on their own"; exit 1; }
grep -F "$tmp/p/include/" "$tmp/aux" | grep -v '\*/ static ' |
	sed -n 's/.*[ *]\(umx_[A-Za-z0-9_]*\) *(.*/\1/p' | sort -u >"$tmp/declared"

# Mapped: the global: entries of the version script (one symbol a line).
awk '{ sub(/\/\*.*\*\//, "") } /global:/ {g=1; next} /local:/ {g=0}
	g && /[*?]/ { print "FAIL: lib/libumx.map exports by wildcard: " $0 > "/dev/stderr" }
	g && /^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;/ { gsub(/[[:space:];]/, ""); print }' \
	"$map" 2>"$tmp/fails" | sort -u >"$tmp/mapped"
node=$(sed -n 's/^\([A-Z][A-Z0-9_.]*\)[[:space:]]*{.*/\1/p' "$map" | tail -n1)

# Exported: defined dynamic symbols of the installed library, and their node.
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' >"$tmp/dyn"
sed 's/@.*//' "$tmp/dyn" | grep -v -x "$node" | sort -u >"$tmp/exported"

{
	comm -13 "$tmp/declared" "$tmp/mapped" | sed 's/.*/&: in lib\/libumx.map, declared in no installed header/'
	comm -23 "$tmp/declared" "$tmp/mapped" | sed 's/.*/&: declared in an installed header, not in lib\/libumx.map/'
	comm -23 "$tmp/mapped" "$tmp/exported" | sed 's/.*/&: in lib\/libumx.map, not exported by libumx.so/'
	comm -13 "$tmp/mapped" "$tmp/exported" | sed 's/.*/&: exported by libumx.so, not in lib\/libumx.map/'
	grep -v "@@$node\$" "$tmp/dyn" | sed "s/.*/&: not under the version node $node/"
} | sed 's/^/FAIL: /' >>"$tmp/fails"
n=$(wc -l <"$tmp/declared")
[ "$n" -gt 50 ] || echo "FAIL: only $n functions found in the installed headers" >>"$tmp/fails"
if [ -s "$tmp/fails" ]; then
	cat "$tmp/fails"
	exit 1
fi
echo "abi: $n functions, declared = mapped = exported under $node"
