# Helpers for scenario scripts (/harness/guest.sh in the image), sourced in
# dom0 and the domU (busybox sh).
# Environment a scenario gets:
#   ROLE   dom0 | domU          SELF  own domid      PEER  the other side's domid
#   DOMU   the domU's domid     NAME  scenario name  DIR   scenario directory
#   XS     a store directory both sides may read and write (under the
#          domU's data/ node), private to this scenario
# Exit 0 = pass; anything else (or the timeout) = fail.

log() { echo "[$NAME/$ROLE] $*"; }
fail() { echo "[$NAME/$ROLE] FAIL: $*"; exit 1; }

# xs_wait PATH [SECONDS]: wait until PATH exists in the store, print its value.
xs_wait() {
  _n=$(( ${2:-60} * 10 ))
  while [ "$_n" -gt 0 ]; do
    if xenstore-exists "$1" 2>/dev/null; then xenstore-read "$1"; return 0; fi
    sleep 0.1
    _n=$((_n - 1))
  done
  fail "timed out waiting for store node $1"
}

# check EXPECTED ACTUAL WHAT: fail unless equal.
check() {
  [ "$1" = "$2" ] || fail "$3: expected '$(echo "$1" | cut -c1-80)', got '$(echo "$2" | cut -c1-80)'"
  log "ok: $3"
}

# sha FILE: sha256 of a file, hash only.
sha() { sha256sum "$1" | cut -d' ' -f1; }

# wait_size FILE BYTES [SECONDS]: wait until FILE holds at least BYTES.
wait_size() {
  _n=$(( ${3:-60} * 10 ))
  while [ "$_n" -gt 0 ]; do
    _s=$(stat -c %s "$1" 2>/dev/null || echo 0)
    [ "$_s" -ge "$2" ] && return 0
    sleep 0.1
    _n=$((_n - 1))
  done
  fail "$1 holds $(stat -c %s "$1" 2>/dev/null || echo 0) of $2 bytes after ${3:-60} s"
}
