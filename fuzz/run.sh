#!/bin/sh
# make fuzz: each target for SECONDS, new inputs merged into the in-tree
# corpus, crash inputs kept in build/fuzz-artifacts/<target>/. Prints one
# line per target (executions, rate, coverage, crashes) and exits 1 if any
# target crashed.
set -eu
dir=$1 secs=$2
src=$(cd "$(dirname "$0")" && pwd)
art=$(cd "$dir/.." && pwd)/fuzz-artifacts
# A smaller ASan quarantine: same checks, a fraction of the RSS (the
# default 256 MiB made xs_wire look like a 338 MB process).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64
export ASAN_OPTIONS
table=$(mktemp)
trap 'rm -f "$table" "$table.log" "$table.stamp"' EXIT
failed=0
for bin in "$dir"/*; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  name=$(basename "$bin")
  [ -f "$src/$name.c" ] || continue
  mkdir -p "$src/corpus/$name" "$art/$name"
  echo "== fuzz $name for ${secs}s"
  rc=0
  touch "$table.stamp"
  "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$art/$name/" "$src/corpus/$name" >"$table.log" 2>&1 || rc=$?
  tail -n 3 "$table.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$table.log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$table.log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+' "$table.log" | tail -n 1 | cut -d' ' -f2)
  crashes=$(find "$art/$name" -type f -newer "$table.stamp" | wc -l)
  [ "$rc" = 0 ] || [ "$crashes" -gt 0 ] || crashes=1
  [ "$crashes" = 0 ] || failed=1
  printf '%-22s %10s %8s %6s %7s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "$crashes" >>"$table"
done
echo
printf '%-22s %10s %8s %6s %7s\n' target executions exec/s cov crashes
cat "$table"
[ "$failed" = 0 ] || echo "crash inputs: $art/"
exit "$failed"
