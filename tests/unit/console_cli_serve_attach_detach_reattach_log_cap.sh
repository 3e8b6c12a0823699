#!/bin/sh
# umx console: the console service (umx console serve, a sandboxed domain
# whose log broker stays outside) serves a domain started with umx run -d,
# whose program runs on a pty (isatty) whose other end is its console;
# typed input reaches the program and its answer comes back through an
# attached `umx console` (Ctrl-] detaches), a second attach after the
# detach works too, `umx console --log` prints everything the domain wrote,
# the log on disk ($UMX_DIR/log/NAME.log) stays capped (two files of at
# most $UMX_DOMAIN_LOG_MAX, here 256 KiB) under 600 KB of output, and the
# service lets go of a dead domain's console.
set -eu
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
fail() { umx_fail_logs "$@"; }
umx_test_dir umx-console-cli
umxd_start "$dir"
export UMX_DOMAIN_LOG_MAX=262144

"$UMX" console serve 2>"$dir/serve.log" &
pids="$pids $!"
svc=$(domid console)
i=0
until [ "$("$UMX" list | awk -v n=console '$2 == n { print $NF }')" = yes ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "the console service does not run sandboxed"; sleep 0.05
done

# The program: answers two lines, and writes 600 KB between them.
d=$("$UMX" run -d --name web -- sh -c \
	'[ -t 0 ] && [ -t 1 ] && echo "hello on a tty"; read x; echo "got $x";
	 head -c 600000 /dev/zero | tr "\0" x; echo; echo done;
	 read y; echo "second $y"; sleep 60')
[ "$(domid console)" = "$svc" ] || fail "umx run -d started a second console service"

# wait_log TEXT: until the saved output holds TEXT (60 s: a loaded machine).
wait_log() {
	i=0
	until "$UMX" console --log web 2>/dev/null | grep -q "$1"; do
		i=$((i + 1)); [ $i -lt 1200 ] || fail "console log never showed '$1'"; sleep 0.05
	done
}
wait_log "hello on a tty"

# attach ARG OUT TEXT: attach with input from a fifo; type ARG, wait for
# the program's answer TEXT on the attached console (not in the log: the
# flood that follows may rotate it out of the capped log before we look),
# then Ctrl-] (detach); the attach must end 0.
attach() {
	rm -f "$dir/in"; mkfifo "$dir/in"
	"$UMX" console web <"$dir/in" >"$2" 2>"$dir/attach.log" &
	apid=$!
	exec 3>"$dir/in"
	sleep 0.3 # let it open the pty before typing
	printf '%s\n' "$1" >&3
	i=0
	until grep -q "$3" "$2"; do
		i=$((i + 1)); [ $i -lt 1200 ] || fail "the attached console never showed '$3'"
		sleep 0.05
	done
	printf '\035' >&3
	exec 3>&-
	wait "$apid" || fail "umx console did not detach cleanly"
	grep -q "$3" "$2" || fail "the attached console did not show '$3'"
}
attach abc "$dir/out1" "got abc"
wait_log done
attach def "$dir/out2" "second def"

# The log on disk is capped: two files, each at most 256 KiB.
for f in "$dir/log/web.log" "$dir/log/web.log.1"; do
	[ -f "$f" ] || fail "no $f"
	[ "$(stat -c %s "$f")" -le 262144 ] || fail "$f is over its cap"
done
"$UMX" console --log web | grep -q "second def" || fail "--log misses the last output"
"$UMX" console --log "$d" | grep -q "second def" || fail "--log by domid misses it"

# The domain's death ends its console; the log stays (found by name).
"$UMX" destroy web
i=0
until grep -q "dom$d/0 gone" "$dir/serve.log"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "the service never let go of the dead domain's console"
	sleep 0.05
done
"$UMX" console --log web | grep -q "second def" || fail "the log went with the domain"
echo "PASS"
