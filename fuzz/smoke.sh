#!/bin/sh
# Short libFuzzer run for the test suite: the in-tree corpus plus
# FUZZ_SMOKE_SECONDS (default 20) of new inputs, written to a scratch
# directory (never into the tree). Prints executions and coverage.
set -eu
bin=$1 corpus=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch" "$scratch.log"' EXIT
mkdir -p "$corpus"
# Same checks with a smaller quarantine: less memory next to other tests.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64
export ASAN_OPTIONS
"$bin" -max_total_time="${FUZZ_SMOKE_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$scratch" "$corpus" 2>"$scratch.log" || {
  tail -n 60 "$scratch.log"; exit 1; }
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done)' "$scratch.log" || true
grep -Eo 'cov: [0-9]+' "$scratch.log" | tail -n 1 || true
