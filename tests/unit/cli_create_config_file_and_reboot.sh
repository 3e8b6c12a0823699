#!/bin/sh
# umx create starts a domain from a config file (umx.cfg(5)) and returns
# its domid once it runs, its output on its console (a tty) and in
# NAME.log; console = "none" gives it no console (stdout to NAME.log, not a
# tty); KEY=VALUE overrides a line; bad lines and unknown keys are named by
# file and line (unknown keys with the list of keys); umx reboot restarts
# a domain under the same name with a new domid.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-create
fail() { umx_fail_logs "$@"; }
out="$dir/out"
umxd_start "$dir"

cat >"$dir/a.cfg" <<'CFG'
# a domain that says hello
name = "cfgdom"
command = [ "sh", "-c", "[ -t 1 ] && echo hello $FOO from $UMX_DOMID; exec sleep 60" ]
environment = [ "FOO=bar" ]   # a comment after a value
sandbox = 1
grant_frames = 8
CFG
id=$("$UMX" create "$dir/a.cfg") || fail "create"
[ "$("$UMX" domname "$id")" = cfgdom ] || fail "create named it $("$UMX" domname "$id")"
id2=$("$UMX" create "$dir/a.cfg" name=other) || fail "create with an override"
[ "$("$UMX" domid other)" = "$id2" ] || fail "the override did not name it"
i=0
until grep -q "hello bar from $id" "$dir/log/cfgdom.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "no hello in the domain's log"; sleep 0.05
done

# console = "none": stdout is the log file's pipe, not a tty.
cat >"$dir/plain.cfg" <<'CFG'
name = "plain"
command = [ "sh", "-c", "[ -t 1 ] || echo plain stdout; exec sleep 60" ]
console = "none"
CFG
"$UMX" create "$dir/plain.cfg" >/dev/null || fail "create with console = none"
i=0
until grep -q "plain stdout" "$dir/log/plain.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "console = none: no output in plain.log"; sleep 0.05
done
[ ! -e "$dir/log/plain.launcher.log" ] || fail "console = none has a separate launcher log"
"$UMX" destroy plain

check_bad() { # LINE EXPECTED
	printf 'command = [ "true" ]\n%s\n' "$1" >"$dir/bad.cfg"
	"$UMX" create "$dir/bad.cfg" 2>"$out" && fail "accepted: $1"
	grep -q "bad.cfg:2: $2" "$out" || fail "'$1': $(cat "$out")"
}
check_bad 'disks = [ "img" ]' "disk 'img': no backend=DOMAIN"
check_bad 'consoles = [ "pty" ]' "consoles: a domain has one console here"
check_bad 'console = "serial"' "console: 'serial' is not \"pty\" or \"none\""
check_bad 'nonsense = 1' "unknown key 'nonsense': the keys are name, command, .*console"
check_bad 'network = [ "sw,bogus=1" ]' "network"
check_bad 'network = [ "host", "sw" ]' "network: \"host\" stands alone"
check_bad 'grant_frames = 99' "grant_frames: '99' is not 1 to 64"
check_bad 'command = "x' "command: a string without its closing quote"
check_bad 'name = "a b"' "name 'a b' contains a space"

"$UMX" reboot -w cfgdom >"$out" || fail "reboot: $(cat "$out")"
i=0
until new=$("$UMX" domid cfgdom 2>/dev/null) && [ "$new" != "$id" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "cfgdom did not come back after reboot"; sleep 0.05
done
grep -q "domain $id rebooting" "$dir/log/cfgdom.launcher.log" ||
	fail "the launcher did not log the reboot"
"$UMX" daemon stop >"$out" || fail "stop"
grep -q "3 domains ended with it" "$out" || fail "stop (cfgdom, other, the console service): $(cat "$out")"
wait "$daemon" || true
daemon=
echo "create and reboot: ok"
