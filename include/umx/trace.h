/* SPDX-License-Identifier: MIT */
/*
 * trace.h — what domains ask of umxd, as a stream of records (`umx trace`).
 *
 * Design. umxd sees every request a domain makes of its hypervisor and
 * store: grant maps, unmaps, copies and end-access (UNSHARE), grant memory,
 * event channel bind and close, every xs_wire message in both directions,
 * and domain lifecycle. A tracer is a toolstack client (only the control
 * socket may ask; a domain's own connection gets -EPERM) that opens a
 * trace with umx_trace_open(): it gets a stream socket on which umxd writes
 * struct umx_trace_rec records, one after another, for the domains and
 * categories it chose.
 *
 * Cost. With no tracer, every hook in umxd is one predictable branch on a
 * word that is zero. A tracer has a bounded buffer in umxd
 * (UMX_TRACE_BUF_DEFAULT bytes, at most UMX_TRACE_BUF_MAX): umxd never
 * blocks on a tracer and never grows for one; when the buffer is full,
 * records are dropped and counted, and the next record the tracer gets is
 * UMX_TR_LOST with that count. A slow tracer therefore loses records; it
 * never slows the traced domains nor anyone else.
 *
 * What umxd cannot see. A grant is shared by the granter writing its own
 * grant table, and an event is sent by writing the peer's eventfd: neither
 * passes through umxd (that is what makes them fast). Shares show up as
 * the maps, copies and end-access that name them; notifies as the
 * UMX_TR_EVT_NOTIFY umxd sends itself (unmap notify) and, for devices
 * that report their rings (UMX_TRACE_RINGS), in their ring records.
 *
 * Rings. A device core inside a domain may report its ring traffic
 * (requests, responses, indices) and why it cut its peer off with
 * an internal call (include/umx/internal/tracepoint.h) that costs one
 * predictable branch unless a tracer asked for this domain's rings: umxd
 * keeps a bitmap of traced domains in a page every domain may map
 * read-only. umxd stamps each report with the sender's domid (never taken
 * from the report) and passes it on as UMX_TR_RING; a network switch
 * reports the frames it forwards and drops the same way (UMX_TR_FRAME,
 * `umx net capture`). A report's content is the reporting domain's word:
 * shown, never trusted.
 *
 * Records are little-endian as the host, 8-byte aligned, and every field
 * a reader does not know may be skipped by its length: new record types
 * may be added without breaking older readers.
 */
#ifndef UMX_TRACE_H
#define UMX_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "umx/conn.h"

/* Categories a tracer asks for (struct umx_trace_filter.mask). */
#define UMX_TRACE_LIFECYCLE 0x01u /* domains created, running, dead, freed */
#define UMX_TRACE_GRANTS    0x02u /* grant memory, map, unmap, copy, end-access */
#define UMX_TRACE_EVENTS    0x04u /* event channels: alloc, bind, close, notify by umxd */
#define UMX_TRACE_STORE     0x08u /* every xs_wire message, both directions */
#define UMX_TRACE_RINGS     0x10u /* rings of devices that report them */
#define UMX_TRACE_FRAMES    0x20u /* frames a switch forwards or drops (umx net capture) */
#define UMX_TRACE_ALL       0x3fu

/* Record types. */
enum umx_trace_type {
	UMX_TR_LOST = 1, /* a = records dropped since the last one delivered */
	/* lifecycle: domid; the payload is the name (CREATE) or why (DIED) */
	UMX_TR_DOM_CREATE = 0x10,
	UMX_TR_DOM_RUNNING, /* said HELLO */
	UMX_TR_DOM_DESTROY, /* the toolstack asked */
	UMX_TR_DOM_DIED,    /* connection gone: everything it held released */
	UMX_TR_DOM_FREED,   /* the record is gone (no one maps its pages) */
	/* grants (see each for a, b, c, d); result is 0/-errno or GNTST_* */
	UMX_TR_GNT_REGION_ALLOC = 0x20, /* peer: for whom; a npages, b flags, c base frame */
	UMX_TR_GNT_REGION_FREE,         /* a base frame */
	UMX_TR_GNT_MAP,                 /* peer: granter; a ref, b flags, c handle */
	UMX_TR_GNT_UNMAP,               /* peer: granter; a handle, b ref */
	UMX_TR_GNT_COPY,                /* peer: other side; a len, b src ref, c dst ref, d flags */
	/* The granter ends access to a ref (libumx tells umxd first, to run
	 * its unmap notify): peer is the domain the entry names, a ref, b and
	 * c the peer's read and write maps of it, d 1 if an unmap notify ran;
	 * result -EBUSY while mapped: the end-access fails and the page stays
	 * the grant's (MSA02). */
	UMX_TR_GNT_END_ACCESS,
	UMX_TR_GNT_SHARE_NOTIFY, /* a ref, b flags, c offset, d port */
	/* event channels */
	UMX_TR_EVT_ALLOC_UNBOUND = 0x30, /* peer: remote; a port */
	UMX_TR_EVT_BIND,                 /* peer: remote; a local port, b remote port */
	UMX_TR_EVT_CLOSE,                /* a port; peer: the remote end, if bound */
	UMX_TR_EVT_NOTIFY,               /* sent by umxd (unmap notify): a port */
	/* store: a = xs_wire type, b = req_id, c = tx_id, d = length on the
	 * wire; the payload is the message's payload, cut to
	 * UMX_TRACE_XS_PAYLOAD_MAX bytes. domid is the connection's. */
	UMX_TR_XS_REQUEST = 0x40,
	UMX_TR_XS_REPLY, /* replies and watch events (a = XS_WATCH_EVENT) */
	/* rings: a = device (UMX_TRACE_DEV_*), b = what (UMX_TRACE_RING_*),
	 * c, d as the device says (below); the payload is text (the decoded
	 * entry, or why the peer was cut off). */
	UMX_TR_RING = 0x50,
	/* frames, reported by the domain that switches them: peer = the
	 * frontend's domid, a = its vif handle, b = UMX_TRACE_FRAME_IN (from
	 * that vif) or _OUT (towards it), c = UMX_TRACE_FRAME_* flags, d = the
	 * frame's length; the payload is the frame, cut to what a record
	 * holds. */
	UMX_TR_FRAME = 0x60,
};

