#!/bin/sh
# The scale table of docs/RELIABILITY.md: 1000, 5000 and 10000 domains
# started, listed and destroyed against a private umxd of an optimised
# build (make build), with umxd's memory and descriptors at each step.
# Usage: scripts/scale.sh [BUILD_DIR] [N...]   (default build/release;
# 1000 5000 10000)
set -eu
build=${1:-build/release}
[ $# -gt 0 ] && shift
[ -x "$build/bench/bench_domain_scale" ] || {
  echo "scale.sh: $build/bench/bench_domain_scale missing: run 'make build' first" >&2
  exit 1
}
[ $# -gt 0 ] || set -- 1000 5000 10000
echo "scale: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%d)"
"$build/bench/bench_domain_scale" "$@"
