#!/bin/sh
# A detached domain's log is capped: past the cap ($UMX_DOMAIN_LOG_MAX,
# here 64 KiB) NAME.log becomes NAME.log.1 and a new NAME.log starts, so
# a chatty domain keeps at most twice the cap on disk; its last line is in
# NAME.log; nothing of the log's copier is left once the domain ends.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-log-cap
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"
export UMX_DOMAIN_LOG_MAX=65536

# 1 MiB of numbered lines, then a last one.
id=$("$UMX" run -d --name chat -- sh -c \
	'i=0; while [ $i -lt 16384 ]; do echo "line $i of a chatty domain, padded to 64 b"; i=$((i+1)); done; echo LAST') ||
	fail "run -d"
rc=0
"$UMX" wait chat >/dev/null 2>&1 || rc=$?
log="$dir/log/chat.log"
i=0
until grep -q LAST "$log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "the last line never reached chat.log"; sleep 0.05
done
[ -f "$log.1" ] || fail "no rotation: $(ls -l "$dir/log")"
[ ! -e "$log.2" ] || fail "more than one rotation kept"
size=$(stat -c %s "$log")
size1=$(stat -c %s "$log.1")
[ "$size" -le 65536 ] && [ "$size1" -le 65536 ] ||
	fail "over the cap: chat.log $size, chat.log.1 $size1 bytes"
[ "$((size + size1))" -gt 32768 ] || fail "too little kept: $size + $size1 bytes"
# The kept lines are the latest, in order: .1 ends where chat.log starts.
last1=$(grep -o 'line [0-9]*' "$log.1" | tail -n1 | cut -d' ' -f2)
first=$(grep -o 'line [0-9]*' "$log" | head -n1 | cut -d' ' -f2)
[ -n "$first" ] && [ "$first" -eq $((last1 + 1)) ] ||
	fail "the rotation lost or reordered lines ($last1 then $first)"
# The copier ends with its writers: no process holds the log open.
i=0
while find /proc/[0-9]*/fd -lname "$log*" 2>/dev/null | grep -q .; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "the log copier outlived the domain"; sleep 0.05
done
echo "PASS (chat.log $size, chat.log.1 $size1 bytes, domain $id)"
