#!/bin/sh
# When the kernel refuses the sandbox's namespaces, umx run fails in one
# line that names the setting to change (here user.max_user_namespaces and
# user.max_net_namespaces at 0, set in a user namespace of the test's own,
# where those limits are private), and --no-sandbox still runs.
set -eu
command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) not installed"; exit 77; }
unshare --user --map-root-user true 2>/dev/null ||
	{ echo "SKIP: cannot create a user namespace to set limits in"; exit 77; }
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-refused
fail() { echo "FAIL: $*"; cat "$dir"/*.out 2>/dev/null; exit 1; }

# umxd and umx run in the same private user namespace (umxd refuses
# toolstack clients from other namespaces), with one limit at 0.
# shellcheck disable=SC2016
inner='
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
fail() { echo "FAIL: $*"; exit 1; }
echo 0 >"/proc/sys/user/max_$1_namespaces"
umxd_start "$2"
rc=0; "$UMX" run -- true 2>"$2/$1.out" || rc=$?
[ $rc = 1 ] || fail "umx run should fail (1), got $rc"
rc=0; "$UMX" run --no-sandbox -- sh -c "exit 4" || rc=$?
[ $rc = 4 ] || fail "--no-sandbox should still run (4), got $rc"
kill "$daemon"; wait "$daemon" || true
'
for kind in user net; do
	unshare --user --map-root-user sh -c "$inner" sh "$kind" "$dir" >"$dir/inner.out" 2>&1 ||
		fail "$kind: $(cat "$dir/inner.out")"
	[ "$(wc -l <"$dir/$kind.out")" = 1 ] || fail "$kind: not one line"
	grep -q "user.max_${kind}_namespaces = 0" "$dir/$kind.out" ||
		fail "$kind: the setting is not named"
	grep -q "umx run: cannot start domain: " "$dir/$kind.out" || fail "$kind: not umx run's error"
	cat "$dir/$kind.out"
done
echo "refusals name the setting: ok"
