/* SPDX-License-Identifier: MIT */
/*
 * ring.c — Xen's shared request/response ring, hardened against the peer.
 *
 * Barrier map (labels used below; each names its pair):
 *   A1  release store of our producer index in umx_ring_push()
 *         pairs with R1 on the peer (or its xen_rmb() after reading prod):
 *         entries are visible before the index that covers them.
 *   R1  acquire load of the peer's producer index in ring_peer_avail()
 *         pairs with A1 on the peer (or the xen_wmb() in its RING_PUSH_*).
 *   M1  full barrier between publishing prod and reading the peer's *_event
 *         in umx_ring_push(); pairs with M2 (or the xen_mb() of the peer's
 *         RING_FINAL_CHECK_FOR_*): either the consumer sees our new
 *         producer, or we see the event it set and notify it.
 *   M2  full barrier between writing our *_event and re-reading the peer's
 *         producer in umx_ring_final_check(); pairs with M1 (or the xen_mb()
 *         in the peer's RING_PUSH_*_AND_CHECK_NOTIFY).
 * Slot reuse needs nothing more: a slot is rewritten only after the index
 * that frees it was read through R1, and our own consumer index is private
 * (the ring protocol never publishes it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xen/io/ring.h>

#include "umx/barrier.h"
#include "umx/log.h"
#include "umx/ring.h"

/* Prove the layout against Xen's own definition of a ring. */
struct umx_xen_probe_req {
	uint8_t b[24];
};
struct umx_xen_probe_rsp {
	uint8_t b[16];
};
DEFINE_RING_TYPES(umx_xen_probe, struct umx_xen_probe_req, struct umx_xen_probe_rsp);

_Static_assert(offsetof(struct umx_xen_probe_sring, req_prod) ==
                       offsetof(struct umx_sring, req_prod),
               "req_prod matches Xen");
_Static_assert(offsetof(struct umx_xen_probe_sring, req_event) ==
                       offsetof(struct umx_sring, req_event),
               "req_event matches Xen");
_Static_assert(offsetof(struct umx_xen_probe_sring, rsp_prod) ==
                       offsetof(struct umx_sring, rsp_prod),
               "rsp_prod matches Xen");
_Static_assert(offsetof(struct umx_xen_probe_sring, rsp_event) ==
                       offsetof(struct umx_sring, rsp_event),
               "rsp_event matches Xen");
_Static_assert(offsetof(struct umx_xen_probe_sring, pvt) == offsetof(struct umx_sring, pvt),
               "pvt matches Xen");
_Static_assert(offsetof(struct umx_xen_probe_sring, __pad) == offsetof(struct umx_sring, pad),
               "pad matches Xen");
_Static_assert(offsetof(struct umx_xen_probe_sring, ring) == offsetof(struct umx_sring, ring),
               "entries start where Xen's do");
_Static_assert(sizeof(union umx_xen_probe_sring_entry) == 24, "slot is max(req, rsp)");
_Static_assert(__CONST_RING_SIZE(umx_xen_probe, 4096) == 128, "Xen's ring size for 1 page");

/* Round down to a power of two, as Xen's __RD32 (0 stays 0). */
static uint32_t rd32(uint32_t x)
{
	while (x & (x - 1))
		x &= x - 1;
	return x;
}

int umx_ring_nr_ents(size_t bytes, size_t req_size, size_t rsp_size)
{
	size_t slot = req_size > rsp_size ? req_size : rsp_size;

	if (!req_size || !rsp_size || bytes > UMX_RING_MAX_BYTES || bytes < UMX_SRING_HDR_SIZE)
		return -EINVAL;
	uint32_t n = rd32((uint32_t)((bytes - UMX_SRING_HDR_SIZE) / slot));
	return n ? (int)n : -EINVAL;
}

static bool is_front(const struct umx_ring *r)
{
	return r->role == UMX_RING_FRONT;
}

static int ring_vbreak(struct umx_ring *r, const char *fmt, va_list ap)
{
	if (r->broken)
		return -EPROTO;
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	r->broken = true;
	umx_warn("ring %s: broken: %s", is_front(r) ? "front" : "back", r->reason);
	return -EPROTO;
}

