#!/bin/sh
# make fuzz: each target for SECONDS, new inputs merged into the in-tree corpus.
set -eu
dir=$1 secs=$2
src=$(dirname "$0")
for bin in "$dir"/*; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  name=$(basename "$bin")
  [ -f "$src/$name.c" ] || continue
  mkdir -p "$src/corpus/$name"
  echo "== fuzz $name for ${secs}s"
  "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 "$src/corpus/$name"
done
