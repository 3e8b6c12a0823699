/* SPDX-License-Identifier: MIT */
/*
 * blkback over a file: every vbd the toolstack creates under this domain's
 * backend/vbd/ is served from the file its `params` names.
 *
 * A frontend is hostile input. The ring core copies each request out of
 * shared memory once (and validates the producer index); bb_parse()
 * validates that private copy once, completely, before anything acts on it
 * (XSA-155: nothing is read from the ring twice). The frontend's pages are
 * then mapped all or nothing, and a map failure is the request's failure,
 * answered with an error, never ignored (XSA-365). Responses are built in
 * a zeroed struct and the ring core zeroes the rest of the slot, so no
 * byte of ours leaks through padding (XSA-216). Work is bounded per disk
 * per round (UMX_BLK_BUDGET), and a disk whose frontend notifies without
 * work is held (evstorm.h, XSA-391).
 *
 * I/O goes through io_uring where the kernel allows it (back_uring.c: one
 * submit per ring drain, completions answered as they come, a flush or a
 * barrier drained behind every write before it). Otherwise, or when asked
 * (umx_blkback_set_io), it is synchronous here: requests are served, and
 * their effects ordered, exactly in ring order.
 *
 * The mappings are back_pgnt.c, the handshake back_xenbus.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blk_priv.h"
#include "umx/internal/clock.h"
#include "umx/log.h"

/* ---- disk lifetime ---------------------------------------------------------- */

struct bb_queue *bb_queue_get(struct bb_vbd *v, unsigned i)
{
	struct bb_queue *q = v->q[i];

	if (q)
		return q;
	if (!(q = calloc(1, sizeof(*q))))
		return NULL;
	q->v = v;
	q->idx = i;
	bb_pgnt_flush(q);
	v->q[i] = q;
	return q;
}

static void queue_release(struct bb_queue *q)
{
	umx_plat *p = q->v->bb->p;

	/* I/O in flight may still write into the frontend's pages: it ends
	 * before any of them is unmapped (MSA02). */
	bb_uring_stop(q);
	bb_pgnt_flush(q);
	if (q->m_ring)
		umx_plat_unmap(p, q->m_ring);
	q->m_ring = NULL;
	if (q->port)
		umx_plat_evtchn_unbind(p, q->port);
	q->port = 0;
	q->kicked = false;
	q->storm = (struct evstorm){0};
}

void bb_vbd_disconnect(struct bb_vbd *v)
{
	v->info.connected = false;
	if (!v->bb)
		return;
	/* Every queue, not only the connection's: a connection that failed
	 * half-way (a later queue's nodes bad) has earlier ones mapped. */
	for (unsigned i = 0; i < UMX_BLK_QUEUES_MAX; i++)
		if (v->q[i])
			queue_release(v->q[i]);
	v->nq = 0;
}

int bb_vbd_fail(struct bb_vbd *v, const char *fmt, ...)
{
	va_list ap;

	if (v->info.reason[0])
		return -EPROTO;
	va_start(ap, fmt);
	vsnprintf(v->info.reason, sizeof(v->info.reason), fmt, ap);
	va_end(ap);
	if (!v->info.reason[0])
		snprintf(v->info.reason, sizeof(v->info.reason), "broken");
	umx_err("blkback: vbd %u/%u disconnected: %s", v->info.front_domid, v->info.devid,
	        v->info.reason);
	v->info.st.errors++;
	for (unsigned i = 0; i < v->nq; i++) /* the connection's rings */
		umx_ring_mark_broken(&v->q[i]->ring, "%s", v->info.reason);
	if (v->bb) {
		bb_vbd_disconnect(v);
		xenbus_switch_state(v->bb->xs, v->be, XenbusStateClosing);
	}
	return -EPROTO;
}

/* ---- validation --------------------------------------------------------------- */

