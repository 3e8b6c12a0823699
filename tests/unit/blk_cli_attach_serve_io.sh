#!/bin/sh
# umx blk end to end, sandboxed domains as a user runs them: a backend
# domain (`umx blk serve DISK`: opens it, becomes a domain) serves it; a frontend
# domain writes stdin to the disk (`umx blk io DEV write`), the file holds
# it; another reads it back (`io read`) and verifies it (`io verify`);
# `umx blk list` shows the vbd with its counters; a read-only disk refuses
# a write; detach removes the vbd.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-blk-cli
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"

# The disk lives outside $dir: umx's directory is hidden from domains.
disk=$(mktemp /tmp/umx-blk-cli-disk-XXXXXX)
cleanup_extra() { rm -f "$disk"; }
truncate -s 4M "$disk"
head -c 300000 /dev/urandom >"$dir/in.bin"

"$UMX" blk serve --name back "$disk" 2>"$dir/back.log" &
bg=$!
pids="$pids $bg"
back=$(domid back)

# 1. write: the frontend domain waits for its vbd; attach it once listed.
"$UMX" run --name fe1 -- "$UMX" blk io 51712 write 8192 <"$dir/in.bin" 2>"$dir/fe1.log" &
fe1=$!
pids="$pids $fe1"
f=$(domid fe1)
[ "$("$UMX" blk attach "$f" "$disk" --backend "$back")" = 51712 ] || fail "attach 1"
wait "$fe1" || fail "io write failed"
grep -q "wrote 300032 bytes at 8192" "$dir/fe1.log" || fail "io write did not report"
dd if="$disk" bs=512 skip=16 count=586 2>/dev/null | head -c 300000 | cmp - "$dir/in.bin" ||
	fail "the file does not hold what was written"
"$UMX" blk detach "$f" 51712 --backend "$back" || fail "detach 1"

# 2. read it back and verify, in one domain.
"$UMX" run --name fe2 -- sh -c '"$0" blk io 51712 read 8192 300032 &&
	"$0" blk io 51712 verify 8192 /dev/stdin <&3' "$UMX" 3<"$dir/in.bin" \
	>"$dir/out.bin" 2>"$dir/fe2.log" &
fe2=$!
pids="$pids $fe2"
f=$(domid fe2)
"$UMX" blk attach "$f" "$disk" --backend "$back" --devid 51712 >/dev/null || fail "attach 2"
# The list shows the vbd while the frontend is connected or done.
_i=0
until "$UMX" blk list | awk -v b="$back" -v f="$f" -v d="$disk" \
	'$1 == b && $2 == f && $3 == 51712 && $4 == "w" && $NF == d { ok = 1 } END { exit !ok }'; do
	_i=$((_i + 1)); [ $_i -lt 100 ] || fail "umx blk list never showed the vbd"; sleep 0.05
done
wait "$fe2" || fail "io read/verify failed"
head -c 300000 "$dir/out.bin" | cmp - "$dir/in.bin" || fail "read back differs"
grep -q "300000 bytes at 8192 match" "$dir/fe2.log" || fail "verify did not match"
"$UMX" blk detach "$f" 51712 --backend "$back" || fail "detach 2"
"$UMX" blk list | awk -v f="$f" '$2 == f { exit 1 }' || fail "detached vbd still listed"

# 3. read-only: a write is refused inside the frontend, the file unchanged.
sum=$(md5sum <"$disk")
"$UMX" run --name fe3 -- "$UMX" blk io 51712 write 0 <"$dir/in.bin" 2>"$dir/fe3.log" &
fe3=$!
pids="$pids $fe3"
f=$(domid fe3)
"$UMX" blk attach "$f" "$disk" --backend "$back" --ro >/dev/null || fail "attach 3"
if wait "$fe3"; then fail "a write to a read-only disk succeeded"; fi
grep -q "Read-only file system" "$dir/fe3.log" || fail "read-only write: no reason given"
[ "$(md5sum <"$disk")" = "$sum" ] || fail "read-only disk changed"

# The backend is still serving, and saw no protocol error.
kill -0 "$bg" 2>/dev/null || fail "blk serve died"
! grep -q "disconnected" "$dir/back.log" || fail "backend disconnected a frontend"
echo "PASS"
