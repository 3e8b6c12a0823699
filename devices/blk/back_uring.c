/* SPDX-License-Identifier: MIT */
/*
 * blkback's io_uring engine: one io_uring per connected ring (queue). Each round
 * reaps the completions that arrived, takes up to a budget of requests off
 * the ring (copied once and validated by bb_parse(), exactly as the
 * synchronous path does), queues their I/O and submits them all with one
 * system call; page-cache reads and writes usually complete inside that
 * call, and are answered in the same round.
 *
 * Ordering: blkif orders nothing but flushes and barriers. A flush (with
 * or without data) and a barrier are queued with IOSQE_IO_DRAIN, so they
 * start only once everything submitted before them completed, and nothing
 * after them starts before they complete; their steps (sync, write, sync)
 * are linked. Rings are independent, as Linux's blkback's are: a flush
 * orders what came before it on its own ring; a frontend with several
 * queues orders across them by waiting for completions (the block layer
 * does).
 *
 * Pages: a request holds its pages (bb_map_req) until its last completion
 * was reaped; only then are they released and the response queued, so no
 * page is unmapped while the kernel may still write into it (MSA02), and
 * the frontend may end its grant once it sees the response. When every
 * persistent-grant slot is held by I/O in flight the request waits,
 * parsed, for completions, and nothing after it is taken meanwhile (which
 * would let it pass a flush). In flight per ring: at most BB_INFLIGHT
 * requests; the rest waits in the frontend's ring.
 *
 * In the default mode (UMX_BLKBACK_IO_AUTO) buffered writes to a regular
 * file are the exception: served in the loop (see start()); reads,
 * flushes and discards, and every operation on a block device or an
 * O_DIRECT file, go through io_uring. UMX_BLKBACK_IO_URING sends every
 * operation through io_uring.
 *
 * A short transfer (the file shrank, or the kernel stopped early) or a
 * link broken by one is redone synchronously, whole, with the same pages,
 * so its response tells the truth (-EIO once the file has shrunk).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blk_priv.h"
#include "umx/log.h"

#define BB_INFLIGHT 64u /* requests in flight per ring */
/* A barrier is three operations (sync, write, sync): the submission queue
 * holds a full round of them; the completion queue every one in flight. */
#define BB_SQ_ENTRIES 128u
#define BB_CQ_ENTRIES 256u
_Static_assert(UMX_BLK_BUDGET * 3 <= BB_SQ_ENTRIES, "a round's operations fit the SQ");
_Static_assert(BB_INFLIGHT * 3 + 1 <= BB_CQ_ENTRIES, "every completion (and a cancel) fits");

/* user_data: the request's slot index plus one (0 is a cancel's own
 * completion), shifted left once; the low bit is set on the data operation
 * (the one whose result is a byte count). An index, not a pointer, so a
 * completion is checked against the table before it is trusted. */
#define UD_DATA 1u

struct bb_io {
	struct bb_req rq; /* the validated private copy */
	struct bb_maps maps;
	struct iovec iov[UMX_BLK_INDIRECT_SEGS];
	unsigned pending; /* completions still to come */
	int rc;           /* the first failure, or 0 */
	bool redo;        /* short transfer or broken link: redo synchronously */
	int next;         /* free list */
};

struct bb_uring {
	struct io_uring ring;
	bool inline_writes; /* buffered writes to a regular file: in the loop */
	int free;           /* free slot list, -1 when all are in flight */
	unsigned inflight;
	struct bb_io *waiting; /* parsed, waiting for persistent-grant slots */
	struct bb_io io[BB_INFLIGHT];
};

static struct bb_io *slot_get(struct bb_uring *u)
{
	struct bb_io *io = &u->io[u->free];

	u->free = io->next;
	return io;
}

static void slot_put(struct bb_uring *u, struct bb_io *io)
{
	io->next = u->free;
	u->free = (int)(io - u->io);
}

static uint64_t ud_of(const struct bb_uring *u, const struct bb_io *io, bool data)
{
	return ((uint64_t)(io - u->io + 1) << 1) | (data ? UD_DATA : 0);
}

/* The slot a completion belongs to, or NULL for a cancel's own. */
static struct bb_io *io_of(struct bb_uring *u, uint64_t ud)
{
	uint64_t idx = ud >> 1;

	return idx && idx <= BB_INFLIGHT ? &u->io[idx - 1] : NULL;
}