int umx_ring_mark_broken(struct umx_ring *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ring_vbreak(r, fmt, ap);
	va_end(ap);
	return rc;
}

int umx_ring_attach(struct umx_ring *r, enum umx_ring_role role, void *shared, size_t bytes,
                    size_t req_size, size_t rsp_size, uint32_t start)
{
	int n = umx_ring_nr_ents(bytes, req_size, rsp_size);

	if (n < 0)
		return n;
	if (!shared || (role != UMX_RING_FRONT && role != UMX_RING_BACK))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->sring = shared;
	r->role = role;
	r->nr_ents = (uint32_t)n;
	r->slot = (uint32_t)(req_size > rsp_size ? req_size : rsp_size);
	r->out_size = (uint32_t)(role == UMX_RING_FRONT ? req_size : rsp_size);
	r->in_size = (uint32_t)(role == UMX_RING_FRONT ? rsp_size : req_size);
	r->prod_pvt = r->prod_pub = r->cons = r->peer_prod = start;
	return 0;
}

static int ring_init(struct umx_ring *r, enum umx_ring_role role, void *shared, size_t bytes,
                     size_t req_size, size_t rsp_size, bool init_shared)
{
	int rc = umx_ring_attach(r, role, shared, bytes, req_size, rsp_size, 0);

	if (rc < 0 || !init_shared)
		return rc;
	/* SHARED_RING_INIT. Nobody else may use the page yet: plain stores. */
	struct umx_sring *s = r->sring;
	umx_store_relaxed32(&s->req_prod, 0);
	umx_store_relaxed32(&s->rsp_prod, 0);
	umx_store_relaxed32(&s->req_event, 1);
	umx_store_relaxed32(&s->rsp_event, 1);
	memset(s->pvt, 0, sizeof(s->pvt));
	memset(s->pad, 0, sizeof(s->pad));
	return 0;
}

int umx_ring_front_init(struct umx_ring *r, void *shared, size_t bytes, size_t req_size,
                        size_t rsp_size, bool init_shared)
{
	return ring_init(r, UMX_RING_FRONT, shared, bytes, req_size, rsp_size, init_shared);
}

int umx_ring_back_init(struct umx_ring *r, void *shared, size_t bytes, size_t req_size,
                       size_t rsp_size, bool init_shared)
{
	return ring_init(r, UMX_RING_BACK, shared, bytes, req_size, rsp_size, init_shared);
}

static unsigned char *ring_slot(const struct umx_ring *r, uint32_t idx)
{
	return r->sring->ring + (size_t)(idx & (r->nr_ents - 1)) * r->slot;
}

int umx_ring_space(const struct umx_ring *r)
{
	if (r->broken)
		return -EPROTO;
	if (is_front(r))
		return (int)(r->nr_ents - (r->prod_pvt - r->cons));
	/* Responses owed: requests taken and not yet answered. */
	return (int)(r->cons - r->prod_pvt);
}

int umx_ring_put(struct umx_ring *r, const void *entry)
{
	int space = umx_ring_space(r);

	if (space < 0)
		return space;
	if (space == 0)
		return -ENOSPC;
	unsigned char *slot = ring_slot(r, r->prod_pvt);
	memcpy(slot, entry, r->out_size);
	if (r->slot > r->out_size)
		memset(slot + r->out_size, 0, r->slot - r->out_size);
	r->prod_pvt++;
	return 0;
}

int umx_ring_push(struct umx_ring *r, bool *notify)
{
	struct umx_sring *s = r->sring;
	uint32_t *prod = is_front(r) ? &s->req_prod : &s->rsp_prod;
	uint32_t *event = is_front(r) ? &s->req_event : &s->rsp_event;
	uint32_t old = r->prod_pub, new = r->prod_pvt;
	bool n = false;

	if (r->broken) {
		if (notify)
			*notify = false;
		return -EPROTO;
	}
	if (new != old) {
		/* A1: pairs with R1 in the peer's take: entries visible before prod. */
		umx_store_release32(prod, new);
		r->prod_pub = new;
		/* M1: pairs with M2 in umx_ring_final_check(): the consumer sees our
		 * producer or we see the event it armed. */
		umx_mb();
		uint32_t ev = umx_load_relaxed32(event);
		/* Any value of ev is harmless: it only decides one wakeup. */
		n = (uint32_t)(new - ev) < (uint32_t)(new - old);
	}
	if (notify)
		*notify = n;
	return 0;
}

