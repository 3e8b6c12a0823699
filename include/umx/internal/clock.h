/* SPDX-License-Identifier: MIT */
/*
 * internal/clock.h — the one clock umx measures deadlines, windows and rates with:
 * CLOCK_MONOTONIC (never steps back, not moved by settimeofday or NTP
 * slews that jump). Header-only, so that programs which do not link
 * libumx (the libxenvchan peers, built against Xen's own libraries) use
 * the same definition, and libumx's ABI gains nothing. Not installed.
 */
#ifndef UMX_CLOCK_H
#define UMX_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds since an arbitrary fixed point (boot). */
static inline uint64_t umx_clock_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds, same origin. */
static inline uint64_t umx_clock_ms(void)
{
	return umx_clock_ns() / 1000000u;
}

/* Seconds as a double, for rates and reports. */
static inline double umx_clock_s(void)
{
	return (double)umx_clock_ns() / 1e9;
}

#endif
