/* SPDX-License-Identifier: MIT */
/*
 * blkfront: the guest end of a vbd (xen/io/blkif.h), hardened against its
 * backend (every rule of docs/HARDENING.md; blk.h has the contract).
 *
 * Ids: id i owns max_segs dedicated pool pages (and one for its indirect
 * descriptors when the backend offers them), shared with the backend
 * (writable, for the connection's life: feature-persistent) and used for
 * nothing but id i's data. An id leaves the free list only in submit and
 * moves FREE → PENDING (before the producer is raised) → DONE (its response
 * checked and its data copied out) → FREE (the caller reaped it), so one
 * response can never complete another request, and a duplicate, stale or
 * unsolicited id finds its state not PENDING and breaks the device. The
 * free list is first in, first out, so a late duplicate of a response finds
 * its id FREE rather than reissued.
 *
 * Data: a write copies the caller's bytes into the id's pages before the
 * request is published; a read copies the bytes the request named out of
 * them once, after its response was checked. The caller's memory is never
 * granted, and a pool page only ever holds bytes this backend wrote or was
 * sent, so nothing else of ours can leak through it (XSA-403). Pages whose
 * unshare fails because the backend still maps them stay with the platform,
 * never reused (MSA02, XSA-396).
 *
 * Queues (multi-queue-num-queues): each has its ring and event channel;
 * id i is sent on queue i % nq, and its response must come back on that
 * queue's ring (a response on another queue breaks the device like a
 * stale one). Ids per queue never exceed a ring's entries, so a free id
 * always finds a slot on its queue's ring.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_priv.h"
#include "umx/internal/clock.h"
#include "umx/log.h"

#define BF_IDS_MAX 64u /* requests in flight at most */
/* Pool pages at most: what Linux's blkback keeps mapped persistently
 * (UMX_BLK_PGRANTS_MAX), and half a default umx grant table (4 frames). */
#define BF_POOL_PAGES_MAX UMX_BLK_PGRANTS_MAX
/* Pages one id owns: its data pages, and one for indirect descriptors. */
#define BF_ID_PAGES_MAX    (UMX_BLK_FRONT_INDIRECT_SEGS + 1u)
#define BF_REAP_BATCH      32u
#define BF_SYNC_TIMEOUT_MS 30000

enum {
	ID_FREE = 0,
	ID_PENDING = 1,
	ID_DONE = 2, /* answered, waiting to be reaped */
};

struct shadow {
	uint8_t op; /* BLKIF_OP_* sent */
	bool sync;  /* issued by a synchronous wrapper: not queued for reap */
	uint8_t *buf;
	size_t len;
	uint64_t cookie;
	int status;
};

/* One queue: its ring and event channel. */
struct bf_queue {
	uint32_t port;
	umx_plat_shared *s_ring;
	struct umx_ring ring;
	struct evstorm storm;
};

struct umx_blkfront {
	umx_plat *p;
	umx_xs *xs;
	unsigned devid;
	uint32_t backend_id;
	char fe[96], be[160];
	struct umx_blk_info info;
	bool connected;
	char reason[192]; /* the one broken flag: non-empty = broken */

	struct bf_queue q[UMX_BLK_QUEUES_MAX];
	unsigned nq;
	umx_plat_shared *s_pool;
	uint8_t *pool;
	uint32_t refs[BF_IDS_MAX * BF_ID_PAGES_MAX];
	unsigned nids;
	unsigned id_pages; /* pages per id: max_segs, + 1 with indirect */
	bool indirect;

	uint8_t state[BF_IDS_MAX];
	struct shadow sh[BF_IDS_MAX];
	uint16_t freeq[BF_IDS_MAX]; /* FIFO of free ids */
	unsigned free_head, nfree;
	uint16_t doneq[BF_IDS_MAX]; /* FIFO of DONE async ids */
	unsigned done_head, ndone;
	unsigned sync_pending;
	int sync_err;

	struct umx_blk_stats st;
};

