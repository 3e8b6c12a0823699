#!/bin/sh
# make bench: run every benchmark of an optimised build, in name order.
set -eu
build=$1
export UMXD="$build/daemon/umxd" UMX="$build/tools/umx"
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