/*
 * Read the peer's producer once and validate it against everything we know
 * privately. Returns the number of entries we may take now, or -EPROTO.
 */
static int ring_peer_avail(struct umx_ring *r)
{
	struct umx_sring *s = r->sring;
	const uint32_t *pp = is_front(r) ? &s->rsp_prod : &s->req_prod;

	if (r->broken)
		return -EPROTO;
	/* R1: pairs with A1 in the peer's umx_ring_push() (xen_wmb() in its
	 * RING_PUSH_*): entries up to prod are visible before we copy them. */
	uint32_t prod = umx_load_acquire32(pp);
	uint32_t avail = prod - r->cons;

	if (avail > r->nr_ents)
		return umx_ring_mark_broken(r, "%s producer %u overruns consumer %u (size %u)",
		                            is_front(r) ? "response" : "request", prod, r->cons,
		                            r->nr_ents);
	if (avail < r->peer_prod - r->cons)
		return umx_ring_mark_broken(r, "%s producer went backwards: %u after %u",
		                            is_front(r) ? "response" : "request", prod,
		                            r->peer_prod);
	if (is_front(r)) {
		/* Only requests the back could see can have been answered. */
		if (avail > r->prod_pub - r->cons)
			return umx_ring_mark_broken(
			        r, "response producer %u ahead of requests issued %u (rsp_cons %u)",
			        prod, r->prod_pub, r->cons);
	} else {
		/* RING_REQUEST_PROD_OVERFLOW: more requests than response slots. */
		if (prod - r->prod_pvt > r->nr_ents)
			return umx_ring_mark_broken(r,
			                            "request producer %u overflows response space "
			                            "(rsp_prod_pvt %u, size %u)",
			                            prod, r->prod_pvt, r->nr_ents);
	}
	r->peer_prod = prod;
	if (!is_front(r)) {
		/* RING_REQUEST_CONS_OVERFLOW: stop where our responses would not fit. */
		uint32_t room = r->nr_ents - (r->cons - r->prod_pvt);
		if (avail > room)
			avail = room;
	}
	return (int)avail;
}

int umx_ring_unconsumed(struct umx_ring *r)
{
	return ring_peer_avail(r);
}

int umx_ring_take(struct umx_ring *r, void *out, unsigned max)
{
	int avail = ring_peer_avail(r);

	if (avail < 0)
		return avail;
	uint32_t n = (uint32_t)avail < max ? (uint32_t)avail : max;
	unsigned char *dst = out;
	uint32_t first = r->cons & (r->nr_ents - 1);

	if (n == 0)
		return 0;
	if (r->in_size == r->slot) {
		/* Packed slots: at most two copies, split at the end of the ring. */
		uint32_t run = r->nr_ents - first < n ? r->nr_ents - first : n;
		memcpy(dst, ring_slot(r, r->cons), (size_t)run * r->slot);
		if (n > run)
			memcpy(dst + (size_t)run * r->slot, r->sring->ring,
			       (size_t)(n - run) * r->slot);
	} else {
		for (uint32_t i = 0; i < n; i++)
			memcpy(dst + (size_t)i * r->in_size, ring_slot(r, r->cons + i), r->in_size);
	}
	r->cons += n;
	return (int)n;
}

int umx_ring_final_check(struct umx_ring *r, bool *more)
{
	struct umx_sring *s = r->sring;
	uint32_t *event = is_front(r) ? &s->rsp_event : &s->req_event;
	int avail = ring_peer_avail(r);

	*more = false;
	if (avail < 0)
		return avail;
	if (avail == 0) {
		umx_store_relaxed32(event, r->cons + 1);
		/* M2: pairs with M1 in the peer's umx_ring_push() (xen_mb() in its
		 * RING_PUSH_*_AND_CHECK_NOTIFY): it sees our event or we its prod. */
		umx_mb();
		avail = ring_peer_avail(r);
		if (avail < 0)
			return avail;
	}
	*more = avail > 0;
	return 0;
}

const char *umx_ring_broken(const struct umx_ring *r)
{
	return r->broken ? r->reason : NULL;
}