static int bf_fail(umx_blkfront *bf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fail closed, once: the first reason wins, the ring stops. */
static int bf_fail(umx_blkfront *bf, const char *fmt, ...)
{
	va_list ap;

	if (bf->reason[0])
		return -EPROTO;
	va_start(ap, fmt);
	vsnprintf(bf->reason, sizeof(bf->reason), fmt, ap);
	va_end(ap);
	if (!bf->reason[0])
		snprintf(bf->reason, sizeof(bf->reason), "broken");
	umx_err("blkfront vbd %u: backend misbehaved: %s", bf->devid, bf->reason);
	for (unsigned i = 0; i < bf->nq; i++)
		umx_ring_mark_broken(&bf->q[i].ring, "%s", bf->reason);
	bf->connected = false;
	return -EPROTO;
}

static int bf_ring_fail(umx_blkfront *bf, const struct bf_queue *q)
{
	const char *why = umx_ring_broken(&q->ring);
	return bf_fail(bf, "ring: %s", why ? why : "broken");
}

static int bf_usable(const umx_blkfront *bf)
{
	if (bf->reason[0])
		return -EPROTO;
	return bf->connected ? 0 : -ENOTCONN;
}

static uint8_t *id_page(umx_blkfront *bf, unsigned id, unsigned seg)
{
	return bf->pool + ((size_t)id * bf->id_pages + seg) * UMX_PAGE_SIZE;
}

static void id_free(umx_blkfront *bf, uint16_t id)
{
	bf->state[id] = ID_FREE;
	bf->freeq[(bf->free_head + bf->nfree) % BF_IDS_MAX] = id;
	bf->nfree++;
}

/* ---- responses ------------------------------------------------------------------ */

static int status_errno(int16_t s)
{
	return s == BLKIF_RSP_OKAY ? 0 : s == BLKIF_RSP_EOPNOTSUPP ? -EOPNOTSUPP : -EIO;
}

/* One response from queue @qi, our private copy: checked whole before
 * anything is released, then the data copied out and the id completed. */
static int complete_one(umx_blkfront *bf, unsigned qi, const struct blkif_response *rsp)
{
	uint64_t id = rsp->id;
	struct shadow *sh;

	if (id >= bf->nids)
		return bf_fail(bf, "response id %llu out of range", (unsigned long long)id);
	if (bf->state[id] != ID_PENDING)
		return bf_fail(bf,
		               "response id %llu not in flight (duplicate, stale or never sent)",
		               (unsigned long long)id);
	if (id % bf->nq != qi)
		return bf_fail(bf, "response id %llu on queue %u, sent on queue %llu",
		               (unsigned long long)id, qi, (unsigned long long)(id % bf->nq));
	sh = &bf->sh[id];
	if (rsp->operation != sh->op)
		return bf_fail(bf, "response id %llu: operation %u, request was %u",
		               (unsigned long long)id, rsp->operation, sh->op);
	if (rsp->status != BLKIF_RSP_OKAY && rsp->status != BLKIF_RSP_ERROR &&
	    rsp->status != BLKIF_RSP_EOPNOTSUPP)
		return bf_fail(bf, "response id %llu: bogus status %d", (unsigned long long)id,
		               rsp->status);
	sh->status = status_errno(rsp->status);
	if (sh->op == BLKIF_OP_READ && sh->status == 0 && sh->buf) {
		/* Once, only the bytes the request named, into private memory. */
		for (size_t off = 0, j = 0; off < sh->len; off += UMX_PAGE_SIZE, j++) {
			size_t n = sh->len - off < UMX_PAGE_SIZE ? sh->len - off : UMX_PAGE_SIZE;
			memcpy(sh->buf + off, id_page(bf, (unsigned)id, (unsigned)j), n);
		}
	}
	if (sh->status)
		bf->st.errors++;
	bf->st.inflight--;
	if (sh->sync) {
		if (sh->status && !bf->sync_err)
			bf->sync_err = sh->status;
		bf->sync_pending--;
		id_free(bf, (uint16_t)id);
	} else {
		bf->state[id] = ID_DONE;
		bf->doneq[(bf->done_head + bf->ndone) % BF_IDS_MAX] = (uint16_t)id;
		bf->ndone++;
	}
	return 0;
}

/* Consume every response the backend published: the count, or -EPROTO;
 * each queue's in @per_q (may be NULL). */
static int take_responses(umx_blkfront *bf, unsigned *per_q)
{
	struct blkif_response rsp[BF_REAP_BATCH];
	int n, done = 0;

	if (bf->reason[0])
		return -EPROTO;
	for (unsigned qi = 0; qi < bf->nq; qi++) {
		struct bf_queue *q = &bf->q[qi];
		do {
			n = umx_ring_take(&q->ring, rsp, BF_REAP_BATCH);
			if (n < 0)
				return bf_ring_fail(bf, q);
			for (int i = 0; i < n; i++)
				if (complete_one(bf, qi, &rsp[i]) < 0)
					return -EPROTO;
			done += n;
			if (per_q)
				per_q[qi] += (unsigned)n;
		} while (n == (int)BF_REAP_BATCH);
	}
	return done;
}

int umx_blkfront_reap(umx_blkfront *bf, struct umx_blk_done *out, unsigned max)
{
	unsigned n = 0;

	if (!bf->reason[0])
		(void)take_responses(bf, NULL);
	while (n < max && bf->ndone) {
		uint16_t id = bf->doneq[bf->done_head];
		bf->done_head = (bf->done_head + 1) % BF_IDS_MAX;
		bf->ndone--;
		out[n].cookie = bf->sh[id].cookie;
		out[n].status = bf->sh[id].status;
		id_free(bf, id);
		n++;
	}
	if (n == 0 && bf->reason[0])
		return -EPROTO;
	return (int)n;
}

/* ---- requests ----------------------------------------------------------------------- */

static int check_req(const umx_blkfront *bf, const struct umx_blk_req *rq)
{
	const struct umx_blk_info *in = &bf->info;
	uint64_t n = rq->len >> BLK_SECTOR_SHIFT;

	if (rq->op == UMX_BLK_FLUSH)
		return rq->len ? -EINVAL : (in->flush ? 0 : -EOPNOTSUPP);
	if (rq->op != UMX_BLK_READ && rq->op != UMX_BLK_WRITE && rq->op != UMX_BLK_DISCARD)
		return -EINVAL;
	if (!rq->len || rq->len % in->sector_size ||
	    rq->sector % (in->sector_size >> BLK_SECTOR_SHIFT))
		return -EINVAL;
	if (n > in->sectors || rq->sector > in->sectors - n)
		return -EINVAL;
	if (rq->op != UMX_BLK_READ && in->readonly)
		return -EROFS;
	if (rq->op == UMX_BLK_DISCARD)
		return in->discard ? 0 : -EOPNOTSUPP;
	if (rq->len > in->max_io || !rq->buf)
		return -EINVAL;
	return 0;
}

static int submit(umx_blkfront *bf, const struct umx_blk_req *rq, bool sync)
{
	/* One 112-byte slot, viewed as the request it carries. */
	union {
		struct blkif_request req;
		struct blkif_request_discard req_discard;
		struct blkif_request_indirect req_indirect;
	} e;
	struct shadow *sh;
	struct bf_queue *q;
	bool notify = false;
	uint16_t id;
	int r;

	if ((r = bf_usable(bf)) < 0)
		return r;
	if ((r = check_req(bf, rq)) < 0)
		return r;
	if (bf->nfree == 0)
		return -EAGAIN;
	id = bf->freeq[bf->free_head];
	q = &bf->q[id % bf->nq];
	/* Never 0 (ids per queue <= its entries) unless the ring broke. */
	r = umx_ring_space(&q->ring);
	if (r < 0)
		return bf_ring_fail(bf, q);
	if (r == 0)
		return -EAGAIN;
	bf->free_head = (bf->free_head + 1) % BF_IDS_MAX;
	bf->nfree--;
	sh = &bf->sh[id];
	memset(sh, 0, sizeof(*sh));
	sh->op = (uint8_t)rq->op;
	sh->sync = sync;
	sh->buf = rq->buf;
	sh->len = rq->len;
	sh->cookie = rq->cookie;
	memset(&e, 0, sizeof(e));
	if (rq->op == UMX_BLK_DISCARD) {
		e.req_discard.operation = BLKIF_OP_DISCARD;
		e.req_discard.handle = (blkif_vdev_t)bf->devid;
		e.req_discard.id = id;
		e.req_discard.sector_number = rq->sector;
		e.req_discard.nr_sectors = rq->len >> BLK_SECTOR_SHIFT;
		bf->st.discards++;
	} else {
		unsigned nseg = (unsigned)((rq->len + UMX_PAGE_SIZE - 1) / UMX_PAGE_SIZE);
		struct blkif_request_segment *seg = e.req.seg;

		if (nseg > UMX_BLK_SEGS) {
			/* Indirect: the descriptors go in the id's own last page,
			 * which only ever holds this id's descriptors. */
			seg = (struct blkif_request_segment *)id_page(bf, id, bf->id_pages - 1);
			e.req_indirect.operation = BLKIF_OP_INDIRECT;
			e.req_indirect.indirect_op = (uint8_t)rq->op;
			e.req_indirect.nr_segments = (uint16_t)nseg;
			e.req_indirect.id = id;
			e.req_indirect.sector_number = rq->sector;
			e.req_indirect.handle = (blkif_vdev_t)bf->devid;
			e.req_indirect.indirect_grefs[0] =
			        bf->refs[id * bf->id_pages + bf->id_pages - 1];
		} else {
			e.req.operation = (uint8_t)rq->op;
			e.req.nr_segments = (uint8_t)nseg;
			e.req.handle = (blkif_vdev_t)bf->devid;
			e.req.id = id;
			e.req.sector_number = rq->sector;
		}
		for (unsigned j = 0; j < nseg; j++) {
			size_t off = (size_t)j * UMX_PAGE_SIZE;
			size_t n = rq->len - off < UMX_PAGE_SIZE ? rq->len - off : UMX_PAGE_SIZE;
			struct blkif_request_segment sg = {
			        .gref = bf->refs[id * bf->id_pages + j],
			        .first_sect = 0,
			        .last_sect = (uint8_t)((n >> BLK_SECTOR_SHIFT) - 1)};
			memcpy(&seg[j], &sg, sizeof(sg));
			if (rq->op == UMX_BLK_WRITE)
				memcpy(id_page(bf, id, j), (const uint8_t *)rq->buf + off, n);
		}
		if (rq->op == UMX_BLK_READ) {
			bf->st.reads++;
			bf->st.bytes_read += rq->len;
		} else if (rq->op == UMX_BLK_WRITE) {
			bf->st.writes++;
			bf->st.bytes_written += rq->len;
		} else {
			bf->st.flushes++;
		}
	}
	bf->state[id] = ID_PENDING; /* before the producer moves */
	if (umx_ring_put(&q->ring, &e) < 0)
		return bf_ring_fail(bf, q); /* space was checked */
	if (umx_ring_push(&q->ring, &notify) < 0)
		return bf_ring_fail(bf, q);
	if (notify && bf->p)
		umx_plat_evtchn_notify(bf->p, q->port);
	bf->st.inflight++;
	if (sync)
		bf->sync_pending++;
	return 0;
}

int umx_blkfront_submit(umx_blkfront *bf, const struct umx_blk_req *rq)
{
	return submit(bf, rq, false);
}

/* ---- events --------------------------------------------------------------------------- */

static void check_backend_state(umx_blkfront *bf)
{
	int s = xenbus_read_state(bf->xs, bf->be);

	if (s != XenbusStateConnected && bf->connected) {
		umx_warn("blkfront vbd %u: backend left Connected (state %d)", bf->devid, s);
		bf->connected = false;
	}
}

/* 0, or -ENOTCONN once the store is gone (umxd died). */
static int drain_store(umx_blkfront *bf)
{
	char *path, *token;
	bool seen = false;
	int r;

	while ((r = umx_xs_read_watch(bf->xs, &path, &token, 0)) == 0) {
		free(path);
		free(token);
		seen = true;
	}
	if (r != -ETIMEDOUT) {
		bf->connected = false;
		return -ENOTCONN;
	}
	if (seen)
		check_backend_state(bf);
	return 0;
}

int umx_blkfront_wait(umx_blkfront *bf, int timeout_ms)
{
	struct pollfd pf[2];
	bool more = false, kicked[UMX_BLK_QUEUES_MAX] = {false};
	unsigned got_q[UMX_BLK_QUEUES_MAX] = {0};
	uint64_t now = umx_clock_ms();
	int port, got = 0, r;

	if (bf->reason[0])
		return -EPROTO;
	if (!bf->p)
		return -ENOTCONN; /* detached: nothing to wait on */
	for (unsigned i = 0; i < bf->nq; i++) {
		struct bf_queue *q = &bf->q[i];
		bool m = false;
		if (evstorm_release(&q->storm, now))
			umx_plat_evtchn_unmask(bf->p, q->port);
		timeout_ms = evstorm_timeout(&q->storm, now, timeout_ms);
		if (umx_ring_final_check(&q->ring, &m) < 0)
			return bf_ring_fail(bf, q);
		more |= m;
	}
	if (more || bf->ndone)
		timeout_ms = 0;
	pf[0].fd = umx_plat_evtchn_fd(bf->p);
	pf[0].events = POLLIN;
	pf[1].fd = umx_xs_fd(bf->xs);
	pf[1].events = POLLIN;
	r = poll(pf, 2, timeout_ms);
	if (r < 0 && errno != EINTR)
		return -errno;
	while ((port = umx_plat_evtchn_pending(bf->p)) >= 0) {
		unsigned i = 0;
		while (i < bf->nq && bf->q[i].port != (uint32_t)port)
			i++;
		if (i < bf->nq) {
			kicked[i] = true; /* stays masked until we know it brought work */
			continue;
		}
		umx_plat_evtchn_unmask(bf->p, (uint32_t)port);
	}
	if (drain_store(bf) < 0)
		return -ENOTCONN;
	got = take_responses(bf, got_q);
	if (got < 0)
		return -EPROTO;
	for (unsigned i = 0; i < bf->nq; i++) {
		if (!kicked[i])
			continue;
		/* No new responses on its ring: a spurious event
		 * (docs/HARDENING.md), judged per queue, so a backend that storms
		 * one channel while serving another is held all the same. */
		if (!got_q[i])
			bf->st.spurious_events++;
		if (evstorm_event(&bf->q[i].storm, umx_clock_ms(), got_q[i] > 0,
		                  UMX_BLK_STORM_EVENTS))
			umx_plat_evtchn_unmask(bf->p, bf->q[i].port);
	}
	if (!bf->connected)
		return -ENOTCONN;
	return (r > 0 || got || more) ? 0 : -ETIMEDOUT;
}

int umx_blkfront_fd(const umx_blkfront *bf)
{
	return bf->p ? umx_plat_evtchn_fd(bf->p) : -1;
}

int blkfront_detached_new(void *ring, void *pool, bool indirect, umx_blkfront **out)
{
	umx_blkfront *bf = calloc(1, sizeof(*bf));
	int r;

	if (!bf)
		return -ENOMEM;
	r = umx_ring_front_init(&bf->q[0].ring, ring, UMX_PAGE_SIZE, sizeof(struct blkif_request),
	                        sizeof(struct blkif_response), true);
	if (r < 0) {
		free(bf);
		return r;
	}
	bf->info = (struct umx_blk_info){.sectors = BLK_DETACHED_SECTORS,
	                                 .sector_size = 512,
	                                 .physical_sector_size = 512,
	                                 .flush = true,
	                                 .discard = true,
	                                 .ring_entries = umx_ring_size(&bf->q[0].ring),
	                                 .queues = 1};
	bf->nq = 1;
	bf->indirect = indirect;
	bf->info.max_segs = indirect ? UMX_BLK_FRONT_INDIRECT_SEGS : UMX_BLK_SEGS;
	bf->info.max_io = (size_t)bf->info.max_segs * UMX_PAGE_SIZE;
	bf->id_pages = bf->info.max_segs + (indirect ? 1u : 0u);
	bf->nids = BLK_DETACHED_IDS;
	bf->pool = pool;
	for (unsigned i = 0; i < bf->nids * bf->id_pages; i++)
		bf->refs[i] = 8 + i;
	for (unsigned i = 0; i < bf->nids; i++)
		id_free(bf, (uint16_t)i);
	bf->connected = true;
	*out = bf;
	return 0;
}

void blkfront_detached_free(umx_blkfront *bf)
{
	free(bf);
}

/* ---- synchronous wrappers ------------------------------------------------------------- */

/* Wait for every synchronous request in flight; 0 or the first error. On a
 * timeout or a broken device, reads still in flight are told to drop their
 * data (their buffer is the caller's, about to be reused). */
static int sync_finish(umx_blkfront *bf, int r)
{
	uint64_t end = umx_clock_ms() + BF_SYNC_TIMEOUT_MS;

	while (r == 0 && bf->sync_pending) {
		int w = umx_blkfront_wait(bf, 100);
		if (w == -ETIMEDOUT && umx_clock_ms() < end)
			continue;
		if (w < 0 && w != -ETIMEDOUT)
			r = w;
		else if (w == -ETIMEDOUT)
			r = -ETIMEDOUT;
	}
	if (bf->sync_pending)
		for (unsigned i = 0; i < bf->nids; i++)
			if (bf->state[i] == ID_PENDING && bf->sh[i].sync)
				bf->sh[i].buf = NULL;
	bf->sync_pending = 0;
	if (r == 0)
		r = bf->sync_err;
	bf->sync_err = 0;
	return r;
}

static int sync_io(umx_blkfront *bf, enum umx_blk_op op, uint64_t sector, void *buf, uint64_t len)
{
	uint64_t chunk = op == UMX_BLK_DISCARD ? (1ull << 30) : bf->info.max_io;
	uint64_t off = 0, end = umx_clock_ms() + BF_SYNC_TIMEOUT_MS;
	int r = 0;

	if (bf->sync_pending)
		return -EBUSY; /* not reentrant */
	chunk -= chunk % bf->info.sector_size;
	do {
		struct umx_blk_req rq = {.op = op,
		                         .sector = sector + (off >> BLK_SECTOR_SHIFT),
		                         .buf = buf ? (uint8_t *)buf + off : NULL,
		                         .len = (size_t)(len - off < chunk ? len - off : chunk)};
		r = submit(bf, &rq, true);
		if (r == -EAGAIN) {
			int w = umx_blkfront_wait(bf, 100);
			r = 0;
			if (w < 0 && w != -ETIMEDOUT)
				r = w;
			else if (umx_clock_ms() > end)
				r = -ETIMEDOUT;
			continue;
		}
		if (r < 0)
			break;
		off += rq.len;
	} while (r == 0 && off < len);
	return sync_finish(bf, r);
}

int umx_blkfront_read(umx_blkfront *bf, uint64_t sector, void *buf, size_t len)
{
	return sync_io(bf, UMX_BLK_READ, sector, buf, len);
}

int umx_blkfront_write(umx_blkfront *bf, uint64_t sector, const void *buf, size_t len)
{
	/* Only read from: submit copies it into the id's pages. */
	return sync_io(bf, UMX_BLK_WRITE, sector, (void *)buf, len);
}

int umx_blkfront_discard(umx_blkfront *bf, uint64_t sector, uint64_t len)
{
	return sync_io(bf, UMX_BLK_DISCARD, sector, NULL, len);
}

int umx_blkfront_flush(umx_blkfront *bf)
{
	struct umx_blk_req rq = {.op = UMX_BLK_FLUSH};
	int r;

	if (bf->sync_pending)
		return -EBUSY;
	while ((r = submit(bf, &rq, true)) == -EAGAIN) {
		int w = umx_blkfront_wait(bf, 100);
		if (w < 0 && w != -ETIMEDOUT)
			return w;
	}
	return sync_finish(bf, r);
}

/* ---- queries ---------------------------------------------------------------------------- */

void umx_blkfront_info(const umx_blkfront *bf, struct umx_blk_info *info)
{
	*info = bf->info;
}

const char *umx_blkfront_broken(const umx_blkfront *bf)
{
	return bf->reason[0] ? bf->reason : NULL;
}

void umx_blkfront_stats(const umx_blkfront *bf, struct umx_blk_stats *st)
{
	*st = bf->st;
}

/* ---- handshake -------------------------------------------------------------------------- */

/* Wait until the backend's state is one of @want (bitmask of 1 << state). */
static int wait_backend(umx_blkfront *bf, unsigned want, int timeout_ms)
{
	int64_t end = timeout_ms < 0 ? -1 : (int64_t)umx_clock_ms() + timeout_ms;
	char path_buf[192];

	for (;;) {
		char *path, *token;
		int s = xenbus_read_state(bf->xs, bf->be), left, r;

		if (s >= 0 && (want & (1u << s)))
			return s;
		if (s == XenbusStateClosed && !(want & (1u << XenbusStateClosed))) {
			/* A backend that could not open its file says so and stays
			 * Closed: give up at once instead of at the timeout. */
			char *why;
			snprintf(path_buf, sizeof(path_buf), "%s/hotplug-error", bf->be);
			if (umx_xs_read(bf->xs, UMX_XS_NO_TX, path_buf, &why, NULL) == 0) {
				umx_err("blkfront vbd %u: backend: %s", bf->devid, why);
				free(why);
				return -ECONNREFUSED;
			}
		}
		left = end < 0 ? -1 : (int)(end - (int64_t)umx_clock_ms());
		if (end >= 0 && left <= 0)
			return -ETIMEDOUT;
		r = umx_xs_read_watch(bf->xs, &path, &token, left);
		if (r == -ETIMEDOUT)
			continue;
		if (r < 0)
			return r;
		free(path);
		free(token);
	}
}

/* Remove what an earlier connection of this vbd may have left that this
 * one does not write: a backend would read a stale ring-page-order or
 * multi-queue-num-queues as ours. Absent nodes are fine. */
static void unpublish_stale(umx_blkfront *bf, uint32_t tx)
{
	static const char *const names[] = {"ring-page-order", "multi-queue-num-queues",
	                                    "ring-ref"};
	char path[192];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", bf->fe, names[i]);
		(void)umx_xs_rm(bf->xs, tx, path);
	}
	for (unsigned i = 0; i < BLK_RING_PAGES_MAX; i++) {
		snprintf(path, sizeof(path), "%s/ring-ref%u", bf->fe, i);
		(void)umx_xs_rm(bf->xs, tx, path);
	}
	for (unsigned i = 0; i < UMX_BLK_QUEUES_MAX; i++) {
		snprintf(path, sizeof(path), "%s/queue-%u", bf->fe, i);
		(void)umx_xs_rm(bf->xs, tx, path);
	}
}

