# Large vchan transfers between dom0 and the domU without keeping the data:
# both directions at once, generated and checked on the fly by vchan_peer
# gen/check (every byte is a function of seed and position), so 64 MiB each
# way needs no RAM disk. Sourced by scenario halves after guest.sh.
#   vchan_end MODE PEER_DOMID PATH BYTES_IN
#               a function running one vchan endpoint (stdin -> vchan ->
#               stdout) that closes the vchan or ends when the peer closes
#               after BYTES_IN arrived; each half defines its own
#   VCHAN_MIB   MiB each way (default 64)
# stream_part PART MODE PEER_DOMID PATH: one part; fails the scenario unless
# the peer's stream arrived intact and ours was acknowledged by the peer.
. /harness/guest.sh
MIB=${VCHAN_MIB:-64}
bytes=$((MIB * 1048576))

stream_part() {
  part=$1 mode=$2 peer=$3 path=$4
  other=server; [ "$mode" = server ] && other=client
  err=/tmp/$part.err
  fail_hook() {
    log "part $part ($mode): endpoint stderr:"; cat "$err"
    log "store under $path:"; xenstore-ls "$path" 2>&1 | head -n 10
    xenstore-write "$XS/$part/$ROLE-done" fail 2>/dev/null
  }
  t0=$(date +%s)
  # A stage that fails writes to $err; check's verdict is its exit status.
  if ( vchan_peer gen "$mode" "$bytes" "$SEED" |
       vchan_end "$mode" "$peer" "$path" "$bytes" |
       vchan_peer check "$other" "$bytes" "$SEED" ) 2>"$err"; then
    xenstore-write "$XS/$part/$ROLE-done" ok
  else
    fail "part $part ($mode): the $MIB MiB from the other side did not arrive intact"
  fi
  t1=$(date +%s)
  cat "$err"
  check ok "$(xs_wait "$XS/$part/$PEER_ROLE-done" 60)" \
    "part $part ($mode): $MIB MiB each way at once, every byte checked on both sides ($((t1 - t0)) s)"
}
SEED=${VCHAN_SEED:-4217} # the same on both sides
