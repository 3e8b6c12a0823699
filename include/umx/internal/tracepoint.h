/* SPDX-License-Identifier: MIT */
/*
 * tracepoint.h — what a device core inside a domain reports to `umx trace`
 * (its rings, why it cut a peer off) and `umx net capture` (the frames a
 * switch forwards and drops). Not installed: the device cores are part of
 * libumx.
 *
 * Cost. umx_tracepoint_on() is one load and one bit test of a page umxd
 * keeps (read-only to domains) with a bit per traced domain; the page is
 * looked up once per process, on the first call. Off umxd (real Xen, or
 * outside a domain) it is a page of zeros. Only when a tracer asked for
 * this domain does a report cost a request to umxd (a round trip), so a
 * traced domain runs slower while traced, never otherwise.
 */
#ifndef UMX_INTERNAL_TRACEPOINT_H
#define UMX_INTERNAL_TRACEPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umx/trace.h"

/* The flags pages (ctl.h's UMX_TRACE_FLAG_*), or NULL before the lookup. */
extern const uint8_t *umx_tracepoint_flags_;
/* This domain's bit. */
extern uint32_t umx_tracepoint_domid_;
/* The slow path of the first call: map the pages (or the zero pages). */
const uint8_t *umx_tracepoint_lookup(void);

/* Does a tracer want this domain's reports of @page (UMX_TRACE_FLAG_RINGS
 * or UMX_TRACE_FLAG_FRAMES)? */
static inline bool umx_tracepoint_on(unsigned page)
{
	const uint8_t *p = __atomic_load_n(&umx_tracepoint_flags_, __ATOMIC_ACQUIRE);
	uint32_t d;

	if (__builtin_expect(p == NULL, 0))
		p = umx_tracepoint_lookup();
	d = umx_tracepoint_domid_; /* set before the pages are published (R1) */
	/* A relaxed read: a bit flipped a moment ago costs one report. */
	return __builtin_expect(
	        (__atomic_load_n(&p[page * 4096u + d / 8], __ATOMIC_RELAXED) >> (d % 8)) & 1, 0);
}

/* Send a report (UMX_TR_RING or UMX_TR_FRAME, fields as umx/trace.h says
 * for the type); @payload is cut to what a record holds. 0 or -errno;
 * nothing is retried: tracing never changes what a driver does. */
int umx_tracepoint_report(uint16_t type, uint32_t peer, uint32_t a, uint32_t b, uint32_t c,
                          uint32_t d, const void *payload, size_t len);

/* A device cut its peer off (UMX_TRACE_RING_BROKEN), saying why. */
static inline void umx_tracepoint_broken(uint32_t dev, uint32_t peer, uint32_t id, const char *why)
{
	if (umx_tracepoint_on(0))
		(void)umx_tracepoint_report(UMX_TR_RING, peer, dev, UMX_TRACE_RING_BROKEN, id, 0,
		                            why, why ? __builtin_strlen(why) : 0);
}

/* One ring entry or index update of a device, decoded by the caller into
 * @text (may be NULL). */
static inline void umx_tracepoint_ring(uint32_t dev, uint32_t what, uint32_t peer, uint32_t c,
                                       uint32_t d, const char *text)
{
	if (umx_tracepoint_on(0))
		(void)umx_tracepoint_report(UMX_TR_RING, peer, dev, what, c, d, text,
		                            text ? __builtin_strlen(text) : 0);
}

/* A frame a switch took from (UMX_TRACE_FRAME_IN) or gave to (_OUT) vif
 * @handle of domain @front, with UMX_TRACE_FRAME_* @flags. */
static inline void umx_tracepoint_frame(uint32_t front, uint32_t handle, uint32_t dir,
                                        uint32_t flags, const void *frame, size_t len)
{
	if (umx_tracepoint_on(1))
		(void)umx_tracepoint_report(UMX_TR_FRAME, front, handle, dir, flags, (uint32_t)len,
		                            frame, len);
}

#endif /* UMX_INTERNAL_TRACEPOINT_H */
