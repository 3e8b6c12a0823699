# Shared by the shell tests (. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"):
# a private umxd and domain lookups. Needs $UMXD, $UMX and a fail function.
#
# umxd_start DIR: umxd in DIR (exported as UMX_DIR), its pid in $daemon, its
# log in DIR/umxd.log; returns once `umx daemon status` answers (10 s).
umxd_start() {
	export UMX_DIR="$1"
	"$UMXD" -f -d "$1" 2>"$1/umxd.log" &
	daemon=$!
	_i=0
	until "$UMX" daemon status >/dev/null 2>&1; do
		_i=$((_i + 1)); [ $_i -lt 200 ] || fail "umxd did not come up"; sleep 0.05
	done
}

# domid NAME: print the id of the running domain NAME once listed (10 s).
domid() {
	_i=0
	until _id=$("$UMX" list | awk -v n="$1" '$2 == n { print $1 }') && [ -n "$_id" ]; do
		_i=$((_i + 1)); [ $_i -lt 200 ] || fail "domain $1 never listed"; sleep 0.05
	done
	echo "$_id"
}

# umx_test_dir PREFIX: a fresh $dir (/tmp/PREFIX-XXXXXX, exported as
# UMX_DIR) and an EXIT trap that kills and reaps every pid in $pids, then
# umxd ($daemon), runs cleanup_extra if the test defined it (a namespace to
# delete, say), and removes $dir, so that a failing test leaves nothing.
umx_test_dir() {
	dir=$(mktemp -d "/tmp/$1-XXXXXX")
	export UMX_DIR="$dir"
	pids=""
	daemon=
	trap umx_test_cleanup EXIT
}

umx_test_cleanup() {
	for _p in $pids; do kill "$_p" 2>/dev/null || true; done
	for _p in $pids; do wait "$_p" 2>/dev/null || true; done
	[ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	command -v cleanup_extra >/dev/null 2>&1 && cleanup_extra
	rm -rf "$dir"
}

# umx_fail_logs MESSAGE: print it and every $dir/*.log, then exit 1 (the
# fail function of the tests whose domains log there).
umx_fail_logs() {
	echo "FAIL: $*"
	for _f in "$dir"/*.log; do echo "--- $_f"; cat "$_f"; done
	exit 1
}

# domain_bg NAME CMD...: run CMD as domain NAME in the background, stderr to
# $dir/NAME.log; its pid is added to $pids and left in $bg.
domain_bg() {
	domain_bg_with "" "$@"
}

# domain_bg_with "OPTIONS" NAME CMD...: the same with `umx run` OPTIONS
# (word-split), e.g. "--net host" for slirp, which needs the host network.
domain_bg_with() {
	_o=$1 _n=$2
	shift 2
	# shellcheck disable=SC2086
	"$UMX" run $_o --name "$_n" -- "$@" 2>"$dir/$_n.log" &
	bg=$!
	pids="$pids $bg"
}

# The helpers below run the device programs from $bin (the build's tools
# directory), which the test sets.

# vif_attach NAME: vif 0 of domain NAME on the switch domain $sw.
vif_attach() {
	"$UMX" net attach "$(domid "$1")" "$sw" --handle 0 >/dev/null || fail "attach $1"
}

# switch_start: the switch domain (umx net switch), its domid in $sw.
switch_start() {
	domain_bg switch "$UMX" net switch
	sw=$(domid switch)
}

# tap_start NS ADDR: the TAP bridge domain on the switch, its umx0 in
# namespace NS (once it appears, 5 s) with ADDR, up; its pid in $tap (for
# the test's liveness checks).
tap_start() {
	# The bridge makes its TAP device in a host network namespace: that
	# takes the host's CAP_NET_ADMIN, which no sandboxed domain has.
	domain_bg_with --no-sandbox tap "$bin/tap/umx-tap" --netns "$1" --dev umx0
	tap=$bg
	vif_attach tap
	_i=0
	until ip -n "$1" link show umx0 >/dev/null 2>&1; do
		_i=$((_i + 1)); [ $_i -lt 100 ] || fail "umx0 never appeared in $1"; sleep 0.05
	done
	ip -n "$1" addr add "$2" dev umx0
	ip -n "$1" link set umx0 up
}
