#!/bin/bash
# The Xen harness: boots Xen 4.17 + a Debian PV dom0 + a PV domU under QEMU
# and runs the scenarios of tests/xen/scenarios/ inside them (issue 9).
# Usage: tests/xen/run.bash            (or `make test-xen`)
# Environment:
#   UMX_BUILD_DIR   umx build tree whose binaries go into the image
#                   (default: build/gcc, else build/release, when built;
#                   scenarios that run test programs need a UMX_TESTS build)
#   XEN_CACHE       package cache (default build/xen-cache)
#   XEN_ACCEL       auto (KVM when /dev/kvm is usable) | kvm | tcg
#   XEN_STALL       QEMU is killed when its console has been silent this
#                   many seconds (default 300; each scenario half has its own
#                   stall detector in the guest, see tests/xen/init)
#   XEN_TIMEOUT     absolute limit of the QEMU run in seconds (default 3600)
#   XEN_SCENARIOS   space-separated subset of scenario names to run (names
#                   from tests/xen/pending/ are accepted too)
#   XEN_CMDLINE_EXTRA  appended to Xen's command line (e.g. dom0_max_vcpus=1)
#   XEN_GUEST_ENV   "VAR=value ..." exported to the scenarios (e.g. VCHAN_MIB=8)
#                   and to the guest's init: DOMU_STALL (default 60) fails the
#                   domU's boot once it has neither printed nor used CPU for
#                   that many seconds, DOMU_LIMIT (default 900) at the latest
#   XEN_KEEP=1      keep the work directory (image, console log)
# The console log of the last run is kept in build/xen-test/console.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cd "$src"
t_start=$(date +%s)
say() { echo "xen-harness: $*"; }
die() { echo "xen-harness: ERROR: $*" >&2; exit 1; }

missing=""
for t in qemu-system-x86_64 cpio gzip apt-get dpkg-deb objcopy ldd; do
  command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -z "$missing" ] || die "missing host tools:$missing — run 'make deps' (installs qemu-system-x86, cpio, busybox-static, ...)"

cache=${XEN_CACHE:-build/xen-cache}
umxbuild=${UMX_BUILD_DIR:-}
if [ -z "$umxbuild" ]; then
  for d in build/gcc build/release; do
    if [ -x "$d/tools/umx" ]; then umxbuild=$d; break; fi
  done
fi
[ -z "$umxbuild" ] || umxbuild=$(cd "$umxbuild" && pwd)