int bb_uring_start(struct bb_queue *q)
{
	static const int ops[] = {IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
	                          IORING_OP_FALLOCATE, IORING_OP_ASYNC_CANCEL};
	struct io_uring_params p;
	struct io_uring_probe *probe;
	struct bb_uring *u = calloc(1, sizeof(*u));
	struct stat st;
	int r, fl;

	if (!u)
		return -ENOMEM;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = BB_CQ_ENTRIES;
	/* -ENOSYS (no io_uring), -EPERM (a seccomp filter, or
	 * kernel.io_uring_disabled), -ENOMEM: all mean "not here". */
	if ((r = io_uring_queue_init_params(BB_SQ_ENTRIES, &u->ring, &p)) < 0) {
		free(u);
		return r;
	}
	/* Every operation the engine queues must exist in this kernel. */
	probe = io_uring_get_probe_ring(&u->ring);
	r = probe ? 0 : -EOPNOTSUPP;
	for (size_t i = 0; probe && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!io_uring_opcode_supported(probe, ops[i]))
			r = -EOPNOTSUPP;
	if (probe)
		io_uring_free_probe(probe);
	if (r < 0) {
		io_uring_queue_exit(&u->ring);
		free(u);
		return r;
	}
	fl = fcntl(q->v->fd, F_GETFL);
	u->inline_writes = q->v->bb->io == UMX_BLKBACK_IO_AUTO && fstat(q->v->fd, &st) == 0 &&
	                   S_ISREG(st.st_mode) && fl >= 0 && !(fl & O_DIRECT);
	for (unsigned i = 0; i < BB_INFLIGHT; i++)
		u->io[i].next = i + 1 < BB_INFLIGHT ? (int)i + 1 : -1;
	u->free = 0;
	q->u = u;
	q->v->info.uring = true;
	return 0;
}

int bb_uring_fd(const struct bb_queue *q)
{
	return q->u ? q->u->ring.ring_fd : -1;
}

unsigned bb_uring_inflight(const struct bb_queue *q)
{
	return q->u ? q->u->inflight : 0;
}

static struct io_uring_sqe *sqe_for(struct bb_uring *u, struct bb_io *io, bool data, unsigned flags)
{
	/* Room was made for the request's operations before the first. */
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	io_uring_sqe_set_flags(sqe, flags);
	io_uring_sqe_set_data64(sqe, ud_of(u, io, data));
	io->pending++;
	return sqe;
}

/* Queue @io's operations: 0, 1 when it was served here instead (its
 * result in io->rc, counted), -EBUSY when its pages must wait, or -errno
 * (answered). */