#define UMX_TRACE_FRAME_IN       1u
#define UMX_TRACE_FRAME_OUT      2u
#define UMX_TRACE_FRAME_DROPPED  0x1u /* not delivered: the port's queue was full, ... */
#define UMX_TRACE_FRAME_REJECTED 0x2u /* refused: a malformed request (answered with an error) */

#define UMX_TRACE_DEV_VCHAN   1u
#define UMX_TRACE_DEV_NET     2u
#define UMX_TRACE_DEV_BLK     3u
#define UMX_TRACE_DEV_CONSOLE 4u

#define UMX_TRACE_RING_REQUEST  1u /* c = ring index (prod), d = id */
#define UMX_TRACE_RING_RESPONSE 2u /* c = ring index (prod), d = id */
#define UMX_TRACE_RING_INDICES  3u /* c = prod, d = cons (byte rings) */
#define UMX_TRACE_RING_BROKEN   4u /* the driver cut the peer off; payload why */

#define UMX_TRACE_NONE           0xffffffffu /* no peer */
#define UMX_TRACE_XS_PAYLOAD_MAX 256u
#define UMX_TRACE_RING_TEXT_MAX  192u

/* One record on the stream. @len counts the header and the payload and
 * is a multiple of 8; the payload is @len - sizeof(header) bytes, of which
 * @plen are meaningful. */
struct umx_trace_rec {
	uint16_t len;
	uint16_t type;  /* enum umx_trace_type */
	uint32_t domid; /* the domain acting (0: the toolstack) */
	uint64_t ns;    /* CLOCK_REALTIME, nanoseconds */
	uint64_t seq;   /* umxd's count of records, delivered or not */
	uint32_t peer;  /* the other domain, or UMX_TRACE_NONE */
	int32_t result; /* 0 or -errno; GNTST_* for grant ops */
	uint32_t a, b, c, d;
	uint16_t plen; /* payload bytes */
	uint16_t pad[3];
	/* payload follows */
};
_Static_assert(sizeof(struct umx_trace_rec) == 56, "trace record header: fixed layout");
#define UMX_TRACE_REC_MAX 16384u /* header + payload */

/* Filter for a trace. @ndomains 0: every domain. A record matches when
 * its domid or its peer is one of @domains. */
#define UMX_TRACE_DOMAINS_MAX 16u
struct umx_trace_filter {
	uint32_t mask;     /* UMX_TRACE_* */
	uint32_t buf_size; /* bytes umxd holds for us: 0 default, clamped */
	uint32_t ndomains;
	uint32_t pad;
	uint32_t domains[UMX_TRACE_DOMAINS_MAX];
};
#define UMX_TRACE_BUF_DEFAULT (256u * 1024u)
#define UMX_TRACE_BUF_MIN     (4u * 1024u)
#define UMX_TRACE_BUF_MAX     (4u * 1024u * 1024u)

/* Start a trace on the toolstack connection @ts. *@fd receives the
 * stream (the caller owns it, close-on-exec, blocking): read records with
 * umx_trace_next(). Closing it ends the trace. 0, -EPERM on a domain's
 * connection, -EINVAL for a bad filter, -EMFILE, -ENOMEM. */
int umx_trace_open(umx_conn *ts, const struct umx_trace_filter *f, int *fd);

/* A buffered reader over a trace stream. */
struct umx_trace_reader {
	int fd;
	size_t off, len;
	unsigned char buf[64 * 1024];
};
/* The next record from @r (pointing into its buffer, valid until the
 * next call): 1, 0 at the end of the stream, -errno (-EPROTO for a
 * malformed record: the stream cannot be resynchronised). With
 * @timeout_ms >= 0, -ETIMEDOUT when nothing came in that time. */
int umx_trace_next(struct umx_trace_reader *r, int timeout_ms, const struct umx_trace_rec **rec);

/* Print @rec on @f as one line of text, or as one JSON object (a line). */
void umx_trace_print(FILE *f, const struct umx_trace_rec *rec, bool json);
/* The name of a record type ("gnt.map"), or NULL if unknown. */
const char *umx_trace_type_name(uint16_t type);

#endif /* UMX_TRACE_H */
