#!/bin/sh
# Debian's unmodified xenstore-utils against umxd's store: exact output of
# read, write, ls, list, rm, chmod, exists and watch over XENSTORED_PATH.
# Server: "$UMXD" -f --dir DIR, socket DIR/xenstored (or, for debugging,
# UMX_XS_SERVER=/path/to/standalone which is run as "$UMX_XS_SERVER SOCKET").
set -u
for t in xenstore-read xenstore-write xenstore-ls xenstore-list xenstore-rm \
	xenstore-chmod xenstore-exists xenstore-watch; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed (xenstore-utils)"; exit 77; }
done
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
sock=$dir/xenstored
if [ -n "${UMX_XS_SERVER:-}" ]; then
	"$UMX_XS_SERVER" "$sock" 2>"$dir/server.log" &
else
	[ -x "${UMXD:-}" ] || { echo "SKIP: UMXD not set"; exit 77; }
	"$UMXD" -f --dir "$dir" 2>"$dir/server.log" &
fi
pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
export XENSTORED_PATH="$sock"
# The socket must answer a store request (umxd creates it before serving).
if ! timeout 5 xenstore-exists /local/domain/0 2>/dev/null; then
	echo "SKIP: no XenStore served at $sock (umxd -f --dir DIR must serve DIR/xenstored)"
	cat "$dir/server.log"
	exit 77
fi

fail=0
check() { # name expected actual
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1"; echo "  expected: $(printf '%s' "$2" | od -c | head -5)"
		echo "  actual:   $(printf '%s' "$3" | od -c | head -5)"; fail=1
	else
		echo "ok: $1"
	fi
}
nl='
'
xenstore-write /test/a 1 /test/b/c "hello world" || { echo "FAIL: write"; fail=1; }
check "read one" "1" "$(xenstore-read /test/a)"
check "read two" "1${nl}hello world" "$(xenstore-read /test/a /test/b/c)"
check "read prefixed" "/test/b/c: hello world" "$(xenstore-read -p /test/b/c)"
check "read implicit parent" "" "$(xenstore-read /test/b)"
out=$(xenstore-read /test/none 2>&1); rc=$?
check "read missing: status" 1 "$rc"
check "read missing: message" "xenstore-read: couldn't read path /test/none" "$out"
xenstore-exists /test/a; check "exists yes" 0 $?
xenstore-exists /test/nope; check "exists no" 1 $?
check "list" "a${nl}b" "$(xenstore-list /test)"
check "ls" "a = \"1\"${nl}b = \"\"${nl} c = \"hello world\"" "$(xenstore-ls /test)"
check "ls -f" "/test/a = \"1\"${nl}/test/b = \"\"${nl}/test/b/c = \"hello world\"" \
	"$(xenstore-ls -f /test)"
xenstore-write /test/esc "$(printf 'tab\there')"
check "ls escapes" "/test/esc = \"tab\\there\"" "$(xenstore-ls -f /test | grep esc)"
xenstore-rm /test/esc

# xenstore-ls pads with dots to a column: compare without the padding.
nopad() { sed 's/ [. ]*(/ (/'; }
xenstore-chmod /test/a n1 r2
check "chmod + ls -p" "a = \"1\" (n1,r2)${nl}b = \"\" (n0)${nl} c = \"hello world\" (n0)" \
	"$(xenstore-ls -p /test | nopad)"
xenstore-chmod -r /test/b b5
check "chmod -r" "/test/b/c = \"hello world\" (b5)" "$(xenstore-ls -f -p /test/b | nopad)"
out=$(xenstore-chmod /test/none n0 2>&1); check "chmod missing: status" 1 $?

xenstore-watch -n 3 /test/w >"$dir/watch.out" 2>&1 &
wpid=$!
i=0
while [ ! -s "$dir/watch.out" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
xenstore-write /test/w/x 1
xenstore-write /test/unrelated 1
xenstore-rm /test/w
i=0
while kill -0 $wpid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill $wpid 2>/dev/null
check "watch" "/test/w${nl}/test/w/x${nl}/test/w" "$(cat "$dir/watch.out")"

xenstore-rm /test/b
xenstore-exists /test/b/c; check "rm subtree" 1 $?
xenstore-rm /test/b; check "rm missing with parent" 0 $?
xenstore-rm /test/x/y 2>/dev/null; check "rm missing parent" 1 $?
xenstore-rm /test/unrelated
xenstore-rm -t /test/a
xenstore-exists /test; check "rm -t" 1 $?
check "dom0 relative path" "0" "$(xenstore-read domid)"
exit $fail
