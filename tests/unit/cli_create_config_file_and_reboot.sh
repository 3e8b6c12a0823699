#!/bin/sh
# umx create starts a domain from a config file (umx.cfg(5)) and returns
# its domid once it runs; KEY=VALUE overrides a line; bad lines are named
# by file and line; consoles are refused until they exist;
# umx reboot restarts a domain under the same name with a new domid.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-create
fail() { umx_fail_logs "$@"; }
out="$dir/out"
umxd_start "$dir"

cat >"$dir/a.cfg" <<'CFG'
# a domain that says hello
name = "cfgdom"
command = [ "sh", "-c", "echo hello $FOO from $UMX_DOMID; exec sleep 60" ]
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

check_bad() { # LINE EXPECTED
	printf 'command = [ "true" ]\n%s\n' "$1" >"$dir/bad.cfg"
	"$UMX" create "$dir/bad.cfg" 2>"$out" && fail "accepted: $1"
	grep -q "bad.cfg:2: $2" "$out" || fail "'$1': $(cat "$out")"
}
check_bad 'disks = [ "img" ]' "disk 'img': no backend=DOMAIN"
check_bad 'consoles = [ "pty" ]' "consoles: reserved for the console device, not read"
check_bad 'nonsense = 1' "unknown key 'nonsense'"
check_bad 'grant_frames = 99' "grant_frames: '99' is not 1 to 64"
check_bad 'command = "x' "command: a string without its closing quote"
check_bad 'name = "a b"' "name 'a b' contains a space"

"$UMX" reboot -w cfgdom >"$out" || fail "reboot: $(cat "$out")"
i=0
until new=$("$UMX" domid cfgdom 2>/dev/null) && [ "$new" != "$id" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "cfgdom did not come back after reboot"; sleep 0.05
done
grep -q "domain $id rebooting" "$dir/log/cfgdom.log" || fail "the launcher did not log the reboot"
"$UMX" daemon stop >"$out" || fail "stop"
grep -q "2 domains ended with it" "$out" || fail "stop: $(cat "$out")"
wait "$daemon" || true
daemon=
echo "create and reboot: ok"