static int publish(umx_blkfront *bf)
{
	uint32_t tx;
	int r;

	for (int tries = 0; tries < 16; tries++) {
		if ((r = umx_xs_transaction_start(bf->xs, &tx)) < 0)
			return r;
		unpublish_stale(bf, tx);
#define W(name, fmt, ...)                                                                \
	do {                                                                             \
		if ((r = xenbus_printf(bf->xs, tx, bf->fe, name, fmt, __VA_ARGS__)) < 0) \
			goto abort;                                                      \
	} while (0)
		if (bf->info.ring_order)
			W("ring-page-order", "%u", bf->info.ring_order);
		if (bf->nq > 1)
			W("multi-queue-num-queues", "%u", bf->nq);
		/* One queue: its nodes at the top; several: in queue-N only. */
		for (unsigned qi = 0; qi < bf->nq; qi++) {
			char pre[40] = "";
			if (bf->nq > 1)
				snprintf(pre, sizeof(pre), "queue-%u/", qi);
			for (unsigned i = 0; i < (1u << bf->info.ring_order); i++) {
				char name[40];
				if (bf->info.ring_order)
					snprintf(name, sizeof(name), "%sring-ref%u", pre, i);
				else
					snprintf(name, sizeof(name), "%sring-ref", pre);
				W(name, "%u", umx_plat_share_ref(bf->q[qi].s_ring, i));
			}
			snprintf(pre + strlen(pre), sizeof(pre) - strlen(pre), "event-channel");
			W(pre, "%u", bf->q[qi].port);
		}
		W("protocol", "%s", BLK_PROTOCOL);
		W("feature-persistent", "%u", bf->info.persistent ? 1u : 0u);
		W("state", "%d", XenbusStateInitialised);
#undef W
		r = umx_xs_transaction_end(bf->xs, tx, true);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
abort:
	umx_xs_transaction_end(bf->xs, tx, false);
	return r;
}

/* The disk as the backend describes it once Connected: hostile values are
 * refused (-EPROTO), absent features are off. */
static int read_geometry(umx_blkfront *bf)
{
	struct umx_blk_info *in = &bf->info;
	unsigned long v;

	if (xenbus_read_uint(bf->xs, bf->be, "sectors", &v) < 0 || v == 0 ||
	    v > (UINT64_MAX >> BLK_SECTOR_SHIFT))
		return bf_fail(bf, "backend sectors missing or out of range");
	in->sectors = v;
	if (xenbus_read_uint(bf->xs, bf->be, "sector-size", &v) < 0)
		v = 512;
	if (v < 512 || v > UMX_PAGE_SIZE || (v & (v - 1)))
		return bf_fail(bf, "backend sector-size %lu unusable", v);
	in->sector_size = (uint32_t)v;
	if (xenbus_read_uint(bf->xs, bf->be, "physical-sector-size", &v) < 0)
		v = in->sector_size;
	if (v < in->sector_size || v > (1ul << 20) || (v & (v - 1)))
		v = in->sector_size; /* advisory only: ignore a silly value */
	in->physical_sector_size = (uint32_t)v;
	if (xenbus_read_uint(bf->xs, bf->be, "info", &v) == 0) {
		in->readonly = (v & VDISK_READONLY) != 0;
		in->removable = (v & VDISK_REMOVABLE) != 0;
	}
#define FEAT(name, field)                                                              \
	do {                                                                           \
		in->field = xenbus_read_uint(bf->xs, bf->be, name, &v) == 0 && v == 1; \
	} while (0)
	FEAT("feature-flush-cache", flush);
	FEAT("feature-barrier", barrier);
	FEAT("feature-discard", discard);
#undef FEAT
	/* Persistent grants only when both ends offered them. */
	in->persistent = in->persistent &&
	                 xenbus_read_uint(bf->xs, bf->be, "feature-persistent", &v) == 0 && v == 1;
	if (in->discard && xenbus_read_uint(bf->xs, bf->be, "discard-granularity", &v) == 0 &&
	    v <= (1ul << 30))
		in->discard_granularity = (uint32_t)v;
	return 0;
}

static void release(umx_blkfront *bf)
{
	/* -EBUSY: the backend still maps a page; the platform keeps it out of
	 * any reuse and releases it later. Either way it is gone for us. */
	for (unsigned i = 0; i < UMX_BLK_QUEUES_MAX; i++) {
		struct bf_queue *q = &bf->q[i];
		if (q->s_ring)
			umx_plat_unshare(bf->p, q->s_ring);
		if (q->port)
			umx_plat_evtchn_unbind(bf->p, q->port);
		q->s_ring = NULL;
		q->port = 0;
	}
	if (bf->s_pool)
		umx_plat_unshare(bf->p, bf->s_pool);
	bf->s_pool = NULL;
}

/* The toolstack's nodes of this vbd: backend-id, backend. */
static int read_vbd_nodes(umx_blkfront *bf)
{
	char path[192], *val = NULL;
	unsigned long bid;
	int r;

	if ((r = xenbus_read_uint(bf->xs, bf->fe, "backend-id", &bid)) < 0)
		return r;
	if (bid >= 32752 || bid == umx_plat_domid(bf->p))
		return -EINVAL;
	bf->backend_id = (uint32_t)bid;
	snprintf(path, sizeof(path), "%s/backend", bf->fe);
	if ((r = umx_xs_read(bf->xs, UMX_XS_NO_TX, path, &val, NULL)) < 0)
		return r;
	if (strlen(val) >= sizeof(bf->be)) {
		free(val);
		return -ENAMETOOLONG;
	}
	strcpy(bf->be, val);
	free(val);
	return 0;
}

int umx_blkfront_open(umx_plat *p, unsigned devid, const struct umx_blkfront_opts *opts,
                      int timeout_ms, umx_blkfront **out)
{
	umx_blkfront *bf = calloc(1, sizeof(*bf));
	uint64_t end = umx_clock_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	unsigned long maxorder = 0, maxind = 0, maxq = 0;
	unsigned order, nq;
	char path[192];
	int r, port;

	if (!bf)
		return -ENOMEM;
	bf->p = p;
	bf->xs = umx_plat_xs(p);
	bf->devid = devid;
	snprintf(bf->fe, sizeof(bf->fe), "/local/domain/%u/device/vbd/%u", umx_plat_domid(p),
	         devid);
	/* The toolstack may not have written (all of) the vbd's nodes yet. */
	while ((r = read_vbd_nodes(bf)) == -ENOENT && (timeout_ms < 0 || umx_clock_ms() < end))
		usleep(50 * 1000);
	if (r < 0)
		goto err;
	if (xenbus_read_state(bf->xs, bf->fe) != XenbusStateInitialising &&
	    (r = xenbus_switch_state(bf->xs, bf->fe, XenbusStateInitialising)) < 0)
		goto err;
	snprintf(path, sizeof(path), "%s/state", bf->be);
	if ((r = umx_xs_watch(bf->xs, path, "blkfront")) < 0)
		goto err;
	if ((r = wait_backend(bf, 1u << XenbusStateInitWait, timeout_ms)) < 0)
		goto err_unwatch;

	if (xenbus_read_uint(bf->xs, bf->be, "max-ring-page-order", &maxorder) < 0)
		maxorder = 0;
	order = opts ? opts->ring_order : 0;
	if (order > maxorder)
		order = (unsigned)maxorder;
	if (order > UMX_BLK_RING_ORDER_MAX)
		order = UMX_BLK_RING_ORDER_MAX;
	bf->info.ring_order = order;
	/* Offered whatever the backend says now: our pages are dedicated for
	 * the connection's life anyway. Linux's blkback writes its own
	 * feature-persistent only when it connects: read_geometry() reads it. */
	bf->info.persistent = !(opts && opts->no_persistent);
	/* Queues: what we want, capped by what the backend offers (absent or
	 * 0: the feature is not there, one queue). */
	if (xenbus_read_uint(bf->xs, bf->be, "multi-queue-max-queues", &maxq) < 0 || maxq == 0)
		maxq = 1;
	nq = opts && opts->queues ? opts->queues : 1;
	if (nq > maxq)
		nq = (unsigned)maxq;
	if (nq > UMX_BLK_QUEUES_MAX)
		nq = UMX_BLK_QUEUES_MAX;
	bf->nq = bf->info.queues = nq;
	for (unsigned i = 0; i < nq; i++) {
		struct bf_queue *q = &bf->q[i];
		if ((r = umx_plat_share(p, bf->backend_id, 1u << order, false, NULL, &q->s_ring)) <
		    0)
			goto err_release;
		r = umx_ring_front_init(
		        &q->ring, umx_plat_share_addr(q->s_ring), (size_t)UMX_PAGE_SIZE << order,
		        sizeof(struct blkif_request), sizeof(struct blkif_response), true);
		if (r < 0)
			goto err_release;
		port = umx_plat_evtchn_alloc_unbound(p, bf->backend_id);
		if (port <= 0) {
			r = port < 0 ? port : -EIO;
			goto err_release;
		}
		q->port = (uint32_t)port;
	}
	bf->info.ring_entries = umx_ring_size(&bf->q[0].ring);
	/* Ids per queue (id % nq) never more than a ring's entries. */
	bf->nids =
	        bf->info.ring_entries * nq < BF_IDS_MAX ? bf->info.ring_entries * nq : BF_IDS_MAX;
	/* Indirect segments when the backend offers more than 11. */
	bf->info.max_segs = UMX_BLK_SEGS;
	if (!(opts && opts->no_indirect) &&
	    xenbus_read_uint(bf->xs, bf->be, "feature-max-indirect-segments", &maxind) == 0 &&
	    maxind > UMX_BLK_SEGS) {
		bf->indirect = true;
		bf->info.max_segs = maxind < UMX_BLK_FRONT_INDIRECT_SEGS
		                            ? (uint32_t)maxind
		                            : UMX_BLK_FRONT_INDIRECT_SEGS;
	}
	bf->info.max_io = (size_t)bf->info.max_segs * UMX_PAGE_SIZE;
	bf->id_pages = bf->info.max_segs + (bf->indirect ? 1u : 0u);
	if (bf->nids > BF_POOL_PAGES_MAX / bf->id_pages)
		bf->nids = BF_POOL_PAGES_MAX / bf->id_pages; /* 32 ids with indirect */
	/* Pages dedicated to this backend and to the data of one id each. */
	if ((r = umx_plat_share(p, bf->backend_id, bf->nids * bf->id_pages, false, NULL,
	                        &bf->s_pool)) < 0)
		goto err_release;
	bf->pool = umx_plat_share_addr(bf->s_pool);
	for (unsigned i = 0; i < bf->nids * bf->id_pages; i++)
		bf->refs[i] = umx_plat_share_ref(bf->s_pool, i);
	for (unsigned i = 0; i < bf->nids; i++)
		id_free(bf, (uint16_t)i);
	if ((r = publish(bf)) < 0)
		goto err_release;
	if ((r = wait_backend(bf, 1u << XenbusStateConnected, timeout_ms)) < 0)
		goto err_release;
	if ((r = read_geometry(bf)) < 0)
		goto err_release;
	if ((r = xenbus_switch_state(bf->xs, bf->fe, XenbusStateConnected)) < 0)
		goto err_release;
	bf->connected = true;
	*out = bf;
	return 0;
err_release:
	xenbus_switch_state(bf->xs, bf->fe, XenbusStateClosed);
	release(bf);
err_unwatch:
	snprintf(path, sizeof(path), "%s/state", bf->be);
	umx_xs_unwatch(bf->xs, path, "blkfront");
err:
	free(bf);
	return r;
}

void umx_blkfront_close(umx_blkfront *bf)
{
	char path[192];

	if (!bf)
		return;
	xenbus_switch_state(bf->xs, bf->fe, XenbusStateClosing);
	/* Give the backend a moment to unmap; if it does not, unshare reports
	 * busy and the platform defers the release. */
	wait_backend(bf, (1u << XenbusStateClosing) | (1u << XenbusStateClosed), 500);
	xenbus_switch_state(bf->xs, bf->fe, XenbusStateClosed);
	wait_backend(bf, (1u << XenbusStateClosed) | (1u << XenbusStateInitWait), 500);
	snprintf(path, sizeof(path), "%s/state", bf->be);
	umx_xs_unwatch(bf->xs, path, "blkfront");
	release(bf);
	free(bf);
}
