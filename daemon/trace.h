/* SPDX-License-Identifier: MIT */
/*
 * trace.h — umxd's side of `umx trace` (include/umx/trace.h): the hooks
 * other modules call, and the tracer sessions.
 *
 * Every hook is an inline test of umxd->trace_mask, a word that is zero
 * while nobody traces: one predictable branch, no call. Only then does the
 * out-of-line half (trace.c) build a record and hand it to each tracer
 * whose filter takes it.
 */
#ifndef UMXD_TRACE_H
#define UMXD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umx/trace.h"
#include "umxd.h"

/* Tracers at once (each may hold up to UMX_TRACE_BUF_MAX bytes). */
#define UMXD_TRACERS_MAX 8u

/* The category a record type belongs to (UMX_TRACE_*), 0 if none. */
static inline uint32_t umxd_trace_cat(uint16_t type)
{
	switch (type >> 4) {
	case 1:
		return UMX_TRACE_LIFECYCLE;
	case 2:
		return UMX_TRACE_GRANTS;
	case 3:
		return UMX_TRACE_EVENTS;
	case 4:
		return UMX_TRACE_STORE;
	case 5:
		return UMX_TRACE_RINGS;
	case 6:
		return UMX_TRACE_FRAMES;
	default:
		return 0;
	}
}

static inline bool umxd_tracing(const struct umxd *umxd, uint32_t cat)
{
	return __builtin_expect((umxd->trace_mask & cat) != 0, 0);
}

/* Out of line: build one record and queue it for every tracer that wants
 * it. @payload (may be NULL) is cut to what a record holds. */
void umxd_trace_emit(struct umxd *umxd, uint16_t type, uint32_t domid, uint32_t peer,
                     int32_t result, const uint32_t abcd[4], const void *payload, size_t plen);

/* A record with a text payload (@text may be NULL). */
static inline void umxd_trace(struct umxd *umxd, uint16_t type, uint32_t domid, uint32_t peer,
                              int32_t result, uint32_t a, uint32_t b, const char *text)
{
	if (umxd_tracing(umxd, umxd_trace_cat(type))) {
		const uint32_t abcd[4] = {a, b, 0, 0};
		umxd_trace_emit(umxd, type, domid, peer, result, abcd, text,
		                text ? __builtin_strlen(text) : 0);
	}
}

/* umxd_dispatch()'s hook, before the handler: what the request's effects
 * will erase (the grants an UNMAP's handles name). */
void umxd_trace_request_slow(struct umxd_conn *conn, const struct umx_msg *req);
static inline void umxd_trace_request(struct umxd_conn *conn, const struct umx_msg *req)
{
	if (umxd_tracing(conn->umxd, UMX_TRACE_GRANTS))
		umxd_trace_request_slow(conn, req);
}

/* umxd_reply()'s hook: decodes the request and its reply into records
 * (grants, event channels, lifecycle requests). */
void umxd_trace_reply_slow(struct umxd_conn *conn, const struct umx_msg *req, int32_t result,
                           const void *body, size_t body_len);
static inline void umxd_trace_reply(struct umxd_conn *conn, const struct umx_msg *req,
                                    int32_t result, const void *body, size_t body_len)
{
	if (umxd_tracing(conn->umxd, UMX_TRACE_ALL))
		umxd_trace_reply_slow(conn, req, result, body, body_len);
}

/* TRACE_OPEN: the toolstack only (the dispatch table refuses domains).
 * TRACE_FLAGS and TRACE_REPORT: a domain's own (tracepoint.h). */
int umxd_h_trace_open(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_trace_flags(struct umxd_conn *c, struct umx_msg *m);
int umxd_h_trace_report(struct umxd_conn *c, struct umx_msg *m);

/* The store's hook (struct umxd_xs_hooks.trace): one xs_wire message,
 * header and payload, of a connection of domain @domid. */
void umxd_trace_xs(void *ctx, unsigned domid, bool reply, const void *msg, size_t len);

/* DOMAIN_STATS (stats.c): counters for umx top, toolstack only. */
int umxd_h_domain_stats(struct umxd_conn *c, struct umx_msg *m);

/* umxd_free(): end every trace. */
void umxd_trace_free(struct umxd *umxd);

#endif /* UMXD_TRACE_H */