static int start(struct bb_queue *q, struct bb_uring *u, struct bb_io *io)
{
	const struct bb_req *rq = &io->rq;
	uint8_t *pages[UMX_BLK_INDIRECT_SEGS];
	bool data = rq->nseg && rq->op != BLKIF_OP_DISCARD;
	uint64_t off = rq->sector << BLK_SECTOR_SHIFT;
	struct io_uring_sqe *sqe;
	int r;

	io->pending = 0;
	io->rc = 0;
	io->redo = false;
	io->maps.npgi = 0;
	io->maps.tmp = NULL;
	/* A buffered write to a regular file would be handed to an io_uring
	 * worker thread (filesystems without non-blocking buffered writes,
	 * ext4 among them): a thread wakeup per write, measured 2-3x slower
	 * than writing it here (docs/PERFORMANCE.md). Written here, in ring
	 * order, everything written before a flush is complete when the
	 * flush is queued. An empty discard has nothing to queue. */
	if ((u->inline_writes && data && rq->op != BLKIF_OP_READ) ||
	    (rq->op == BLKIF_OP_DISCARD && !rq->nr_sect)) {
		io->rc = bb_serve(q, rq);
		return 1;
	}
	if (data) {
		if ((r = bb_map_req(q, rq, rq->op == BLKIF_OP_READ, pages, &io->maps)) < 0)
			return r;
		bb_iov(rq, pages, io->iov);
	}
	if (io_uring_sq_space_left(&u->ring) < 3)
		io_uring_submit(&u->ring); /* makes room: a round fits (see above) */
	switch (rq->op) {
	case BLKIF_OP_READ:
		sqe = sqe_for(u, io, true, 0);
		io_uring_prep_readv(sqe, q->v->fd, io->iov, rq->nseg, off);
		break;
	case BLKIF_OP_WRITE:
		sqe = sqe_for(u, io, true, 0);
		io_uring_prep_writev(sqe, q->v->fd, io->iov, rq->nseg, off);
		break;
	case BLKIF_OP_WRITE_BARRIER:
		/* Behind everything before it: stable, this write, stable. */
		sqe = sqe_for(u, io, false, IOSQE_IO_DRAIN | IOSQE_IO_LINK);
		io_uring_prep_fsync(sqe, q->v->fd, IORING_FSYNC_DATASYNC);
		sqe = sqe_for(u, io, true, IOSQE_IO_LINK);
		io_uring_prep_writev(sqe, q->v->fd, io->iov, rq->nseg, off);
		sqe = sqe_for(u, io, false, 0);
		io_uring_prep_fsync(sqe, q->v->fd, IORING_FSYNC_DATASYNC);
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		/* Behind everything before it: its data (Linux's
		 * REQ_PREFLUSH|REQ_FUA), then one sync for all. */
		if (data) {
			sqe = sqe_for(u, io, true, IOSQE_IO_DRAIN | IOSQE_IO_LINK);
			io_uring_prep_writev(sqe, q->v->fd, io->iov, rq->nseg, off);
		}
		sqe = sqe_for(u, io, false, data || u->inline_writes ? 0 : IOSQE_IO_DRAIN);
		io_uring_prep_fsync(sqe, q->v->fd, IORING_FSYNC_DATASYNC);
		break;
	case BLKIF_OP_DISCARD:
		sqe = sqe_for(u, io, false, 0);
		io_uring_prep_fallocate(sqe, q->v->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		                        off, rq->nr_sect << BLK_SECTOR_SHIFT);
		break;
	default: /* bb_parse() lets no other operation through */
		bb_unmap_req(q, &io->maps);
		return -EOPNOTSUPP;
	}
	u->inflight++;
	return 0;
}

/* @io's last completion is in: release its pages, answer it. 0, or
 * -EPROTO when answering broke the ring (the vbd is failed, the engine
 * gone). */
static int finish(struct bb_queue *q, struct bb_uring *u, struct bb_io *io)
{
	int rc = io->rc;

	u->inflight--;
	if (!rc && io->redo)
		rc = bb_serve_sync(q->v, &io->rq, io->rq.nseg ? io->iov : NULL);
	bb_unmap_req(q, &io->maps);
	if (rc == 0)
		bb_account(q->v, &io->rq);
	slot_put(u, io);
	return bb_respond(q, io->rq.id, io->rq.rsp_op, rc);
}

/* Account one completion to its request. */
static void complete_one(struct bb_io *io, uint64_t ud, int res)
{
	bool is_short =
	        ud & UD_DATA && res >= 0 && (uint64_t)res != io->rq.nr_sect << BLK_SECTOR_SHIFT;

	/* A short transfer, a link it broke, or a retry: redo synchronously. */
	if (is_short || res == -ECANCELED || res == -EINTR || res == -EAGAIN)
		io->redo = true;
	else if (res < 0 && !io->rc)
		io->rc = res;
	io->pending--;
}

/* Answer every request whose I/O is complete: 0, or -EPROTO. */
static int reap(struct bb_queue *q, struct bb_uring *u)
{
	struct io_uring_cqe *cqe;

	/* One completion at a time, consumed before it is acted on: finish()
	 * may fail the vbd, which frees the engine. */
	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		struct bb_io *io = io_of(u, ud);

		io_uring_cqe_seen(&u->ring, cqe);
		if (!io)
			continue; /* a cancel's own completion */
		complete_one(io, ud, res);
		if (!io->pending && finish(q, u, io) < 0)
			return -EPROTO;
	}
	return 0;
}

/* Start the request waiting for pages: 0 when it started (or was answered
 * otherwise), -EBUSY while it still waits, -EPROTO. */
static int retry_waiting(struct bb_queue *q, struct bb_uring *u)
{
	struct bb_io *io = u->waiting;
	int r = start(q, u, io);

	if (r == -EBUSY && u->inflight)
		return -EBUSY;
	u->waiting = NULL;
	if (r == 0)
		return 0;
	slot_put(u, io);
	/* Served here, or (cannot happen: a request has far fewer pages than
	 * the cache) no slot with nothing in flight: answered. */
	return bb_respond(q, io->rq.id, io->rq.rsp_op, r == 1 ? io->rc : r) < 0 ? -EPROTO : 0;
}

