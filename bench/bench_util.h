/* SPDX-License-Identifier: MIT */
/* Shared timing helpers for the benchmarks. */
#ifndef UMX_BENCH_UTIL_H
#define UMX_BENCH_UTIL_H
#include <stdint.h>

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);
/* Print one result line: name, ops/s, and the ratio against a baseline. */
void bench_report(const char *name, double ops_per_sec, const char *base_name,
                  double base_ops_per_sec);
/* Seconds each measurement runs (BENCH_SECONDS, default 1.0). */
double bench_seconds(void);

#endif
