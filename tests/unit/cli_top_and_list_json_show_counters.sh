#!/bin/sh
# umx top shows each domain with xentop's column names where they exist
# (CPU(sec), CPU(%), MEM(k), NETS, NETTX(k), NETRX(k), VBDS, VBD_RD, VBD_WR)
# and umx's own (GRANTS, MAPS, PORTS, XS_NODES, XS(%)); umx list --json
# carries the same counters: a domain's store nodes grow by the nodes it
# writes, its processes' memory is counted, a vchan's grants and ports
# show on both ends while it is open.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-top
fail() { umx_fail_logs "$@"; }
command -v jq >/dev/null || fail "jq not installed (make deps)"
umxd_start "$dir"

"$UMX" run -d --name idle -- sleep 60 >/dev/null
i=$(domid idle)
# Until its sandbox has started, a domain has no process to count.
n=0
until [ "$("$UMX" list --json | jq ".[] | select(.domid == $i) | .mem_kib")" -gt 0 ]; do
	n=$((n + 1)); [ $n -lt 200 ] || fail "idle's memory never counted"; sleep 0.05
done
base=$("$UMX" list --json | jq ".[] | select(.domid == $i) | .xs_nodes")
[ "$base" -gt 0 ] || fail "a domain owns its store directory's nodes"
q=$("$UMX" list --json | jq ".[] | select(.domid == $i) | .xs_nodes_quota")
[ "$q" -gt 0 ] || fail "node quota"

# A domain that writes three nodes and waits owns three more.
"$UMX" run -d --name writer -- sh -c "\"$UMX\" xs write data/a 1 && \"$UMX\" xs write data/b 2 &&
	\"$UMX\" xs write data/c 3 && sleep 60" >/dev/null
w=$(domid writer)
n=0
until [ "$("$UMX" list --json | jq ".[] | select(.domid == $w) | .xs_nodes")" -ge $((base + 3)) ]
do
	n=$((n + 1)); [ $n -lt 200 ] || fail "writer's nodes never counted"; sleep 0.05
done

"$UMX" top -b -i 2 -d 0.2 >"$dir/top.out" || fail "umx top"
head -n1 "$dir/top.out" | tr -s ' ' '\n' >"$dir/head"
for col in NAME DOMID STATE "CPU(sec)" "CPU(%)" "MEM(k)" NETS "NETTX(k)" "NETRX(k)" VBDS \
	VBD_RD VBD_WR GRANTS MAPS PORTS XS_NODES "XS(%)"; do
	grep -qxF "$col" "$dir/head" || fail "no column $col"
done
[ "$(grep -c "^NAME " "$dir/top.out")" -eq 2 ] || fail "two tables in batch mode"
grep -q "^writer  *$w  *running " "$dir/top.out" || fail "writer's row"
# The second table has a CPU(%) over the interval.
tail -n +2 "$dir/top.out" | grep "^writer " | tail -n1 | awk '{ exit !($5 ~ /^[0-9.]+$/) }' ||
	fail "CPU(%) in the second table"
"$UMX" top -i x 2>/dev/null && fail "a bad count accepted"
"$UMX" destroy writer
"$UMX" destroy idle
echo PASS
