# Byte-for-byte vchan transfer between dom0 and the domU, both directions at
# once; sourced by scenario halves (after guest.sh). Set before calling:
#   PEER_ROLE   dom0 | domU (the other side's name, for the store keys)
#   vchan_open MODE PEER_DOMID PATH
#               a function that runs one vchan endpoint in MODE (server |
#               client) towards PEER_DOMID on store PATH, copying stdin into
#               the vchan and the vchan to stdout until killed. The default
#               is Xen's own libxenvchan through vchan-socket-proxy; a umx
#               scenario redefines it (e.g. around `umx vchan`) in one half.
#   VCHAN_MIB   MiB each way (default 1)
# transfer PART MODE PEER_DOMID PATH: run one part; fails the scenario on
# any difference (size or sha256). Waits are generous (60 s to the first
# byte, 30 s + 30 s per MiB for the rest): with one-page rings every ring's
# worth is a notify round trip, and under TCG on a busy host one part has
# been seen to take 22 s for 1 MiB (1-2 s when the host is quiet).
. /harness/guest.sh
MIB=${VCHAN_MIB:-1}
bytes=$((MIB * 1048576))

if ! command -v vchan_open >/dev/null 2>&1; then
  vchan_open() { vchan-socket-proxy -m "$1" "$2" "$3" -; }
fi

transfer() {
  part=$1 mode=$2 peer=$3 path=$4
  tx=/tmp/$part.tx rx=/tmp/$part.rx fifo=/tmp/$part.fifo
  head -c "$bytes" /dev/urandom > "$tx"
  xenstore-write "$XS/$part/$ROLE-sha" "$(sha "$tx")"
  rm -f "$fifo" "$rx"; mkfifo "$fifo"
  # stdin stays open after the data (an EOF makes vchan-socket-proxy close
  # the vchan before the peer has drained it): the endpoint is stopped once
  # both sides have checked what they received.
  vchan_open "$mode" "$peer" "$path" < "$fifo" > "$rx" 2>/tmp/$part.err &
  ppid=$!
  ( cat "$tx"; exec sleep 1000 ) > "$fifo" &
  fpid=$!
  # On failure: the endpoint's stderr, whether it still runs, the offer.
  fail_hook() {
    log "part $part: endpoint $(kill -0 "$ppid" 2>/dev/null && echo running || echo exited), stderr:"
    cat "/tmp/$part.err"
    log "store under $path:"; xenstore-ls "$path" 2>&1 | head -n 10
  }
  t0=$(date +%s)
  wait_size "$rx" 1 60
  t1=$(date +%s)
  wait_size "$rx" "$bytes" $((30 + 30 * MIB))
  t2=$(date +%s)
  want=$(xs_wait "$XS/$part/$PEER_ROLE-sha" 10)
  check "$bytes" "$(stat -c %s "$rx")" "part $part ($mode): bytes received"
  check "$want" "$(sha "$rx")" \
    "part $part ($mode): $MIB MiB from the $PEER_ROLE byte for byte (connected in $((t1 - t0)) s, moved in $((t2 - t1)) s)"
  xenstore-write "$XS/$part/$ROLE-ok" 1
  xs_wait "$XS/$part/$PEER_ROLE-ok" $((30 + 30 * MIB)) >/dev/null
  pkill -P "$ppid" 2>/dev/null
  kill "$fpid" "$ppid" 2>/dev/null
  wait "$ppid" 2>/dev/null
  if [ -s /tmp/$part.err ]; then log "vchan endpoint stderr:"; cat /tmp/$part.err; fi
  rm -f "$tx" "$rx" "$fifo"
}
