/* SPDX-License-Identifier: MIT */
/*
 * ring.h — the one implementation of Xen's shared request/response ring.
 *
 * Design note
 * -----------
 * A shared ring is an area of N pages laid out exactly as Xen's `sring`
 * (xen/io/ring.h, DEFINE_RING_TYPES): four 32-bit indices `req_prod,
 * req_event, rsp_prod, rsp_event`, 48 bytes of pvt/pad, then the entries
 * at offset 64. The slot stride is max(req_size, rsp_size), which is
 * sizeof(union X_sring_entry) for every Xen protocol (each entry size is a
 * multiple of the larger alignment). The number of entries is
 * (bytes - 64) / stride rounded down to a power of two, as __RING_SIZE
 * computes it. A umx ring therefore talks to a Linux, Xen or Mirage peer
 * that uses the ring.h macros, in either role.
 *
 * The *front* produces requests and consumes responses; the *back* the
 * reverse. Each side keeps its own indices privately (struct umx_ring)
 * and never reads back its own state from the shared page, which belongs
 * to a peer we do not trust:
 *   - the peer's producer index is read once per batch (acquire) and
 *     validated before any entry it covers is touched: it may not run more
 *     than the ring size ahead of our consumer, may not go backwards, the
 *     front rejects more responses than requests it issued, and the back
 *     rejects more requests than it has response space for
 *     (RING_REQUEST_PROD_OVERFLOW);
 *   - every entry is copied out into caller memory before the caller sees
 *     it; the caller never gets a pointer into shared memory;
 *   - a violation marks the ring broken: sticky, the reason kept and logged
 *     once, -EPROTO from every later call, until the caller re-initialises
 *     the ring (reconnect). Nothing in here aborts on shared data.
 * Work per call is bounded by the caller's `max` and the ring size.
 *
 * Event suppression is Xen's: umx_ring_push() publishes and reports
 * whether the peer asked to be notified (RING_PUSH_*_AND_CHECK_NOTIFY);
 * before sleeping a consumer calls umx_ring_final_check()
 * (RING_FINAL_CHECK_FOR_*), which re-arms *_event and re-checks. Sending
 * the notification itself (event channel, eventfd) is the caller's job.
 *
 * Threading: one struct umx_ring is used by one thread at a time; the two
 * directions of one ring end are not independent (the front's space
 * depends on responses consumed), so do not split them across threads
 * without a lock.
 */
#ifndef UMX_RING_H
#define UMX_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Xen's shared ring header (struct X_sring without the entries). */
struct umx_sring {
	uint32_t req_prod, req_event;
	uint32_t rsp_prod, rsp_event;
	uint8_t pvt[4];
	uint8_t pad[44];
	unsigned char ring[]; /* entries, stride max(req_size, rsp_size) */
};

#define UMX_SRING_HDR_SIZE 64u
/* Largest shared area a ring may cover (keeps every count in an int). */
#define UMX_RING_MAX_BYTES (1u << 30)

_Static_assert(sizeof(struct umx_sring) == UMX_SRING_HDR_SIZE, "sring header is 64 bytes");
_Static_assert(offsetof(struct umx_sring, req_prod) == 0, "req_prod at 0");
_Static_assert(offsetof(struct umx_sring, req_event) == 4, "req_event at 4");
_Static_assert(offsetof(struct umx_sring, rsp_prod) == 8, "rsp_prod at 8");
_Static_assert(offsetof(struct umx_sring, rsp_event) == 12, "rsp_event at 12");
_Static_assert(offsetof(struct umx_sring, ring) == 64, "entries at 64");

enum umx_ring_role {
	UMX_RING_FRONT = 1, /* puts requests, takes responses */
	UMX_RING_BACK = 2,  /* takes requests, puts responses */
};

/*
 * One end of a ring. Caller-allocated; all fields are private to ring.c
 * (exposed only so the struct can live on the stack or inside a device).
 */
struct umx_ring {
	struct umx_sring *sring; /* shared, hostile */
	uint32_t nr_ents;        /* power of two */
	uint32_t slot;           /* stride of one entry */
	uint32_t out_size;       /* size of what we put (req front, rsp back) */
	uint32_t in_size;        /* size of what we take (rsp front, req back) */
	uint32_t prod_pvt;       /* front: req_prod_pvt; back: rsp_prod_pvt */
	uint32_t prod_pub;       /* last producer value we published */
	uint32_t cons;           /* front: rsp_cons; back: req_cons */
	uint32_t peer_prod;      /* last validated producer index of the peer */
	enum umx_ring_role role;
	bool broken;
	char reason[128];
};

