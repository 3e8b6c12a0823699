#!/bin/sh
# A vchan wait that lasts says what it waits for: `umx vchan client` names
# the server domain and the path whose offer it waits for, and when none
# comes, fails saying so (not "No such file or directory"); `umx vchan
# server --wait` names the client domain and the path it offers, and its
# timeout names them too.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-vchan-wait
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"

domain_bg idle sleep 300
p=$(domid idle)

# 1. The client: nobody offers at the path.
rc=0
"$UMX" run --name vcli -- "$UMX" vchan client "/local/domain/$p/data/vchan/none" "$p" \
	--wait 2 </dev/null >/dev/null 2>"$dir/cli.err" || rc=$?
[ "$rc" -eq 1 ] || fail "client exited $rc, not 1"
grep -q "waiting up to 2 s for domain $p to offer a vchan at /local/domain/$p/data/vchan/none" \
	"$dir/cli.err" || fail "the client did not say what it waits for"
grep -q "domain $p offered no vchan at /local/domain/$p/data/vchan/none within 2 s" \
	"$dir/cli.err" || fail "the client's failure does not name the missing peer"
! grep -q "No such file or directory\|Permission denied" "$dir/cli.err" ||
	fail "the client reported a bare errno"

# 2. The server: its client never connects.
rc=0
"$UMX" run --name vsrv -- "$UMX" vchan server -k data/vchan/late "$p" --wait 2 </dev/null \
	2>"$dir/srv.err" || rc=$?
[ "$rc" -eq 1 ] || fail "server exited $rc, not 1"
grep -q "waiting up to 2 s for domain $p to connect to data/vchan/late" "$dir/srv.err" ||
	fail "the server did not say what it waits for"
grep -q "client domain $p did not connect to data/vchan/late within 2 s" "$dir/srv.err" ||
	fail "the server's timeout does not name the client and path"

# 3. --wait takes a number.
"$UMX" vchan client /x 1 --wait soon 2>"$dir/arg.err" && fail "--wait soon accepted"
grep -q "\-\-wait 'soon': takes 0 to 86400 seconds" "$dir/arg.err" || fail "--wait: $(cat "$dir/arg.err")"
echo "PASS"