work=""
qpid=""
stop_qemu() {  # QEMU (its -pidfile) and the subshell $qpid around it
  local qp=""
  [ -n "$qpid" ] || return 0
  if [ -n "$work" ] && [ -f "$work/qemu.pid" ]; then
    qp=$(cat "$work/qemu.pid" 2>/dev/null || true)
    # only if that pid is still our QEMU (its command line names $work)
    grep -qaF "$work" "/proc/$qp/cmdline" 2>/dev/null || qp=""
  fi
  [ -z "$qp" ] || kill -TERM "$qp" 2>/dev/null || true
  pkill -TERM -P "$qpid" 2>/dev/null || true
  sleep 0.5
  [ -z "$qp" ] || kill -KILL "$qp" 2>/dev/null || true
  pkill -KILL -P "$qpid" 2>/dev/null || true
  kill "$qpid" 2>/dev/null || true
  qpid=""
}
cleanup() {
  stop_qemu
  if [ -n "$work" ] && [ "${XEN_KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

root=$(sh "$here/lib/fetch.sh" "$cache")
t_fetch=$(date +%s)

mkdir -p build/xen-test
work=$(mktemp -d "$src/build/xen-test/run.XXXXXX")
scen="$work/scenarios"
mkdir -p "$scen"
if [ -n "${XEN_SCENARIOS:-}" ]; then
  for s in $XEN_SCENARIOS; do  # pending scenarios may be named too
    if [ -d "$here/scenarios/$s" ]; then cp -a "$here/scenarios/$s" "$scen/"
    elif [ -d "$here/pending/$s" ]; then cp -a "$here/pending/$s" "$scen/"
    else die "no scenario '$s' in $here/scenarios or $here/pending"; fi
  done
else
  cp -a "$here/scenarios/." "$scen/"
fi
rm -f "$scen/README.md"
sh "$here/lib/mkimage.sh" "$root" "$work/img" "$scen" "$umxbuild"
t_image=$(date +%s)

accel=${XEN_ACCEL:-auto}
fallback=0
# A KVM that failed to run Xen once is remembered (per host kernel and QEMU).
kvm_key="$(uname -r) $(qemu-system-x86_64 --version | head -n1)"
kvm_stamp="$cache/kvm-cannot-run-xen"
if [ "$accel" = auto ]; then
  if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    if [ -f "$kvm_stamp" ] && [ "$(cat "$kvm_stamp")" = "$kvm_key" ]; then
      say "KVM cannot run Xen on this host (found earlier, $kvm_stamp): using TCG"
      accel=tcg
    else
      accel=kvm; fallback=1
    fi
  else
    accel=tcg
  fi
fi
case "$accel" in kvm|tcg) ;; *) die "XEN_ACCEL must be auto, kvm or tcg" ;; esac
log="$work/console.log"
timeout=${XEN_TIMEOUT:-3600}
stall=${XEN_STALL:-300}
qpid=""
reason=""
shown=0
progress() {  # echo the markers that appeared since the last call
  local n
  n=$(grep -ac '^UMX-XEN' "$log" 2>/dev/null || true)
  if [ "${n:-0}" -gt "$shown" ]; then
    grep -a '^UMX-XEN' "$log" | tr -d '\r' | tail -n +$((shown + 1)) | head -n $((n - shown)) |
      sed "s/^/xen-harness: [$(( $(date +%s) - t_image ))s] /"
    shown=$n
  fi
}
# last_marker: the last UMX-XEN line, i.e. the step the run was in.
last_marker() { grep -a '^UMX-XEN' "$log" 2>/dev/null | tr -d '\r' | tail -n 1 | cut -c1-160; }
# boot ACCEL: one QEMU run, killed when its console stays silent for $stall
# seconds (a busy host makes every step slower, but never silent that long:
# the guest's own stall detectors report first), or at the absolute limit
# (counted from the end of the image build, so a KVM fallback shares it).
boot() {
  local cpu
  case "$1" in
    kvm) cpu="host" ;;
    # -cpu max crashes the PV dom0 early under TCG.
    tcg) cpu="qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+x2apic" ;;
  esac
  : > "$log"
  say "booting Xen + dom0 + domU under QEMU ($1), stall ${stall}s, limit ${timeout}s; umx binaries: ${umxbuild:-none}"
  # noreboot is left off Xen's command line: a dom0 crash ends QEMU at once.
  # The subshell keeps bash's "Aborted" job notice (a QEMU assertion) in
  # qemu.out; $qpid is the subshell, QEMU its only child.
  ( qemu-system-x86_64 -machine q35,accel="$1" -cpu "$cpu" -m 2048 -smp 2 \
    -display none -vga none -monitor none -serial "file:$log" -no-reboot \
    -pidfile "$work/qemu.pid" \
    -net none -kernel "$work/img/xen" \
    -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M ${XEN_CMDLINE_EXTRA:-}" \
    -initrd "$work/img/vmlinuz console=hvc0 earlyprintk=xen rdinit=/init loglevel=4,$work/img/dom0.cpio.gz" \
    </dev/null >"$work/qemu.out" 2>&1; true ) 2>>"$work/qemu.out" &
  qpid=$!
  local size=-1 now_size t_out
  t_out=$(date +%s)
  while kill -0 "$qpid" 2>/dev/null; do
    progress
    now_size=$(stat -c %s "$log" 2>/dev/null || echo 0)
    if [ "$now_size" != "$size" ]; then size=$now_size; t_out=$(date +%s); fi
    if [ $(( $(date +%s) - t_out )) -ge "$stall" ]; then
      reason="stalled: no console output for ${stall}s after '$(last_marker)': QEMU killed"
      stop_qemu
      break
    fi
    if [ $(( $(date +%s) - t_image )) -ge "$timeout" ]; then
      reason="over the absolute limit (${timeout}s) at '$(last_marker)': QEMU killed"
      stop_qemu
      break
    fi
    sleep 0.5
  done
  { wait "$qpid"; } 2>/dev/null || true
  qpid=""
  progress
}
boot "$accel"
# Some KVMs cannot run Xen (nested or paravirtual KVM, e.g. an emulation
# failure on Xen's shadow-stack probe): QEMU dies before dom0 is up. In
# auto mode that falls back to TCG, said aloud.
if [ "$fallback" = 1 ] && ! grep -aq '^UMX-XEN-DOM0 up' "$log" && [ -z "$reason" ] &&
   grep -qi 'kvm' "$work/qemu.out"; then
  say "KVM cannot run Xen here ($(grep -i -m1 'kvm' "$work/qemu.out" | cut -c1-100)); falling back to TCG"
  echo "$kvm_key" > "$kvm_stamp"
  accel=tcg
  boot tcg