/*
 * Number of entries a ring of @bytes holds for these entry sizes, exactly
 * as Xen's __RING_SIZE: (bytes - 64) / max(req_size, rsp_size), rounded
 * down to a power of two. Returns the count (>= 1) or -EINVAL when the
 * area cannot hold one entry, an entry size is 0, or @bytes exceeds
 * UMX_RING_MAX_BYTES.
 */
int umx_ring_nr_ents(size_t bytes, size_t req_size, size_t rsp_size);

/*
 * Attach @r as @role to the shared area @shared of @bytes bytes, with both
 * private indices at @start (Xen's FRONT/BACK_RING_ATTACH). The shared area
 * is not touched. @shared must stay mapped while @r is used; umx does not
 * own it. Returns 0 or -EINVAL (see umx_ring_nr_ents, or a bad role).
 */
int umx_ring_attach(struct umx_ring *r, enum umx_ring_role role, void *shared, size_t bytes,
                    size_t req_size, size_t rsp_size, uint32_t start);

/*
 * Attach at index 0 as front or back. With @init_shared, first initialise
 * the shared header as SHARED_RING_INIT does (producers 0, events 1, pvt
 * and pad zeroed); entries are left alone (grant only zeroed pages). The
 * front normally initialises, the back attaches to what the front set up.
 * Returns 0 or -EINVAL.
 */
int umx_ring_front_init(struct umx_ring *r, void *shared, size_t bytes, size_t req_size,
                        size_t rsp_size, bool init_shared);
int umx_ring_back_init(struct umx_ring *r, void *shared, size_t bytes, size_t req_size,
                       size_t rsp_size, bool init_shared);

/*
 * Producer: copy one entry (req_size bytes on the front, rsp_size on the
 * back) into the next private slot; the rest of a larger slot is zeroed so
 * no stale bytes of ours remain. Not visible to the peer until
 * umx_ring_push(). Returns 0, -ENOSPC when full (front: req_prod_pvt -
 * rsp_cons == size; back: as many responses put as requests taken), or
 * -EPROTO when broken.
 */
int umx_ring_put(struct umx_ring *r, const void *entry);

/*
 * Producer: number of entries umx_ring_put() would accept now (front:
 * free request slots; back: responses owed), or -EPROTO when broken.
 */
int umx_ring_space(const struct umx_ring *r);

/*
 * Producer: publish every entry put so far (release: the entries are
 * visible before the index), then — after a full barrier — read the
 * peer's *_event and set *@notify when the peer asked to be woken for one
 * of the entries just published (RING_PUSH_*_AND_CHECK_NOTIFY). *@notify
 * is false when nothing new was published. @notify may be NULL.
 * Returns 0 or -EPROTO when broken (*@notify false).
 */
int umx_ring_push(struct umx_ring *r, bool *notify);

/*
 * Consumer: read the peer's producer once, validate it, and copy up to
 * @max entries (rsp_size each on the front, req_size on the back) into
 * @out, packed. @out must hold @max entries. The back takes no more
 * requests than it has response space for (RING_REQUEST_CONS_OVERFLOW).
 * Returns the number copied (0 .. min(max, size)), or -EPROTO when the
 * peer's index is invalid or the ring was already broken.
 */
int umx_ring_take(struct umx_ring *r, void *out, unsigned max);

/*
 * Consumer: number of entries umx_ring_take() could deliver now (validated
 * exactly as umx_ring_take does), or -EPROTO.
 */
int umx_ring_unconsumed(struct umx_ring *r);

/*
 * Consumer, before sleeping (RING_FINAL_CHECK_FOR_*): if entries are
 * waiting set *@more; otherwise set our *_event to cons + 1, full barrier,
 * and check again. When this returns 0 with *@more false, the peer's next
 * push will report notify = true. Returns 0 or -EPROTO (*@more false).
 */
int umx_ring_final_check(struct umx_ring *r, bool *more);

/* The reason the ring broke, or NULL while it is healthy. */
const char *umx_ring_broken(const struct umx_ring *r);

/*
 * Mark the ring broken from above (a device found a bad id or operation in
 * an entry): the one sticky broken flag of docs/HARDENING.md, "Fail
 * closed, once". The first
 * reason wins and is logged once; later calls are ignored. Returns -EPROTO
 * so callers can `return umx_ring_mark_broken(...)`.
 */
int umx_ring_mark_broken(struct umx_ring *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Size of the ring in entries; the private indices, for diagnostics. */
static inline uint32_t umx_ring_size(const struct umx_ring *r)
{
	return r->nr_ents;
}

#endif /* UMX_RING_H */
