/* SPDX-License-Identifier: MIT */
/*
 * xs_rawmsg.h — raw xs_wire messages for tests, fuzzers and benchmarks:
 * build a request byte for byte and read back the engine's replies.
 */
#ifndef UMXD_XS_RAWMSG_H
#define UMXD_XS_RAWMSG_H

#include <stdint.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "xs.h"

struct xs_raw_reply {
	struct xsd_sockmsg h;
	char body[XENSTORE_PAYLOAD_MAX + 1]; /* NUL-terminated for convenience */
};

/* Encode header + payload into @buf (at least 16 + @len bytes). */
static inline size_t xs_raw_encode(void *buf, uint32_t type, uint32_t req_id, uint32_t tx_id,
                                   const void *payload, uint32_t len)
{
	struct xsd_sockmsg h = {type, req_id, tx_id, len};
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy((char *)buf + sizeof(h), payload, len);
	return sizeof(h) + len;
}

/* Send one request (payload given with its length, NULs included). */
static inline long xs_raw_send(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                               const void *payload, uint32_t len)
{
	unsigned char buf[16 + XENSTORE_PAYLOAD_MAX];
	if (len > XENSTORE_PAYLOAD_MAX)
		return -1;
	return xs_conn_feed(c, buf, xs_raw_encode(buf, type, req_id, tx_id, payload, len));
}

/* Next queued message: 1, or 0 if none. */
static inline int xs_raw_recv(struct xs_conn *c, struct xs_raw_reply *r)
{
	unsigned char buf[16 + XENSTORE_PAYLOAD_MAX];
	long n = xs_conn_pop(c, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	memcpy(&r->h, buf, sizeof(r->h));
	memcpy(r->body, buf + sizeof(r->h), r->h.len);
	r->body[r->h.len] = '\0';
	return 1;
}

/* Send a request and take the first message queued after it: the reply's
 * type, or -1 if nothing came back. */
static inline int xs_raw_call(struct xs_conn *c, uint32_t type, uint32_t tx_id, const void *payload,
                              uint32_t len, struct xs_raw_reply *r)
{
	static uint32_t req_id = 100;
	if (xs_raw_send(c, type, ++req_id, tx_id, payload, len) < 0 || !xs_raw_recv(c, r))
		return -1;
	return r->h.req_id == req_id ? (int)r->h.type : -1;
}

/* Payload literals: XS_A("a\0b") includes the final NUL (string args),
 * XS_V("p\0value") does not (WRITE's value). */
#define XS_A(lit) (lit), (uint32_t)sizeof(lit)
#define XS_V(lit) (lit), (uint32_t)(sizeof(lit) - 1)

#endif /* UMXD_XS_RAWMSG_H */
