/* SPDX-License-Identifier: MIT */
/* Shared timing helpers for the benchmarks. */
#ifndef UMX_BENCH_UTIL_H
#define UMX_BENCH_UTIL_H
#include <stdint.h>
#include <sys/types.h>

#include "umx/internal/clock.h" /* umx_clock_ns(): the benchmarks' clock */
#include "umx/conn.h"

/* Print one result line: name, ops/s, and the ratio against a baseline. */
void bench_report(const char *name, double ops_per_sec, const char *base_name,
                  double base_ops_per_sec);
/* Record a ratio against the target the project set for it (issue 20's
 * table): printed now, and appended to $BENCH_SUMMARY when set, which
 * scripts/bench.sh turns into one summary table at the end of `make bench`.
 * A row whose target is a ceiling (less is better) passes target < 0 as
 * -ceiling. */
void bench_target(const char *row, double ratio, double target);
/* Seconds each measurement runs (BENCH_SECONDS, default 1.0). */
double bench_seconds(void);

/* `umx trace` on: a tracer of @mask (UMX_TRACE_*; 0: its default
 * categories, all but frames, which are `umx net capture`'s), drained by a forked
 * child as fast as it can read (what tracing costs umxd and the domains,
 * not what a slow terminal costs). Returns the child's pid, or -1. */
pid_t bench_trace_start(umx_conn *ts, uint32_t mask);
/* End it; prints how many records it read and how many umxd dropped. */
void bench_trace_stop(pid_t pid);

/* A private umxd (in a forked child, in a fresh /tmp directory) and a
 * toolstack connection to it, for the benchmarks that need domains. */
struct bench_umxd {
	char dir[32];
	pid_t pid;
	umx_conn *ts;
};
int bench_umxd_start(struct bench_umxd *b);
void bench_umxd_stop(struct bench_umxd *b);
/* Create a domain and fork: 0 in the child (which is now that domain),
 * the child's pid in the parent, -1 on error. */
pid_t bench_domain_fork(umx_conn *ts, const char *name, uint32_t *domid);

#endif
