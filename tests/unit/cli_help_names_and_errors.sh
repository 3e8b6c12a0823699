#!/bin/sh
# Every command's --help prints usage and exits 0 without touching umxd;
# names follow their stated rules (empty, all digits, spaces, too long,
# duplicates refused, with the rule in the error); commands take a domid
# or a name; domid/domname translate; nothing typed is echoed unbounded;
# net detach of a missing vif and attach to a domain with no backend fail.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-names
fail() { umx_fail_logs "$@"; }
out="$dir/out"

# No umxd runs yet: --help must not need one.
for c in daemon info log run create list domid domname shutdown reboot pause unpause \
	destroy wait xs net blk vchan console; do
	rc=0; "$UMX" "$c" --help >"$out" 2>"$dir/err" || rc=$?
	[ $rc -eq 0 ] || fail "umx $c --help exits $rc: $(cat "$dir/err")"
	grep -q "usage: umx" "$out" || fail "umx $c --help prints no usage"
	[ ! -s "$dir/err" ] || fail "umx $c --help wrote to stderr: $(cat "$dir/err")"
done
for a in "xs read --help" "xs ls --help" "net list --help" "destroy --help" "wait -h"; do
	# shellcheck disable=SC2086
	"$UMX" $a >"$out" 2>&1 || fail "umx $a fails"
	grep -q "usage: umx" "$out" || fail "umx $a prints no usage"
done

umxd_start "$dir"
long=$(printf '%064d' 0 | tr 0 x)
huge=$(printf '%04000d' 0 | tr 0 y)
check_name() { # NAME EXPECTED-TEXT
	rc=0; "$UMX" run --name "$1" -- true 2>"$out" || rc=$?
	[ $rc -eq 2 ] || fail "name '$1' accepted (rc $rc)"
	grep -q "$2" "$out" || fail "name '$1': no '$2' in: $(cat "$out")"
	grep -q "1 to 63 letters, digits" "$out" || fail "name '$1': the rules are not stated"
	[ "$(wc -l <"$out")" -eq 1 ] || fail "name '$1': error is not one line"
}
check_name "" "is empty"
check_name 123 "is all digits"
check_name "a b" "contains a space"
check_name "$long" "(64 bytes) is too long"
check_name "$huge" "is too long"
[ "$(wc -c <"$out")" -lt 400 ] || fail "a 4000-byte name is echoed whole"

id=$("$UMX" run -d --name web -- sleep 60) || fail "run -d"
rc=0; "$UMX" run --name web -- true 2>"$out" || rc=$?
[ $rc -ne 0 ] || fail "a duplicate name was accepted"
grep -q "name 'web' is taken" "$out" || fail "duplicate: $(cat "$out")"
[ "$("$UMX" domid web)" = "$id" ] || fail "domid web"
[ "$("$UMX" domname "$id")" = web ] || fail "domname $id"
"$UMX" domid nosuch 2>"$out" && fail "domid of an unknown name"
grep -q "no running domain is named 'nosuch'" "$out" || fail "unknown name message"
"$UMX" destroy "$huge" 2>"$out" && fail "destroy of a 4000-byte name"
[ "$(wc -c <"$out")" -lt 400 ] || fail "destroy echoes a 4000-byte argument whole"
"$UMX" xs read "/$huge" 2>"$out" && fail "xs read of a 4000-byte path"
[ "$(wc -c <"$out")" -lt 400 ] || fail "xs read echoes a 4000-byte path whole"
"$UMX" xs chmod /local/domain n0 x5 2>"$out" && fail "chmod with a bad permission"
grep -q "permission 'x5' is not \[nrwb\]DOMID" "$out" || fail "chmod message: $(cat "$out")"

# pause and unpause by name: every process stops and continues.
"$UMX" pause web || fail "pause"
"$UMX" list | grep -Eq "^$id +web +[0-9]+ +paused" || fail "list does not say paused"
"$UMX" unpause web || fail "unpause"
"$UMX" list | grep -Eq "^$id +web +[0-9]+ +running" || fail "list does not say running"

# shutdown of a program that does not watch control/shutdown: SIGTERM.
"$UMX" shutdown -w -t 20 web >"$out" || fail "shutdown -w: $(cat "$out")"
grep -q "sent SIGTERM" "$out" || fail "shutdown says how it asked"
rc=0; "$UMX" wait "$id" >"$out" || rc=$?
[ $rc -eq 143 ] || fail "after shutdown, wait says $rc: $(cat "$out")"

# shutdown through Xen's protocol, to a program that watches for it.
id=$("$UMX" run -d --name pv -- sh -c '
	umx=$1
	"$umx" xs write control/feature-poweroff 1 || exit 9
	# The program ends at the acknowledgement, and with it the domain
	# (its watcher included).
	mkfifo /tmp/events
	"$umx" xs watch control/shutdown >/tmp/events &
	while read -r _; do
		v=$("$umx" xs read control/shutdown 2>/dev/null) || continue
		[ "$v" = poweroff ] && { "$umx" xs write control/shutdown ""; exit 0; }
	done </tmp/events
	exit 8' sh "$UMX") || fail "run -d pv"
i=0
until [ "$("$UMX" xs read "/local/domain/$id/control/feature-poweroff" 2>/dev/null)" = 1 ]; do
	i=$((i + 1)); [ $i -lt 400 ] || fail "pv never advertised feature-poweroff"; sleep 0.05
done
"$UMX" shutdown -w -t 20 pv >"$out" || fail "shutdown pv: $(cat "$out")"
grep -q "through control/shutdown" "$out" || fail "pv shutdown did not use the store"
rc=0; "$UMX" wait "$id" >"$out" || rc=$?
[ $rc -eq 0 ] || fail "pv should exit 0 after acknowledging, wait says $rc"

# Network state: nothing to detach is an error; no backend is a timeout.
id=$("$UMX" run -d --name nic -- sleep 60) || fail "run -d nic"
nb=$("$UMX" run -d --name nobackend -- sleep 60) || fail "run -d nobackend"
"$UMX" net detach nic nobackend 0 2>"$out" && fail "detach of a vif that does not exist"
grep -q "has no vif 0" "$out" || fail "detach message: $(cat "$out")"
"$UMX" net attach nic nobackend --timeout 1 2>"$out" && fail "attach with no backend"
grep -q "domain $nb runs no vif backend" "$out" || fail "attach message: $(cat "$out")"
nic=$("$UMX" domid nic)
"$UMX" xs read "/local/domain/$nb/backend/vif/$nic/0/state" >/dev/null 2>&1 &&
	fail "a failed attach left its backend nodes behind"
"$UMX" xs read "/local/domain/$nic/device/vif/0/state" >/dev/null 2>&1 &&
	fail "a failed attach left its frontend nodes behind"
"$UMX" destroy nic && "$UMX" destroy nobackend || fail "destroy by name"
echo "help, names and errors: ok"
