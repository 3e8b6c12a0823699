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