int bb_uring_run(struct bb_queue *q, unsigned budget, bool *notify, bool *blocked)
{
	struct bb_uring *u = q->u;
	unsigned done = 0;
	bool n = false;
	int r;

	*notify = false;
	*blocked = false;
	if (reap(q, u) < 0)
		return -EPROTO;
	if (u->waiting && (r = retry_waiting(q, u)) < 0) {
		if (r == -EPROTO)
			return r;
		*blocked = true;
	}
	while (!*blocked && done < budget) {
		union blkif_sring_entry slot;
		struct bb_io *io;
		char why[160];

		if (u->free < 0) {
			*blocked = true; /* BB_INFLIGHT in flight: completions first */
			break;
		}
		if ((r = umx_ring_take(&q->ring, &slot.req, 1)) < 0)
			return bb_vbd_fail(q->v, "ring: %s", umx_ring_broken(&q->ring));
		if (r == 0)
			break;
		done++;
		io = slot_get(u);
		why[0] = 0;
		r = bb_parse(q, &slot.req, &io->rq, why, sizeof(why));
		if (r == -EPROTO) {
			slot_put(u, io);
			return bb_vbd_fail(q->v, "%s", why);
		}
		if (r < 0)
			umx_debug("blkback: vbd %u/%u: %s", q->v->info.front_domid,
			          q->v->info.devid, why);
		else
			r = start(q, u, io);
		if (r == -EBUSY && u->inflight) {
			u->waiting = io;
			*blocked = true;
			break;
		}
		if (r == 0)
			continue;
		slot_put(u, io);
		if (bb_respond(q, io->rq.id, io->rq.rsp_op, r == 1 ? io->rc : r) < 0)
			return -EPROTO;
	}
	/* One submit for the round; an error leaves the operations queued
	 * for the next one (io_uring keeps what it did not consume). */
	if (io_uring_sq_ready(&u->ring) && (r = io_uring_submit(&u->ring)) < 0 && r != -EAGAIN &&
	    r != -EBUSY && r != -EINTR)
		return bb_vbd_fail(q->v, "io_uring submit: %s", strerror(-r));
	/* What completed inside the submit is answered now. */
	if (reap(q, u) < 0)
		return -EPROTO;
	if (umx_ring_push(&q->ring, &n) < 0)
		return bb_vbd_fail(q->v, "ring: %s", umx_ring_broken(&q->ring));
	*notify = n;
	return (int)done;
}

void bb_uring_stop(struct bb_queue *q)
{
	struct bb_uring *u = q->u;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;

	if (!u)
		return;
	q->u = NULL; /* info.uring stays: the engine of the last connection */
	if (u->waiting)
		slot_put(u, u->waiting); /* holds nothing: its map failed */
	if (u->inflight) {
		/* Cancel what the kernel can, then wait for every completion:
		 * only then may the pages go. Queued-but-unsubmitted operations
		 * are submitted by this same call and cancelled or completed. */
		if ((sqe = io_uring_get_sqe(&u->ring)) != NULL) {
			io_uring_prep_cancel_fd(sqe, q->v->fd, IORING_ASYNC_CANCEL_ALL);
			io_uring_sqe_set_data64(sqe, 0);
		}
		io_uring_submit(&u->ring);
	}
	while (u->inflight) {
		int r = io_uring_wait_cqe(&u->ring, &cqe);
		uint64_t ud;
		struct bb_io *io;

		if (r == -EINTR)
			continue;
		if (r < 0) {
			/* Cannot happen with a live ring; the pages then stay
			 * mapped (leaked) rather than unmapped under I/O. */
			umx_err("blkback: vbd %u/%u: waiting for I/O: %s; its pages stay mapped",
			        q->v->info.front_domid, q->v->info.devid, strerror(-r));
			q->npg = 0;
			return;
		}
		ud = io_uring_cqe_get_data64(cqe);
		io = io_of(u, ud);
		io_uring_cqe_seen(&u->ring, cqe);
		if (!io)
			continue;
		if (--io->pending == 0) {
			u->inflight--;
			bb_unmap_req(q, &io->maps);
			slot_put(u, io);
		}
	}
	io_uring_queue_exit(&u->ring);
	free(u);
}
