#!/bin/bash
# make soak: a chaos campaign against one umxd (docs/RELIABILITY.md).
#   scripts/soak.sh BUILD_DIR [SECONDS]      (SOAK_SECONDS, default 600)
# Workloads, each in its own loop of fresh domains:
#   vchan   VCHAN_PAIRS pairs, each streaming a random file server -> client,
#           the client's output checked with sha256;
#   net     a switch, an lwIP web server and a stream of lwIP clients each
#           fetching /bytes/N with the pattern checked (the whole trio is
#           restarted when the switch or the server is killed); every other
#           client is curl in a Linux-stack domain (`umx run --net`, its
#           body checked on the host) unless LINUX_NET=0;
#   store   STORE_CLIENTS domains of umx_store_churn: transactions, watches,
#           read-backs;
#   blk     BLK_LOOPS (default 1; 0: none) block backends (`umx blk serve`
#           on a disk file) and a stream of frontend domains, each writing
#           BLK_KIB (1024) KiB of fresh random data at its slot of the disk
#           and verifying it from inside, then checked again from the host's
#           side of the file (the backend is restarted when it is killed).
# A killer destroys a random domain every 0.3-2 s. Each finished transfer
# is one of: verified (exit 0, checked), interrupted and reported (non-zero
# exit with a message), killed (its own domain was the victim), or
# WRONGLY REPORTED SUCCESS (exit 0, check failed: must stay 0). At the end
# every loop stops, and umxd's descriptors, memory and domains, leftover
# processes and store nodes are measured.
set -u
B=${1:?usage: scripts/soak.sh BUILD_DIR [SECONDS]}
SECS=${2:-${SOAK_SECONDS:-600}}
VCHAN_PAIRS=${VCHAN_PAIRS:-3}
STORE_CLIENTS=${STORE_CLIENTS:-2}
VCHAN_MIB=${VCHAN_MIB:-8}
BLK_LOOPS=${BLK_LOOPS:-1}
BLK_KIB=${BLK_KIB:-1024}
BLK_SLOTS=8
# LINUX_NET=0: lwIP clients only. Otherwise every other net client is curl
# in a Linux-stack domain (umx run --net), when this machine can.
LINUX_NET=${LINUX_NET:-1}
B=$(cd "$B" && pwd)
UMX=$B/tools/umx
UMXD=$B/daemon/umxd
HTTPD=$B/tools/lwip/umx-lwip-httpd
GET=$B/tools/lwip/umx-lwip-get
CHURN=$B/tests/umx_store_churn
for f in "$UMX" "$UMXD" "$HTTPD" "$GET" "$CHURN"; do
	[ -x "$f" ] || { echo "soak: $f missing (build $B first)"; exit 2; }
done

if [ "$LINUX_NET" != 0 ]; then
	if [ -c /dev/net/tun ] && command -v curl >/dev/null && command -v ip >/dev/null; then
		LINUX_NET=1
	else
		echo "soak: no Linux-stack clients (needs /dev/net/tun, curl and ip)"
		LINUX_NET=
	fi
else
	LINUX_NET=
fi
WORKLOADS="vchan net${LINUX_NET:+ linux-net} store blk"
sum_of() { # KIND: the total of KIND over every workload
	t=0
	for w in $WORKLOADS; do t=$((t + $(n_of "$w.$1"))); done
	echo $t
}

dir=$(mktemp -d /tmp/umx-soak-XXXXXX)
# The block loops' disk, outside umx's directory (hidden from domains).
disk=$(mktemp /tmp/umx-soak-disk-XXXXXX)
truncate -s $((BLK_SLOTS * BLK_KIB))K "$disk"
export UMX_DIR=$dir
mkdir -p "$dir/c" "$dir/w"
daemon=
count() { echo x >>"$dir/c/$1"; }
n_of() { [ -f "$dir/c/$1" ] && wc -l <"$dir/c/$1" || echo 0; }
stopping() { [ -e "$dir/stop" ]; }

