#!/bin/sh
# A path umx run hands a sandboxed domain that the domain cannot see (a
# build tree under /tmp, whose /tmp is the domain's own; umx's runtime
# directory) makes umx run fail at once, in one line naming the path and
# the reason: an executable named by an argument, the working directory,
# an LD_LIBRARY_PATH entry. A bind of the path, or --no-sandbox, runs; so
# does the program itself under /tmp (bound in), with -d too.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-hidden
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"

mkdir "$dir/build"
printf '#!/bin/sh\necho ran\n' >"$dir/build/prog"
chmod 755 "$dir" "$dir/build" "$dir/build/prog"

# expect_hidden WHAT PATH CMD...: CMD fails (1) before the domain runs, and
# its error names PATH, /tmp and the way out.
expect_hidden() {
	what=$1 path=$2
	shift 2
	rc=0
	"$@" >"$dir/out.log" 2>"$dir/err.log" || rc=$?
	[ $rc = 1 ] || fail "$what: umx run should fail (1), got $rc"
	grep -q "$path is under /tmp, which a sandboxed domain does not see" "$dir/err.log" ||
		fail "$what: the error does not name $path and why: $(cat "$dir/err.log")"
	grep -q -- "--ro-bind" "$dir/err.log" || fail "$what: the error gives no way out"
	! grep -q ran "$dir/out.log" || fail "$what: the program ran"
}
# shellcheck disable=SC2016
expect_hidden argument "$dir/build/prog" "$UMX" run -- sh -c '"$0"' "$dir/build/prog"
expect_hidden cwd "$dir/build" sh -c 'cd "$1" && exec "$2" run -- true' sh "$dir/build" "$UMX"
expect_hidden LD_LIBRARY_PATH "$dir/build" \
	env LD_LIBRARY_PATH="/usr/lib:$dir/build" "$UMX" run -- true

# Made visible, the same commands run.
# shellcheck disable=SC2016
out=$("$UMX" run --ro-bind "$dir/build" -- sh -c '"$0"' "$dir/build/prog") ||
	fail "with --ro-bind the program should run"
[ "$out" = ran ] || fail "with --ro-bind: '$out'"
# shellcheck disable=SC2016
out=$("$UMX" run --no-sandbox -- sh -c '"$0"' "$dir/build/prog") ||
	fail "--no-sandbox should run"
[ "$out" = ran ] || fail "--no-sandbox: '$out'"
# A program under /tmp runs, bound in at its own path, in the foreground
# and behind a detached domain's console alike.
out=$("$UMX" run -- "$dir/build/prog") || fail "a program under /tmp should run"
[ "$out" = ran ] || fail "a program under /tmp: '$out'"
"$UMX" run -d --name det -- "$dir/build/prog" >/dev/null || fail "run -d of a program under /tmp"
i=0
until grep -q ran "$dir/log/det.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 400 ] || fail "run -d: the program under /tmp did not run"; sleep 0.05
done
echo "PASS"
