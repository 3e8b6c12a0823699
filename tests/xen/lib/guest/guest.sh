# Helpers for scenario scripts (/harness/guest.sh in the image), sourced in
# dom0 and the domU (busybox sh).
# Environment a scenario gets:
#   ROLE   dom0 | domU          SELF  own domid      PEER  the other side's domid
#   DOMU   the domU's domid     NAME  scenario name  DIR   scenario directory
#   XS     a store directory both sides may read and write (under the
#          domU's data/ node), private to this scenario
# Exit 0 = pass; anything else (or the timeout) = fail.

log() { echo "[$NAME/$ROLE] $*"; }
# fail MSG: report and exit 1; a scenario may define fail_hook to dump
# diagnostics (it runs once, before the exit).
fail() {
  echo "[$NAME/$ROLE] FAIL: $*"
  if [ -z "${_failing:-}" ] && command -v fail_hook >/dev/null 2>&1; then
    _failing=1
    fail_hook
  fi
  exit 1
}

# The harness's stall detector (or the scenario's limit) arrives as TERM:
# fail (with the fail_hook's diagnostics) instead of dying silently; the
# UMX-XEN-STALL line before it names the last step.
trap 'fail "stopped by the harness: no progress (see UMX-XEN-STALL above) or over its limit"' TERM

# Waits use wall-clock deadlines: under TCG a poll iteration costs far more
# than its sleep.
# xs_wait PATH [SECONDS]: wait until PATH exists in the store, print its value.
xs_wait() {
  _end=$(( $(date +%s) + ${2:-60} ))
  while :; do
    if xenstore-exists "$1" 2>/dev/null; then xenstore-read "$1"; return 0; fi
    [ "$(date +%s)" -lt "$_end" ] || fail "timed out (${2:-60} s) waiting for store node $1"
    sleep 0.1
  done
}

# check EXPECTED ACTUAL WHAT: fail unless equal.
check() {
  [ "$1" = "$2" ] || fail "$3: expected '$(echo "$1" | cut -c1-80)', got '$(echo "$2" | cut -c1-80)'"
  log "ok: $3"
}

# sha FILE: sha256 of a file, hash only.
sha() { sha256sum "$1" | cut -d' ' -f1; }

# wait_size FILE BYTES [SECONDS]: wait until FILE holds at least BYTES;
# fail when it has not grown for SECONDS (a busy host slows a transfer, a
# stuck one stops it).
wait_size() {
  _end=$(( $(date +%s) + ${3:-60} )); _last=-1
  while :; do
    _s=$(stat -c %s "$1" 2>/dev/null || echo 0)
    [ "$_s" -ge "$2" ] && return 0
    [ "$_s" = "$_last" ] || { _last=$_s; _end=$(( $(date +%s) + ${3:-60} )); }
    [ "$(date +%s)" -lt "$_end" ] || fail "$1 holds $_s of $2 bytes, no growth for ${3:-60} s"
    sleep 0.1
  done
}
