/* SPDX-License-Identifier: MIT */
/*
 * evstorm.h — the event-storm limiter the device cores share (netfront,
 * netback, vchan). Private to devices/ (and its unit test).
 *
 * A peer may notify in a loop. An event that brought no work is spurious;
 * past @max spurious events in one EVSTORM_WINDOW_MS window the source is
 * held until the window ends: the caller leaves its port masked (or does
 * not wait on it), events arriving meanwhile stay pending, and the work
 * they announce is found when the hold ends. So a storm costs at most
 * @max wakeups per window and delays real work by at most one window;
 * a peer that does useful work is never held.
 *
 * Times are umx_clock_ms() values. Not thread-safe: one per event source,
 * used by the thread that handles it.
 */
#ifndef UMX_DEVICES_EVSTORM_H
#define UMX_DEVICES_EVSTORM_H

#include <stdbool.h>
#include <stdint.h>

#define EVSTORM_WINDOW_MS 100u

/* Zero-initialised: no hold, no count (a reconnect zeroes it again). */
struct evstorm {
	uint64_t win_start;  /* start of the current window */
	uint64_t held_until; /* 0, or held until this time */
	uint32_t spurious;   /* spurious events in the window */
};

/* One event handled at @now; @work: it brought work; @max: spurious events
 * allowed per window. Returns true when the caller may re-arm the source
 * now, false while it is held (a hold that starts here lasts until the
 * window ends). */
bool evstorm_event(struct evstorm *s, uint64_t now, bool work, uint32_t max);

/* True when a hold has ended by @now: it is cleared and the caller re-arms
 * the source. False when not held, or still held. */
bool evstorm_release(struct evstorm *s, uint64_t now);

/* @timeout_ms (negative: forever) shortened so that a wait ends when the
 * hold does; unchanged when not held. */
int evstorm_timeout(const struct evstorm *s, uint64_t now, int timeout_ms);

static inline bool evstorm_held(const struct evstorm *s)
{
	return s->held_until != 0;
}

#endif
