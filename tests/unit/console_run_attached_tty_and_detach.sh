#!/bin/sh
# umx run -c, and a foreground umx run at a terminal, attach the terminal
# to the domain's console at once (xl create -c): the program runs on a
# pty in the domain (isatty, a shell works), what is typed reaches it, and
# umx run returns its status when the domain ends; Ctrl-] detaches with
# status 0, the domain goes on, and umx console attaches to it again.
# The terminal is script(1)'s pty.
set -eu
command -v script >/dev/null || { echo "SKIP: script (bsdutils) not installed"; exit 77; }
. "$UMX_SOURCE_DIR/tests/harness/umxd.sh"
umx_test_dir umx-console-tty
fail() { umx_fail_logs "$@"; }
umxd_start "$dir"

# at_terminal OUT CMD: run CMD on script's pty with input from the fifo
# $dir/in (fd 3 here); its pid in $spid.
at_terminal() {
	rm -f "$dir/in"; mkfifo "$dir/in"
	script -qfec "$2" /dev/null <"$dir/in" >"$1" 2>&1 &
	spid=$!
	exec 3>"$dir/in"
}
# wait_out FILE TEXT (60 s: a loaded machine)
wait_out() {
	i=0
	until grep -q "$2" "$1"; do
		i=$((i + 1)); [ $i -lt 1200 ] || fail "never saw '$2' in $1: $(cat "$1")"; sleep 0.05
	done
}

# A shell with -c: a tty, arithmetic, its exit status.
at_terminal "$dir/sh1.out" "$UMX run -c --name sh1 -- /bin/sh"
printf 'echo sum $((2+3)); [ -t 0 ] && [ -t 1 ] && echo on-a-tty; exit 5\n' >&3
rc=0; wait "$spid" || rc=$?
exec 3>&-
[ $rc = 5 ] || fail "umx run -c should return the shell's 5, got $rc: $(cat "$dir/sh1.out")"
grep -q "sum 5" "$dir/sh1.out" || fail "-c: the shell's answer is missing"
grep -q "on-a-tty" "$dir/sh1.out" || fail "-c: the program is not on a tty"

# The same without -c: a terminal on stdin and stdout means -c.
at_terminal "$dir/sh2.out" "$UMX run --name sh2 -- /bin/sh"
printf '[ -t 0 ] && echo tty-again; exit 7\n' >&3
rc=0; wait "$spid" || rc=$?
exec 3>&-
[ $rc = 7 ] || fail "a foreground run at a terminal should return 7, got $rc"
grep -q "tty-again" "$dir/sh2.out" || fail "a foreground run at a terminal has no console"

# Ctrl-] detaches: status 0, the domain goes on; umx console attaches again.
at_terminal "$dir/d1.out" "$UMX run -c --name d1 -- sh -c 'echo up; read x; echo got \$x; sleep 60'"
wait_out "$dir/d1.out" up
printf '\035' >&3
rc=0; wait "$spid" || rc=$?
exec 3>&-
[ $rc = 0 ] || fail "Ctrl-] should detach with 0, got $rc"
[ "$("$UMX" list | awk '$2 == "d1" { print $4 }')" = running ] || fail "d1 did not go on"
rm -f "$dir/in"; mkfifo "$dir/in"
"$UMX" console d1 <"$dir/in" >"$dir/d1b.out" 2>&1 &
apid=$!
exec 3>"$dir/in"
sleep 0.3 # let it open the pty before typing
printf 'abc\n' >&3
wait_out "$dir/d1b.out" "got abc"
printf '\035' >&3
exec 3>&-
wait "$apid" || fail "umx console did not detach cleanly"
"$UMX" destroy d1
echo "PASS"
