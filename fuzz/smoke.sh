#!/bin/sh
# Short libFuzzer run for the test suite: the in-tree corpus plus 20 s of
# new inputs, written to a scratch directory (never into the tree).
set -eu
bin=$1 corpus=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$corpus"
"$bin" -max_total_time="${FUZZ_SMOKE_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$scratch" "$corpus" 2>"$scratch.log" || {
  tail -n 60 "$scratch.log"; rm -f "$scratch.log"; exit 1; }
grep -E '^(stat::number_of_executed_units|Done)' "$scratch.log" || true
rm -f "$scratch.log"
