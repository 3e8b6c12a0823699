/* SPDX-License-Identifier: MIT */
/* The event-storm limiter (evstorm.h). */
#include "evstorm.h"

bool evstorm_event(struct evstorm *s, uint64_t now, bool work, uint32_t max)
{
	if (now - s->win_start >= EVSTORM_WINDOW_MS) {
		s->win_start = now;
		s->spurious = 0;
	}
	if (!work && ++s->spurious > max && !s->held_until)
		s->held_until = s->win_start + EVSTORM_WINDOW_MS;
	return !s->held_until;
}

bool evstorm_release(struct evstorm *s, uint64_t now)
{
	if (!s->held_until || now < s->held_until)
		return false;
	s->held_until = 0;
	return true;
}

int evstorm_timeout(const struct evstorm *s, uint64_t now, int timeout_ms)
{
	uint64_t left;

	if (!s->held_until)
		return timeout_ms;
	left = s->held_until > now ? s->held_until - now : 0;
	if (timeout_ms < 0 || (uint64_t)timeout_ms > left)
		return (int)left;
	return timeout_ms;
}