static int why_fmt(char *why, size_t len, int rc, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int why_fmt(char *why, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* [@sector, @sector + @n) within the disk, both aligned to its sector. */
static int check_range(const struct bb_vbd *v, uint64_t sector, uint64_t n, char *why, size_t wl)
{
	uint64_t align = v->info.sector_size >> BLK_SECTOR_SHIFT;

	if ((sector | n) & (align - 1))
		return why_fmt(why, wl, -EINVAL, "sectors %llu+%llu not aligned to %u bytes",
		               (unsigned long long)sector, (unsigned long long)n,
		               v->info.sector_size);
	if (n > v->info.sectors || sector > v->info.sectors - n)
		return why_fmt(why, wl, -EINVAL, "sectors %llu+%llu beyond the disk's %llu",
		               (unsigned long long)sector, (unsigned long long)n,
		               (unsigned long long)v->info.sectors);
	return 0;
}

/* The segments of a read or write (direct or indirect): each within its
 * page, aligned to the sector size; the whole within the disk. */
static int check_segs(const struct bb_vbd *v, struct bb_req *out, char *why, size_t wl)
{
	uint64_t align = v->info.sector_size >> BLK_SECTOR_SHIFT;

	out->nr_sect = 0;
	for (unsigned i = 0; i < out->nseg; i++) {
		const struct blkif_request_segment *s = &out->seg[i];
		if (s->first_sect > s->last_sect || s->last_sect >= BLK_SECTORS_PER_PAGE)
			return why_fmt(why, wl, -EPROTO,
			               "request id %llu: segment %u sectors %u..%u",
			               (unsigned long long)out->id, i, s->first_sect, s->last_sect);
		out->nr_sect += (uint64_t)(s->last_sect - s->first_sect + 1);
	}
	for (unsigned i = 0; i < out->nseg; i++)
		if ((out->seg[i].first_sect | (out->seg[i].last_sect + 1u)) & (align - 1))
			return why_fmt(why, wl, -EINVAL,
			               "segment %u not aligned to %u-byte sectors", i,
			               v->info.sector_size);
	if (out->op != BLKIF_OP_READ && out->nseg && v->info.readonly)
		return why_fmt(why, wl, -EINVAL, "write to a read-only disk");
	if (out->op == BLKIF_OP_FLUSH_DISKCACHE && !out->nseg)
		return 0; /* a pure flush names no range */
	return check_range(v, out->sector, out->nr_sect, why, wl);
}

int bb_parse(struct bb_queue *q, const void *raw, struct bb_req *out, char *why, size_t wl)
{
	const struct bb_vbd *v = q->v;
	struct blkif_request rw;
	struct blkif_request_discard d;
	struct blkif_request_indirect ind;
	int r;

	/* One copy of the slot, already private (the ring core took it): the
	 * views below are copies of that, never of shared memory. */
	memcpy(&rw, raw, sizeof(rw));
	memset(out, 0, offsetof(struct bb_req, seg));
	q->work++;
	out->op = out->rsp_op = rw.operation;
	out->id = rw.id;
	switch (rw.operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		out->sector = rw.sector_number;
		out->nseg = rw.nr_segments;
		if (out->nseg > UMX_BLK_SEGS ||
		    (out->nseg == 0 && rw.operation != BLKIF_OP_FLUSH_DISKCACHE))
			return why_fmt(why, wl, -EPROTO, "request id %llu: %u segments (op %u)",
			               (unsigned long long)rw.id, out->nseg, rw.operation);
		memcpy(out->seg, rw.seg, out->nseg * sizeof(out->seg[0]));
		return check_segs(v, out, why, wl);
	case BLKIF_OP_INDIRECT:
		memcpy(&ind, raw, sizeof(ind));
		out->indirect = true;
		out->op = out->rsp_op = ind.indirect_op;
		out->sector = ind.sector_number;
		out->nseg = ind.nr_segments;
		if (ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE)
			return why_fmt(why, wl, -EINVAL, "indirect operation %u", ind.indirect_op);
		if (out->nseg == 0 || out->nseg > UMX_BLK_INDIRECT_SEGS)
			return why_fmt(why, wl, -EPROTO, "indirect request id %llu: %u segments",
			               (unsigned long long)ind.id, out->nseg);
		/* Copied once out of the indirect pages; only the copy is used. */
		r = bb_read_indirect(q, ind.indirect_grefs, (unsigned)BLK_INDIRECT_PAGES(out->nseg),
		                     out->seg, out->nseg);
		if (r < 0)
			return why_fmt(why, wl, -EINVAL, "indirect pages of id %llu do not map",
			               (unsigned long long)ind.id);
		return check_segs(v, out, why, wl);
	case BLKIF_OP_DISCARD:
		memcpy(&d, raw, sizeof(d));
		out->sector = d.sector_number;
		out->nr_sect = d.nr_sectors;
		out->flag = d.flag;
		if (d.flag & ~BLKIF_DISCARD_SECURE)
			return why_fmt(why, wl, -EPROTO, "discard id %llu: flags %#x",
			               (unsigned long long)d.id, d.flag);
		if (v->info.readonly || (d.flag & BLKIF_DISCARD_SECURE))
			return why_fmt(why, wl, -EOPNOTSUPP, "discard%s not offered",
			               d.flag ? " (secure)" : "");
		return check_range(v, out->sector, out->nr_sect, why, wl);
	default:
		/* Reserved and unknown operations: not offered, answered as
		 * Linux's blkback answers them. */
		return why_fmt(why, wl, -EOPNOTSUPP, "operation %u not supported", rw.operation);
	}
}

/* ---- I/O -------------------------------------------------------------------------- */

/* All of @iov at @off, resuming after short transfers; 0 or -errno. */
static int rw_full(int fd, bool write, struct iovec *iov, int n, off_t off)
{
	while (n > 0) {
		ssize_t r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO; /* the file shrank under us */
		off += r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++, n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static int sync_file(struct bb_vbd *v)
{
	return fdatasync(v->fd) < 0 ? -errno : 0;
}

void bb_iov(const struct bb_req *rq, uint8_t *const *pages, struct iovec *iov)
{
	for (unsigned i = 0; i < rq->nseg; i++) {
		iov[i].iov_base = pages[i] + ((size_t)rq->seg[i].first_sect << BLK_SECTOR_SHIFT);
		iov[i].iov_len = (size_t)(rq->seg[i].last_sect - rq->seg[i].first_sect + 1)
		                 << BLK_SECTOR_SHIFT;
	}
}

static int do_discard(struct bb_vbd *v, const struct bb_req *rq)
{
	if (!rq->nr_sect)
		return 0;
	if (fallocate(v->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	              (off_t)(rq->sector << BLK_SECTOR_SHIFT),
	              (off_t)(rq->nr_sect << BLK_SECTOR_SHIFT)) < 0)
		return errno == EOPNOTSUPP ? -EOPNOTSUPP : -errno;
	return 0;
}

int bb_serve_sync(struct bb_vbd *v, const struct bb_req *rq, struct iovec *iov)
{
	off_t off = (off_t)(rq->sector << BLK_SECTOR_SHIFT);
	int r;

	switch (rq->op) {
	case BLKIF_OP_READ:
		return rw_full(v->fd, false, iov, (int)rq->nseg, off);
	case BLKIF_OP_WRITE_BARRIER:
		/* Everything before is already written (served in order, or
		 * drained first by the io_uring engine): make it stable, then
		 * this write, then make that stable. */
		if ((r = sync_file(v)) < 0)
			return r;
		if ((r = rw_full(v->fd, true, iov, (int)rq->nseg, off)) < 0)
			return r;
		return sync_file(v);
	case BLKIF_OP_WRITE:
		return rw_full(v->fd, true, iov, (int)rq->nseg, off);
	case BLKIF_OP_FLUSH_DISKCACHE:
		/* Linux sends data with a flush (REQ_PREFLUSH|REQ_FUA): write it,
		 * then one fdatasync covers both what came before and it. */
		if (rq->nseg && (r = rw_full(v->fd, true, iov, (int)rq->nseg, off)) < 0)
			return r;
		return sync_file(v);
	case BLKIF_OP_DISCARD:
		return do_discard(v, rq);
	default:
		return -EOPNOTSUPP;
	}
}

void bb_account(struct bb_vbd *v, const struct bb_req *rq)
{
	struct umx_blk_stats *st = &v->info.st;
	uint64_t bytes = rq->nr_sect << BLK_SECTOR_SHIFT;

	switch (rq->op) {
	case BLKIF_OP_READ:
		st->reads++;
		st->bytes_read += bytes;
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		st->flushes++;
		if (rq->nseg) { /* its data is a write */
			st->writes++;
			st->bytes_written += bytes;
		}
		break;
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
		st->writes++;
		st->bytes_written += bytes;
		break;
	case BLKIF_OP_DISCARD:
		st->discards++;
		break;
	default:
		break;
	}
}

int bb_serve(struct bb_queue *q, const struct bb_req *rq)
{
	struct bb_vbd *v = q->v;
	struct iovec iov[UMX_BLK_INDIRECT_SEGS];
	uint8_t *pages[UMX_BLK_INDIRECT_SEGS];
	struct bb_maps mp = {0};
	bool data = rq->nseg && rq->op != BLKIF_OP_DISCARD;
	int r;

	/* A read writes into the frontend's pages, a write reads them. */
	if (data) {
		if ((r = bb_map_req(q, rq, rq->op == BLKIF_OP_READ, pages, &mp)) < 0)
			return r;
		bb_iov(rq, pages, iov);
	}
	r = bb_serve_sync(v, rq, data ? iov : NULL);
	if (data)
		bb_unmap_req(q, &mp);
	if (r == 0)
		bb_account(v, rq);
	return r;
}

int bb_respond(struct bb_queue *q, uint64_t id, uint8_t op, int rc)
{
	struct bb_vbd *v = q->v;
	struct blkif_response rsp;

	/* Zeroed first: the padding after operation and after status is ours
	 * (XSA-216). */
	memset(&rsp, 0, sizeof(rsp));
	rsp.id = id; /* echoed; uniqueness is the frontend's job */
	rsp.operation = op;
	rsp.status = rc == 0             ? BLKIF_RSP_OKAY
	             : rc == -EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP
	                                 : BLKIF_RSP_ERROR;
	if (rc)
		v->info.st.errors++;
	if (umx_ring_put(&q->ring, &rsp) < 0)
		return bb_vbd_fail(v, "ring: %s", umx_ring_broken(&q->ring));
	return 0;
}

/* Up to @budget requests, each served before the next is taken; the
 * number handled or -EPROTO. */
static int queue_run_sync(struct bb_queue *q, unsigned budget, bool *notify)
{
	struct bb_vbd *v = q->v;
	unsigned done = 0;
	bool n = false;

	*notify = false;
	while (done < budget && !v->info.reason[0]) {
		union blkif_sring_entry slot;
		struct bb_req *rq = &q->rq;
		char why[160];
		int r = umx_ring_take(&q->ring, &slot.req, 1);

		if (r < 0)
			return bb_vbd_fail(v, "ring: %s", umx_ring_broken(&q->ring));
		if (r == 0)
			break;
		done++;
		why[0] = 0;
		r = bb_parse(q, &slot.req, rq, why, sizeof(why));
		if (r == -EPROTO)
			return bb_vbd_fail(v, "%s", why);
		if (r < 0)
			umx_debug("blkback: vbd %u/%u: %s", v->info.front_domid, v->info.devid,
			          why);
		else
			r = bb_serve(q, rq);
		if (bb_respond(q, rq->id, rq->rsp_op, r) < 0)
			return -EPROTO;
	}
	if (v->info.reason[0])
		return -EPROTO;
	if (umx_ring_push(&q->ring, &n) < 0)
		return bb_vbd_fail(v, "ring: %s", umx_ring_broken(&q->ring));
	*notify = n;
	return (int)done;
}

static int queue_run(struct bb_queue *q, unsigned budget, bool *notify, bool *blocked)
{
	*blocked = false;
	return q->u ? bb_uring_run(q, budget, notify, blocked) : queue_run_sync(q, budget, notify);
}

/* ---- detached (fuzzing) --------------------------------------------------- */

int blkback_detached_new(void *ring, int fd, uint64_t sectors, uint32_t sector_size,
                         bb_page_fn page, void *ctx, struct bb_vbd **out)
{
	struct bb_vbd *v = calloc(1, sizeof(*v));
	struct bb_queue *q;
	int r;

	if (!v)
		return -ENOMEM;
	if ((sector_size != 512 && sector_size != 4096) || !(q = bb_queue_get(v, 0))) {
		free(v);
		return sector_size != 512 && sector_size != 4096 ? -EINVAL : -ENOMEM;
	}
	v->fd = fd;
	v->page_fn = page;
	v->ctx = ctx;
	v->info.sectors = sectors;
	v->info.sector_size = sector_size;
	v->info.persistent = true;
	if ((r = umx_ring_back_init(&q->ring, ring, UMX_PAGE_SIZE, sizeof(struct blkif_request),
	                            sizeof(struct blkif_response), false)) < 0) {
		free(q);
		free(v);
		return r;
	}
	v->nq = v->info.queues = 1;
	v->info.connected = true;
	*out = v;
	return 0;
}

int blkback_detached_run(struct bb_vbd *v, unsigned budget)
{
	bool notify;
	return queue_run_sync(v->q[0], budget, &notify);
}

const char *blkback_detached_broken(const struct bb_vbd *v)
{
	return v->info.reason[0] ? v->info.reason : NULL;
}

void blkback_detached_free(struct bb_vbd *v)
{
	free(v->q[0]);
	free(v);
}

/* ---- public --------------------------------------------------------------------- */

int umx_blkback_open(umx_plat *p, umx_blkback **out)
{
	umx_blkback *bb = calloc(1, sizeof(*bb));
	int r;

	if (!bb)
		return -ENOMEM;
	bb->p = p;
	bb->xs = umx_plat_xs(p);
	bb->domid = umx_plat_domid(p);
	snprintf(bb->dir, sizeof(bb->dir), "/local/domain/%u/backend/vbd", bb->domid);
	if ((r = umx_xs_watch(bb->xs, bb->dir, "be")) < 0) {
		free(bb);
		return r;
	}
	bb_rescan(bb);
	*out = bb;
	return 0;
}

int umx_blkback_set_io(umx_blkback *bb, enum umx_blkback_io io)
{
	if (io != UMX_BLKBACK_IO_AUTO && io != UMX_BLKBACK_IO_URING && io != UMX_BLKBACK_IO_SYNC)
		return -EINVAL;
	bb->io = io;
	return 0;
}

int umx_blkback_provide(umx_blkback *bb, const char *path, int fd)
{
	if (path[0] != '/' || strlen(path) >= sizeof(bb->files[0].path) || fd < 0)
		return -EINVAL;
	if (bb->nfiles == UMX_BLK_VBDS_MAX)
		return -ENOSPC;
	if ((fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	snprintf(bb->files[bb->nfiles].path, sizeof(bb->files[0].path), "%s", path);
	bb->files[bb->nfiles++].fd = fd;
	/* A vbd attached before its file was provided gets it now. */
	for (unsigned i = 0; i < bb->nvbds; i++)
		if (bb->vbds[i]->fd < 0 && !strcmp(bb->vbds[i]->info.params, path))
			bb_vbd_setup(bb->vbds[i]);
	return 0;
}

void umx_blkback_close(umx_blkback *bb)
{
	if (!bb)
		return;
	for (unsigned i = 0; i < bb->nfiles; i++)
		close(bb->files[i].fd);
	umx_xs_unwatch(bb->xs, bb->dir, "be");
	for (unsigned i = 0; i < bb->nvbds; i++) {
		xenbus_switch_state(bb->xs, bb->vbds[i]->be, XenbusStateClosed);
		bb_vbd_free(bb, bb->vbds[i]);
	}
	free(bb);
}

static struct bb_queue *queue_by_port(struct umx_blkback *bb, uint32_t port)
{
	for (unsigned i = 0; i < bb->nvbds; i++) {
		struct bb_vbd *v = bb->vbds[i];
		for (unsigned j = 0; v->info.connected && j < v->nq; j++)
			if (v->q[j]->port == port)
				return v->q[j];
	}
	return NULL;
}

/* An event that brought no work is spurious (docs/HARDENING.md, "Event
 * storms"): counted; past UMX_BLK_STORM_EVENTS in a window the port stays
 * masked until the window ends (the ring is polled every round anyway). */
static void storm_check(struct umx_blkback *bb, struct bb_queue *q, uint64_t now)
{
	bool work = q->work != q->work_mark;

	q->kicked = false;
	if (!work)
		q->v->info.st.spurious_events++;
	if (evstorm_event(&q->storm, now, work, UMX_BLK_STORM_EVENTS))
		umx_plat_evtchn_unmask(bb->p, q->port);
}

/* Serve the rings of a connected @v: sets bb->busy when one has more. */
static void vbd_run(struct umx_blkback *bb, struct bb_vbd *v)
{
	/* A failure disconnects the whole disk (nq drops to 0). */
	for (unsigned j = 0; v->info.connected && j < v->nq; j++) {
		struct bb_queue *q = v->q[j];
		bool notify = false, more = false, blocked = false;
		int n = queue_run(q, UMX_BLK_BUDGET, &notify, &blocked);

		if (n < 0)
			return;
		if (notify)
			umx_plat_evtchn_notify(bb->p, q->port);
		/* A full budget, or requests that came while we re-armed; not
		 * while the engine is full (its completions wake us). */
		if (!blocked && (n == (int)UMX_BLK_BUDGET ||
		                 (umx_ring_final_check(&q->ring, &more) == 0 && more)))
			bb->busy = true;
	}
}

int umx_blkback_poll(umx_blkback *bb, int timeout_ms)
{
	struct pollfd pf[2 + UMX_BLK_VBDS_MAX * UMX_BLK_QUEUES_MAX];
	nfds_t npf = 2;
	char *path, *token;
	uint64_t now = umx_clock_ms();
	int port;

	pf[0].fd = umx_plat_evtchn_fd(bb->p);
	pf[0].events = POLLIN;
	pf[1].fd = umx_xs_fd(bb->xs);
	pf[1].events = POLLIN;
	/* Completions of I/O in flight wake us too; held ports end their hold. */
	for (unsigned i = 0; i < bb->nvbds; i++) {
		struct bb_vbd *v = bb->vbds[i];
		for (unsigned j = 0; j < v->nq; j++) {
			int fd = bb_uring_fd(v->q[j]);
			if (fd >= 0 && bb_uring_inflight(v->q[j])) {
				pf[npf].fd = fd;
				pf[npf++].events = POLLIN;
			}
			timeout_ms = evstorm_timeout(&v->q[j]->storm, now, timeout_ms);
		}
	}
	if (poll(pf, npf, bb->busy ? 0 : timeout_ms) < 0 && errno != EINTR)
		return -errno;
	now = umx_clock_ms();
	/* Events only say "look"; every connected ring is looked at below. A
	 * port stays masked until its work was done (storm_check). */
	while ((port = umx_plat_evtchn_pending(bb->p)) >= 0) {
		struct bb_queue *q = queue_by_port(bb, (uint32_t)port);
		if (!q) {
			umx_plat_evtchn_unmask(bb->p, (uint32_t)port);
			continue;
		}
		if (!q->kicked)
			q->work_mark = q->work;
		q->kicked = true;
	}
	for (unsigned i = 0; i < bb->nvbds; i++) {
		struct bb_vbd *v = bb->vbds[i];
		for (unsigned j = 0; v->info.connected && j < v->nq; j++)
			if (evstorm_release(&v->q[j]->storm, now))
				umx_plat_evtchn_unmask(bb->p, v->q[j]->port);
	}
	for (;;) {
		int r = umx_xs_read_watch(bb->xs, &path, &token, 0);
		if (r == -ETIMEDOUT)
			break;
		if (r < 0) {
			/* The store is gone (umxd died): nothing can be served any
			 * more, and polling a hung-up descriptor would spin. */
			umx_warn("blkback: store connection lost: %s", strerror(-r));
			return -ENOTCONN;
		}
		bb_handle_watch(bb, path, token);
		free(path);
		free(token);
	}

	bb->busy = false;
	for (unsigned i = 0; i < bb->nvbds; i++)
		if (bb->vbds[i]->info.connected)
			vbd_run(bb, bb->vbds[i]);
	for (unsigned i = 0; i < bb->nvbds; i++) {
		struct bb_vbd *v = bb->vbds[i];
		for (unsigned j = 0; v->info.connected && j < v->nq; j++)
			if (v->q[j]->kicked)
				storm_check(bb, v->q[j], now);
	}
	if (umx_clock_ms() - bb->stats_at >= 1000) {
		bb_publish_stats(bb);
		bb->stats_at = umx_clock_ms();
	}
	return 0;
}

int umx_blkback_run(umx_blkback *bb, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		int r = umx_blkback_poll(bb, 200);
		if (r < 0)
			return r;
	}
	return 0;
}

int umx_blkback_vbds(const umx_blkback *bb, struct umx_blk_vbd *out, unsigned max)
{
	unsigned n = bb->nvbds < max ? bb->nvbds : max;

	for (unsigned i = 0; i < n; i++) {
		const struct bb_vbd *v = bb->vbds[i];
		out[i] = v->info;
		out[i].pgrants = 0;
		out[i].st.inflight = 0;
		for (unsigned j = 0; j < v->nq; j++) {
			out[i].pgrants += v->q[j]->npg;
			out[i].st.inflight += bb_uring_inflight(v->q[j]);
		}
	}
	return (int)bb->nvbds;
}
