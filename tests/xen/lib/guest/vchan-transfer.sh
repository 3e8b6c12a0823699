# Shared by both halves: Xen's own libxenvchan (through vchan-socket-proxy,
# shipped in xen-utils-4.17) carries MIB MiB each way at once, checked by
# sha256 and exact size, in both roles:
#   part a: dom0 is the vchan server, the domU the client
#   part b: the domU is the server, dom0 the client
. /scenarios/guest.sh
MIB=${VCHAN_MIB:-1}
bytes=$((MIB * 1048576))

# transfer PART MODE PEER_DOMID VCHAN_PATH
transfer() {
  part=$1 mode=$2 peer=$3 path=$4
  tx=/tmp/$part.tx rx=/tmp/$part.rx fifo=/tmp/$part.fifo
  head -c "$bytes" /dev/urandom > "$tx"
  xenstore-write "$XS/$part/$ROLE-sha" "$(sha "$tx")"
  rm -f "$fifo" "$rx"; mkfifo "$fifo"
  # stdin stays open after the data (an EOF would close the vchan before
  # the peer has drained it): the proxy is stopped once both sides agree.
  vchan-socket-proxy -m "$mode" "$peer" "$path" - < "$fifo" > "$rx" 2>/tmp/$part.err &
  ppid=$!
  ( cat "$tx"; exec sleep 1000 ) > "$fifo" &
  fpid=$!
  t0=$(date +%s)
  wait_size "$rx" "$bytes" 90
  t1=$(date +%s)
  want=$(xs_wait "$XS/$part/$PEER_ROLE-sha" 10)
  check "$bytes" "$(stat -c %s "$rx")" "part $part ($mode): bytes received"
  check "$want" "$(sha "$rx")" "part $part ($mode): $MIB MiB from the $PEER_ROLE byte for byte ($((t1 - t0)) s)"
  xenstore-write "$XS/$part/$ROLE-ok" 1
  xs_wait "$XS/$part/$PEER_ROLE-ok" 90 >/dev/null
  kill "$fpid" "$ppid" 2>/dev/null
  wait "$ppid" 2>/dev/null
  if [ -s /tmp/$part.err ]; then log "vchan-socket-proxy stderr:"; cat /tmp/$part.err; fi
  rm -f "$tx" "$rx" "$fifo"
}
