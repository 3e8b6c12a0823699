#!/bin/sh
# Debian's unmodified xenstore-read/-write/-ls/-list/-rm run inside a umx
# domain through the drop-in libxenstore (umx run --xen-compat) and see
# that domain's view: relative paths under /local/domain/<domid>, its own
# nodes writable, another domain's nodes EACCES — until their owner grants
# read access with xenstore-chmod, which xenstore-ls -p then shows.
set -u
for t in xenstore-read xenstore-write xenstore-ls xenstore-list xenstore-rm xenstore-exists \
	xenstore-chmod; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed (xenstore-utils)"; exit 77; }
done
[ -x "${UMXD:-}" ] && [ -x "${UMX:-}" ] || { echo "SKIP: UMXD/UMX not set"; exit 77; }
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
fail() { echo "FAIL: $*"; exit 1; }
umx_test_dir umx-compat
umxd_start "$dir"
failed=0
check() { # name expected actual
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1"; echo "  expected: $2"; echo "  actual:   $3"; failed=1
	else
		echo "ok: $1"
	fi
}


# The domains share files through $share, bound into both sandboxes
# (their /tmp is their own, $dir is umxd's and stays hidden); sticky and
# world-writable, because as root each domain runs as a uid of its own.
share="$dir/share"
mkdir -m 1777 "$share"

# Domain A: writes relative nodes, checks its view, leaves a node behind
# and waits (so B can try it) until B is done.
cat >"$share/a.sh" <<'EOS'
set -u
d=$(xenstore-read domid) || { echo "A: no relative domid"; exit 1; }
echo "$d" >"$DIR/a.domid.tmp" && mv "$DIR/a.domid.tmp" "$DIR/a.domid"
xenstore-write data/greeting "hello from A" data/n 42 || exit 1
echo "rel=$(xenstore-read data/greeting)"
echo "abs=$(xenstore-read /local/domain/$d/data/greeting)"
echo "list=$(xenstore-list data | tr '\n' ' ')"
echo "ls=$(xenstore-ls data | tr '\n' ' ')"
xenstore-rm data/n; echo "rm=$? exists-after-rm=$(xenstore-exists data/n; echo $?)"
# data/shared: owned by A, readable by B only (Xen's n<owner> r<reader>).
i=0; while [ ! -e "$DIR/b.domid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
b=$(cat "$DIR/b.domid")
xenstore-write data/shared "for B" && xenstore-chmod data/shared "n$d" "r$b" || exit 1
echo "perms=$(xenstore-ls -p data | awk '/^shared / { print $NF }')"
touch "$DIR/a.shared"
i=0; while [ ! -e "$DIR/b.done" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
EOS
cat >"$share/b.sh" <<'EOS'
set -u
i=0; while [ ! -e "$DIR/a.domid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
a=$(cat "$DIR/a.domid")
d=$(xenstore-read domid)
echo "$d" >"$DIR/b.domid.tmp" && mv "$DIR/b.domid.tmp" "$DIR/b.domid"
[ "$d" != "$a" ] && echo "b-distinct=yes"
out=$(xenstore-read /local/domain/$a/data/greeting 2>&1); echo "read-other=$? $out"
out=$(xenstore-write /local/domain/$a/data/evil x 2>&1); echo "write-other=$? $out"
out=$(xenstore-ls /local/domain/$a/data 2>&1); echo "ls-other=$? $out"
echo "own-rel=$(xenstore-read data/greeting 2>/dev/null || echo none)"
i=0; while [ ! -e "$DIR/a.shared" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
out=$(xenstore-read /local/domain/$a/data/shared 2>&1); echo "read-shared=$? $out"
out=$(xenstore-write /local/domain/$a/data/shared y 2>&1); echo "write-shared=$? $out"
touch "$DIR/b.done"
EOS
export DIR="$share"
"$UMX" run --xen-compat --bind "$share" -- sh "$share/a.sh" >"$dir/a.out" 2>&1 &
apid=$!
"$UMX" run --xen-compat --bind "$share" -- sh "$share/b.sh" >"$dir/b.out" 2>&1
brc=$?
wait $apid
arc=$?
cat "$dir/a.out" "$dir/b.out"
a=$(cat "$share/a.domid" 2>/dev/null)
check "A exit" 0 "$arc"
check "B exit" 0 "$brc"
check "A reads its relative node" "rel=hello from A" "$(grep '^rel=' "$dir/a.out")"
check "relative = /local/domain/<A>" "abs=hello from A" "$(grep '^abs=' "$dir/a.out")"
check "A lists its relative dir" "list=greeting n " "$(grep '^list=' "$dir/a.out")"
check "A ls relative" 'ls=greeting = "hello from A" n = "42" ' "$(grep '^ls=' "$dir/a.out")"
check "A rm relative" "rm=0 exists-after-rm=1" "$(grep '^rm=' "$dir/a.out")"
check "B has its own domid" "b-distinct=yes" "$(grep '^b-distinct=' "$dir/b.out")"
check "B cannot read A's node (EACCES)" \
	"read-other=1 xenstore-read: couldn't read path /local/domain/$a/data/greeting" \
	"$(grep '^read-other=' "$dir/b.out")"
check "B cannot write A's node" \
	"write-other=1 xenstore-write: could not write path /local/domain/$a/data/evil" \
	"$(grep '^write-other=' "$dir/b.out")"
check "B cannot list A's dir (EACCES)" \
	"ls-other=1 xenstore-ls: xs_directory (/local/domain/$a/data): Permission denied" \
	"$(grep '^ls-other=' "$dir/b.out")"
check "B's relative path is its own" "own-rel=none" "$(grep '^own-rel=' "$dir/b.out")"
b=$(cat "$share/b.domid" 2>/dev/null)
check "xenstore-ls -p shows A's chmod" "perms=(n$a,r$b)" \
	"$(grep '^perms=' "$dir/a.out")"
check "B reads the node A granted it" "read-shared=0 for B" "$(grep '^read-shared=' "$dir/b.out")"
check "B still cannot write it (read only)" \
	"write-shared=1 xenstore-write: could not write path /local/domain/$a/data/shared" \
	"$(grep '^write-shared=' "$dir/b.out")"
exit $failed