fi
t_end=$(date +%s)
cp "$log" build/xen-test/console.log 2>/dev/null || : > build/xen-test/console.log
tr -d '\r' < build/xen-test/console.log > "$work/clean.log"
clean="$work/clean.log"

echo "---- Xen harness results ----"
fails=0
names=$(cd "$scen" && for d in */; do [ -d "$d" ] && echo "${d%/}"; done)
for s in $names; do
  if grep -q "^UMX-XEN-PASS $s " "$clean"; then
    echo "PASS  $s"
  else
    fails=$((fails + 1))
    why=$(grep "^UMX-XEN-FAIL $s " "$clean" | head -n1 | cut -d' ' -f3- || true)
    [ -n "$why" ] || why="did not finish"
    stalled=$(grep "^UMX-XEN-STALL $s " "$clean" | cut -d' ' -f3- || true)
    [ -z "$stalled" ] || why="$why; stalled: $(echo "$stalled" | tr '\n' ' ')"
    echo "FAIL  $s ($why)"
    if grep -q "^UMX-XEN-BEGIN $s " "$clean"; then
      echo "  ---- console of scenario $s ----"
      sed -n "/^UMX-XEN-BEGIN $s /,/^UMX-XEN-\(PASS\|FAIL\) $s /p" "$clean" | sed 's/^/  | /' | tail -n 80
    fi
  fi
done
done_line=$(grep '^UMX-XEN-DONE' "$clean" | head -n1 || true)
if [ -z "$done_line" ]; then
  fails=$((fails + 1))
  abort=$(grep '^UMX-XEN-ABORT' "$clean" | head -n1 || true)
  echo "FAIL  harness: the run did not complete: ${abort:-${reason:-QEMU exited early}}"
  echo "  ---- last 60 console lines ----"
  tail -n 60 "$clean" | sed 's/^/  | /'
  if [ -s "$work/qemu.out" ]; then echo "  ---- qemu ----"; sed 's/^/  | /' "$work/qemu.out"; fi
fi
for p in "$here"/pending/*/; do
  [ -d "$p" ] || continue
  case " $(echo $names) " in *" $(basename "$p") "*) continue ;; esac  # run by name
  echo "PEND  $(basename "$p") (written, not run by default: see tests/xen/pending/README.md)"
done
echo "xen-harness: times: packages $((t_fetch - t_start)) s, image $((t_image - t_fetch)) s, boot+scenarios $((t_end - t_image)) s, total $((t_end - t_start)) s ($accel)"
echo "xen-harness: console log in build/xen-test/console.log"
if [ "$fails" -ne 0 ]; then
  echo "xen-harness: $fails failure(s)"
  exit 1
fi
echo "xen-harness: all $(echo $names | wc -w) scenario(s) passed"
