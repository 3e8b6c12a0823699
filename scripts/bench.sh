#!/bin/sh
# make bench: run every benchmark of an optimised build, in name order,
# then print one table of every ratio that has a target (bench_target()).
set -eu
build=$1
export UMXD="$build/daemon/umxd" UMX="$build/tools/umx"
BENCH_SUMMARY=$(mktemp /tmp/umx-bench-summary.XXXXXX)
export BENCH_SUMMARY
trap 'rm -f "$BENCH_SUMMARY"' EXIT INT TERM
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
echo
echo "== summary: each ratio against its target (load: $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' '{ printf "%-44s %8.2fx   target %-8s %s\n", $1, $2, $3 "x", $4
              if ($4 != "met") miss++ }
            END { printf "%d of %d targets met\n", NR - miss, NR }' "$BENCH_SUMMARY"