cleanup() {
	touch "$dir/stop"
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
	rm -f "$disk"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$UMXD" -f -d "$dir" 2>"$dir/umxd.log" &
daemon=$!
for _ in $(seq 200); do "$UMX" daemon status >/dev/null 2>&1 && break; sleep 0.05; done
"$UMX" daemon status >/dev/null 2>&1 || { echo "soak: umxd did not start"; exit 1; }

# domid NAME: the running domain's id, or nothing after 10 s.
domid() {
	for _ in $(seq 200); do
		id=$("$UMX" list 2>/dev/null | awk -v n="$1" '$2 == n { print $1 }')
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.05
	done
	return 1
}
killed() { grep -qx "$1" "$dir/killed" 2>/dev/null; }
# verdict WORKLOAD LABEL DOMID RC ERRFILE CHECK...: count one finished
# transfer. Its own domain killed; exit 0 and CHECK passes (verified) or
# fails (WRONGLY REPORTED SUCCESS, its stderr kept); a non-zero exit with a
# message (reported) or without one (silent).
verdict() {
	local w=$1 label=$2 d=$3 rc=$4 err=$5
	shift 5
	if killed "$d"; then
		count "$w.killed"
	elif [ "$rc" -eq 0 ]; then
		if "$@"; then
			count "$w.verified"
		else
			count "$w.WRONG"
			cp "$err" "$dir/wrong-$w-$label.err"
		fi
	elif [ -s "$err" ]; then
		count "$w.reported"
	else
		count "$w.silent"
		echo "$w $label: domain $d exit $rc" >>"$dir/silent"
	fi
}
same_sha() { [ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$2" ]; }
measure() { # fds rss_kib domains
	echo "$(ls /proc/"$daemon"/fd | wc -l) $(awk '/VmRSS/ { print $2 }' /proc/"$daemon"/status) \
$("$UMX" list | tail -n +2 | wc -l)"
}

# ---- vchan: one pair per loop ------------------------------------------
vchan_loop() {
	k=$1 n=0 w=$dir/w/v$k
	mkdir -p "$w"
	head -c $((VCHAN_MIB << 20)) /dev/urandom >"$w/in"
	want=$(sha256sum <"$w/in" | cut -d' ' -f1)
	while ! stopping; do
		n=$((n + 1))
		rm -f "$w/s" && mkfifo "$w/s"
		"$UMX" run --name "vc$k-$n" -- sh -c 'read s <&3; exec "$0" vchan client -k \
			/local/domain/$s/data/vchan/soak $s </dev/null' "$UMX" 3<>"$w/s" \
			>"$w/out" 2>"$w/cli.err" &
		cpid=$!
		c=$(domid "vc$k-$n") || { kill "$cpid" 2>/dev/null; wait "$cpid"; continue; }
		"$UMX" run --name "vs$k-$n" -- "$UMX" vchan server data/vchan/soak "$c" \
			<"$w/in" 2>"$w/srv.err" &
		spid=$!
		s=$(domid "vs$k-$n") || s=none
		# Read-write: never blocks, even when the client is already gone;
		# the client's launcher holds the fifo open, so the id waits there.
		echo "$s" 1<>"$w/s"
		rc=0
		wait "$cpid" || rc=$?
		wait "$spid" 2>/dev/null
		verdict vchan "$k-$n" "$c" "$rc" "$w/cli.err" same_sha "$w/out" "$want"
	done
}

# ---- net: switch + web server + clients --------------------------------
net_loop() {
	n=0 w=$dir/w/net
	mkdir -p "$w"
	while ! stopping; do
		n=$((n + 1))
		"$UMX" run --name "sw$n" -- "$UMX" net switch 2>"$w/sw.err" &
		swpid=$!
		sw=$(domid "sw$n") || { kill "$swpid"; wait "$swpid"; continue; }
		"$UMX" run --name "web$n" -- "$HTTPD" --ip 10.1.0.1/16 2>"$w/web.err" &
		webpid=$!
		web=$(domid "web$n") && "$UMX" net attach "$web" "$sw" >/dev/null 2>&1
		m=0
		while ! stopping && kill -0 "$swpid" 2>/dev/null && kill -0 "$webpid" 2>/dev/null; do
			m=$((m + 1))
			ip=10.1.$((m / 250 % 250)).$((m % 250 + 2))
			if [ -n "$LINUX_NET" ] && [ $((m % 2)) -eq 0 ]; then
				# A Linux-stack client: curl in a domain whose eth0 is a
				# netfront on the switch (umx run --net), its body checked
				# on the host's side.
				"$UMX" run --name "lx$n-$m" --net "sw$n,ip=$ip/16" -- curl -sS -m 20 \
					http://10.1.0.1/bytes/1048576 >"$w/lx.out" 2>"$w/lx.err" &
				gpid=$!
				g=$(domid "lx$n-$m") || { kill "$gpid"; wait "$gpid"; continue; }
				rc=0
				wait "$gpid" || rc=$?
				verdict linux-net "$n-$m" "$g" "$rc" "$w/lx.err" \
					"$GET" --verify-stdin 1048576 <"$w/lx.out" 2>/dev/null
				continue
			fi
			"$UMX" run --name "get$n-$m" -- "$GET" --ip "$ip/16" --server 10.1.0.1 \
				--path /bytes/1048576 --check --timeout 20 >/dev/null 2>"$w/get.err" &
			gpid=$!
			g=$(domid "get$n-$m") || { kill "$gpid"; wait "$gpid"; continue; }
			"$UMX" net attach "$g" "$sw" >/dev/null 2>&1
			rc=0
			wait "$gpid" || rc=$?
			verdict net "$n-$m" "$g" "$rc" "$w/get.err" grep -q "pattern checked ok" "$w/get.err"
		done
		for p in $swpid $webpid; do
			kill "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		done
		count net.restarts
	done
}

# ---- store: transactions and watches -----------------------------------
store_loop() {
	k=$1 n=0 w=$dir/w/s$k
	mkdir -p "$w"
	while ! stopping; do
		n=$((n + 1))
		"$UMX" run --name "st$k-$n" -- "$CHURN" 300 >/dev/null 2>"$w/err" &
		p=$!
		d=$(domid "st$k-$n") || d=none
		rc=0
		wait "$p" || rc=$?
		# umx_store_churn exits 2 when a read-back disagreed: wrong even
		# though it said so, because the store lost or invented data.
		if [ "$rc" -eq 2 ] && ! killed "$d"; then
			count store.WRONG
			cp "$w/err" "$dir/wrong-store-$k-$n.err"
		else
			verdict store "$k-$n" "$d" "$rc" "$w/err" true
		fi
	done
}

disk_holds() { # OFFSET FILE: the disk has FILE's bytes at OFFSET
	dd if="$disk" bs=1024 skip=$(($1 / 1024)) count="$BLK_KIB" 2>/dev/null | cmp -s - "$2"
}

# ---- blk: a backend serving a disk file, frontends writing and verifying
blk_loop() {
	k=$1 n=0 w=$dir/w/b$k
	mkdir -p "$w"
	while ! stopping; do
		n=$((n + 1))
		"$UMX" blk serve --name "bk$k-$n" "$disk" 2>"$w/bk.err" &
		bkpid=$!
		bk=$(domid "bk$k-$n") || { kill "$bkpid" 2>/dev/null; wait "$bkpid"; continue; }
		m=0
		while ! stopping && kill -0 "$bkpid" 2>/dev/null; do
			m=$((m + 1))
			# Fresh data each round: a write that did nothing must not
			# find the last round's bytes in its slot.
			off=$((((k - 1) * 997 + m) % BLK_SLOTS * BLK_KIB * 1024))
			head -c $((BLK_KIB * 1024)) /dev/urandom >"$w/in"
			"$UMX" run --name "bf$k-$n-$m" -- sh -c '"$0" blk io 51712 write "$1" <&3 &&
				"$0" blk io 51712 verify "$1" /dev/stdin <&4' "$UMX" "$off" \
				3<"$w/in" 4<"$w/in" >/dev/null 2>"$w/bf.err" &
			fpid=$!
			f=$(domid "bf$k-$n-$m") || { kill "$fpid" 2>/dev/null; wait "$fpid"; continue; }
			"$UMX" blk attach "$f" "$disk" --backend "$bk" >/dev/null 2>&1
			rc=0
			wait "$fpid" || rc=$?
			# The host's side of the file, independent of the domain's own
			# verify.
			verdict blk "$k-$n-$m" "$f" "$rc" "$w/bf.err" disk_holds "$off" "$w/in"
		done
		kill "$bkpid" 2>/dev/null
		wait "$bkpid" 2>/dev/null
		count blk.restarts
	done
}

# ---- the killer ----------------------------------------------------------
killer_loop() {
	while ! stopping; do
		sleep "0.$((RANDOM % 10 + 3))"
		[ $((RANDOM % 3)) -eq 0 ] && sleep 1
		id=$("$UMX" list 2>/dev/null | tail -n +2 | awk '{ print $1 }' | shuf -n 1)
		[ -n "$id" ] || continue
		echo "$id" >>"$dir/killed"
		"$UMX" destroy "$id" >/dev/null 2>&1 && count kills
	done
}

before=$(measure)
t0=$(date +%s)
for k in $(seq "$VCHAN_PAIRS"); do vchan_loop "$k" & done
net_loop &
for k in $(seq "$STORE_CLIENTS"); do store_loop "$k" & done
for k in $(seq "$BLK_LOOPS"); do blk_loop "$k" & done
killer_loop &
while [ $(($(date +%s) - t0)) -lt "$SECS" ]; do
	sleep 10
	line=""
	for w in $WORKLOADS; do line="$line $w $(n_of "$w.verified")"; done
	printf 'soak: %4ds  kills %s  verified%s  WRONG %s\n' $(($(date +%s) - t0)) \
		"$(n_of kills)" "$line" "$(sum_of WRONG)"
done
touch "$dir/stop"
# Let every loop finish its current round (each is bounded by its tools'
# own timeouts), then make sure nothing is left.
loops() { jobs -rp | grep -vx "$daemon"; } # every job but umxd
for _ in $(seq 120); do [ -z "$(loops)" ] && break; sleep 1; done
for p in $(loops); do kill "$p" 2>/dev/null; done
for p in $(loops); do wait "$p" 2>/dev/null; done
for _ in $(seq 100); do
	[ "$("$UMX" list | tail -n +2 | wc -l)" -eq 0 ] && break
	sleep 0.1
done
sleep 1
after=$(measure)
# Processes of this build still alive but umxd (domains, launchers,
# device programs all run from $B), and store nodes under /local/domain.
leftover=$(ps -eo pid=,args= | awk -v b="$B/" -v d="$daemon" \
	'index($0, b) && $1 != d && !/awk/ { n++ } END { print n + 0 }')
# Domain-0's own directory (name, domid) is always there.
nodes=$("$UMX" xs ls /local/domain 2>/dev/null | grep -v '^ ' | grep -vc '^0 = ')

read -r fd0 rss0 dom0 <<<"$before"
read -r fd1 rss1 dom1 <<<"$after"
wrong=$(sum_of WRONG)
silent=$(sum_of silent)
echo
echo "soak: $SECS s, $VCHAN_PAIRS vchan pairs of $VCHAN_MIB MiB, 1 switch + web server + lwIP${LINUX_NET:+ and Linux-stack} clients, $STORE_CLIENTS store clients, $BLK_LOOPS blk backends + frontends of $BLK_KIB KiB"
printf '| %-40s | %9s |\n' "what" "count"
printf '|%s|%s|\n' "------------------------------------------" "-----------"
printf '| %-40s | %9s |\n' "domains killed" "$(n_of kills)"
printf '| %-40s | %9s |\n' "net restarts (switch or server killed)" "$(n_of net.restarts)"
printf '| %-40s | %9s |\n' "blk restarts (backend killed)" "$(n_of blk.restarts)"
for w in $WORKLOADS; do
	printf '| %-40s | %9s |\n' "$w: transfers verified" "$(n_of $w.verified)"
	printf '| %-40s | %9s |\n' "$w: interrupted and reported" "$(n_of $w.reported)"
	printf '| %-40s | %9s |\n' "$w: own domain killed" "$(n_of $w.killed)"
done
printf '| %-40s | %9s |\n' "failed with no message" "$silent"
printf '| %-40s | %9s |\n' "WRONGLY REPORTED SUCCESS (must be 0)" "$wrong"
printf '| %-40s | %9s |\n' "umxd descriptors before / after" "$fd0 / $fd1"
printf '| %-40s | %9s |\n' "umxd RSS KiB before / after" "$rss0 / $rss1"
printf '| %-40s | %9s |\n' "domains before / after" "$dom0 / $dom1"
printf '| %-40s | %9s |\n' "leftover processes (must be 0)" "$leftover"
printf '| %-40s | %9s |\n' "store nodes under /local/domain (0)" "$nodes"
ok=0
[ "$wrong" -eq 0 ] && [ "$leftover" -eq 0 ] && [ "$nodes" -eq 0 ] && [ "$dom1" -eq 0 ] || ok=1
ls "$dir"/wrong-* >/dev/null 2>&1 && for f in "$dir"/wrong-*; do echo "== $f"; cat "$f"; done
[ -f "$dir/silent" ] && { echo "== failed with no message:"; cat "$dir/silent"; }
exit $ok
