/* SPDX-License-Identifier: MIT */
/* Shared timing helpers for the benchmarks. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double bench_seconds(void)
{
	const char *s = getenv("BENCH_SECONDS");
	double v = s ? atof(s) : 1.0;
	return v > 0 ? v : 1.0;
}

void bench_report(const char *name, double ops, const char *base_name, double base_ops)
{
	if (base_name && base_ops > 0)
		printf("%-40s %14.0f ops/s   %-28s %14.0f ops/s   ratio %.2fx\n", name, ops,
		       base_name, base_ops, ops / base_ops);
	else
		printf("%-40s %14.0f ops/s\n", name, ops);
	fflush(stdout);
}
