/* SPDX-License-Identifier: MIT */
/*
 * Tracers (`umx trace`): who may trace, the bounded buffer of each, and
 * the decoding of requests into records (include/umx/trace.h).
 *
 * A tracer is a stream socket umxd made for a toolstack client. Records go
 * into the tracer's ring buffer (bytes, fixed size chosen at open) and
 * leave it when the socket is writable: umxd watches EPOLLOUT only while
 * something is queued, so records of one loop round go out in one write.
 * umxd never blocks on a tracer: a record that does not fit is dropped and
 * counted, and the first record that fits afterwards is preceded by
 * UMX_TR_LOST with the count. A tracer that sends anything, or hangs up,
 * is ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "gnttab.h"
#include "umx/log.h"
#include "trace.h"
#include "xenstore/xs.h"

struct tracer {
	struct umxd *umxd;
	int fd;
	struct umxd_io *io;
	uint32_t mask;
	uint32_t ndomains;
	uint32_t domains[UMX_TRACE_DOMAINS_MAX];
	unsigned char *buf;
	size_t size, head, used; /* bytes [head, head + used) mod size are queued */
	uint64_t lost;           /* dropped since the last UMX_TR_LOST queued */
	bool out_armed;          /* EPOLLOUT watched */
	struct tracer *next;
};

/* What an UNMAP's handles named, read before the handler frees them. */
struct unmap_pre {
	uint32_t id; /* the request's (0: none) */
	uint32_t count;
	uint32_t granter[UMX_GNT_BATCH_MAX];
	uint32_t ref[UMX_GNT_BATCH_MAX];
};

struct umxd_trace {
	struct tracer *tracers;
	unsigned ntracers;
	uint64_t seq;
	struct unmap_pre unmap;
	/* The bitmaps of domains whose rings and frames a tracer wants
	 * (UMX_TRACE_FLAG_PAGES pages), made when a domain first asks:
	 * umxd writes them through @flags, domains map @flags_ro_fd. */
	uint8_t *flags;
	int flags_fd, flags_ro_fd;
};

#define FLAGS_BYTES (UMX_TRACE_FLAG_PAGES * UMX_PAGE_SIZE)
_Static_assert(UMXD_DOMID_LAST / 8 < UMX_PAGE_SIZE, "a page holds a bit per domid");

/* Each tracer that wants @cat of every domain sets every bit; one that
 * names domains sets theirs. Written while domains read it: a domain
 * that reads a stale bit sends one report too many or too few. */
static void flags_page_update(struct umxd_trace *tr, unsigned page, uint32_t cat)
{
	uint8_t *bits = tr->flags + (size_t)page * UMX_PAGE_SIZE;
	uint8_t want[UMX_PAGE_SIZE];

	memset(want, 0, sizeof(want));
	for (struct tracer *t = tr->tracers; t; t = t->next) {
		if (!(t->mask & cat))
			continue;
		if (!t->ndomains)
			memset(want, 0xff, sizeof(want));
		for (uint32_t i = 0; i < t->ndomains; i++)
			if (t->domains[i] <= UMXD_DOMID_LAST)
				want[t->domains[i] / 8] |= (uint8_t)(1u << (t->domains[i] % 8));
	}
	for (size_t i = 0; i < sizeof(want); i++)
		__atomic_store_n(&bits[i], want[i], __ATOMIC_RELAXED);
}

static void recompute_mask(struct umxd *umxd)
{
	uint32_t mask = 0;

	if (umxd->trace)
		for (struct tracer *t = umxd->trace->tracers; t; t = t->next)
			mask |= t->mask;
	umxd->trace_mask = mask;
	if (umxd->trace && umxd->trace->flags) {
		flags_page_update(umxd->trace, UMX_TRACE_FLAG_RINGS, UMX_TRACE_RINGS);
		flags_page_update(umxd->trace, UMX_TRACE_FLAG_FRAMES, UMX_TRACE_FRAMES);
	}
	if (umxd->xs)
		xs_store_set_trace(umxd_xs_store(umxd->xs), (mask & UMX_TRACE_STORE) != 0);
}

static void tracer_destroy(struct tracer *t)
{
	umxd_io_del(t->io);
	close(t->fd);
	free(t->buf);
	free(t);
}

/* End one trace: it hung up, wrote to us, or its socket failed. */
static void tracer_free(struct tracer *t)
{
	struct umxd *umxd = t->umxd;
	struct umxd_trace *tr = umxd->trace;

	for (struct tracer **pp = &tr->tracers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	tr->ntracers--;
	tracer_destroy(t);
	recompute_mask(umxd);
	umx_info("trace ended (%u tracing)", tr->ntracers);
}

/* Write what is queued, as much as the socket takes. 0, or -errno when the
 * tracer is gone (the caller ends it). */
static int tracer_flush(struct tracer *t)
{
	while (t->used) {
		struct iovec iov[2];
		size_t first = t->size - t->head < t->used ? t->size - t->head : t->used;
		int n = 1;
		ssize_t w;

		iov[0].iov_base = t->buf + t->head;
		iov[0].iov_len = first;
		if (first < t->used) {
			iov[1].iov_base = t->buf;
			iov[1].iov_len = t->used - first;
			n = 2;
		}
		w = writev(t->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		t->head = (t->head + (size_t)w) % t->size;
		t->used -= (size_t)w;
	}
	if (!t->used)
		t->head = 0;
	if ((t->used != 0) != t->out_armed &&
	    umxd_io_set_events(t->io, EPOLLIN | EPOLLRDHUP | (t->used ? EPOLLOUT : 0)) == 0)
		t->out_armed = t->used != 0;
	return 0;
}

static void tracer_io(struct umxd_io *io, uint32_t events, void *ctx)
{
	struct tracer *t = ctx;
	(void)io;

	/* The tracer only reads: input, a hangup or an error ends it. */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		tracer_free(t);
		return;
	}
	if ((events & EPOLLOUT) && tracer_flush(t) < 0)
		tracer_free(t);
}

static void put_bytes(struct tracer *t, const void *p, size_t len)
{
	size_t tail = (t->head + t->used) % t->size;
	size_t first = t->size - tail < len ? t->size - tail : len;

	memcpy(t->buf + tail, p, first);
	memcpy(t->buf, (const unsigned char *)p + first, len - first);
	t->used += len;
}

static bool wants(const struct tracer *t, uint32_t cat, uint32_t domid, uint32_t peer)
{
	if (!(t->mask & cat))
		return false;
	if (!t->ndomains)
		return true;
	for (uint32_t i = 0; i < t->ndomains; i++)
		if (t->domains[i] == domid || t->domains[i] == peer)
			return true;
	return false;
}

static void queue(struct tracer *t, const struct umx_trace_rec *rec)
{
	struct umx_trace_rec lost;
	size_t need = rec->len + (t->lost ? sizeof(lost) : 0);
	bool was_empty = t->used == 0;

	if (t->size - t->used < need) {
		t->lost++;
		return;
	}
	if (t->lost) {
		memset(&lost, 0, sizeof(lost));
		lost.len = sizeof(lost);
		lost.type = UMX_TR_LOST;
		lost.ns = rec->ns;
		lost.seq = rec->seq;
		lost.peer = UMX_TRACE_NONE;
		lost.a = t->lost > UINT32_MAX ? UINT32_MAX : (uint32_t)t->lost;
		put_bytes(t, &lost, sizeof(lost));
		t->lost = 0;
	}
	put_bytes(t, rec, rec->len);
	/* Sent when the loop finds the socket writable, with whatever else
	 * this round queues. */
	if (was_empty && !t->out_armed &&
	    umxd_io_set_events(t->io, EPOLLIN | EPOLLRDHUP | EPOLLOUT) == 0)
		t->out_armed = true;
}

void umxd_trace_emit(struct umxd *umxd, uint16_t type, uint32_t domid, uint32_t peer,
                     int32_t result, const uint32_t abcd[4], const void *payload, size_t plen)
{
	union {
		struct umx_trace_rec rec;
		unsigned char raw[UMX_TRACE_REC_MAX];
	} u;
	uint32_t cat = umxd_trace_cat(type);
	struct timespec ts;
	size_t max = UMX_TRACE_REC_MAX - sizeof(u.rec);

	if (!umxd->trace)
		return;
	umxd->trace->seq++;
	if (plen > max)
		plen = max;
	memset(&u.rec, 0, sizeof(u.rec));
	clock_gettime(CLOCK_REALTIME, &ts);
	u.rec.type = type;
	u.rec.domid = domid;
	u.rec.ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	u.rec.seq = umxd->trace->seq;
	u.rec.peer = peer;
	u.rec.result = result;
	u.rec.a = abcd[0];
	u.rec.b = abcd[1];
	u.rec.c = abcd[2];
	u.rec.d = abcd[3];
	u.rec.plen = (uint16_t)plen;
	if (plen)
		memcpy(u.raw + sizeof(u.rec), payload, plen);
	/* Padding to 8 bytes is zero: no stack bytes leave umxd. */
	u.rec.len = (uint16_t)((sizeof(u.rec) + plen + 7) & ~(size_t)7);
	memset(u.raw + sizeof(u.rec) + plen, 0, u.rec.len - sizeof(u.rec) - plen);
	for (struct tracer *t = umxd->trace->tracers; t; t = t->next)
		if (wants(t, cat, domid, peer))
			queue(t, &u.rec);
}

static void emit4(struct umxd *umxd, uint16_t type, uint32_t domid, uint32_t peer, int32_t result,
                  uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	const uint32_t abcd[4] = {a, b, c, d};
	umxd_trace_emit(umxd, type, domid, peer, result, abcd, NULL, 0);
}

/* ---- requests and their replies -------------------------------------- */

/* The reply's result array of a batch (count, then @elem_size entries),
 * or NULL when the body is not one. */
static const unsigned char *batch_results(const void *body, size_t len, size_t elem_size,
                                          uint32_t *count)
{
	if (!body || len < sizeof(uint32_t))
		return NULL;
	memcpy(count, body, sizeof(*count));
	if (*count > UMX_GNT_BATCH_MAX || len - sizeof(uint32_t) < *count * elem_size)
		return NULL;
	return (const unsigned char *)body + sizeof(uint32_t);
}

/* The request's array after a head of @head bytes whose first field is
 * the count, or NULL. The handler has checked it already when it
 * replied 0, but this decodes every reply, error ones too. */
static const unsigned char *batch_ops(const struct umx_msg *m, size_t head, size_t count_off,
                                      size_t elem_size, uint32_t *count)
{
	if (m->hdr.len < head || head < count_off + sizeof(uint32_t))
		return NULL;
	memcpy(count, m->payload + count_off, sizeof(*count));
	if (*count > UMX_GNT_BATCH_MAX || m->hdr.len - head != *count * elem_size)
		return NULL;
	return m->payload + head;
}

static void trace_map(struct umxd *umxd, uint32_t domid, const struct umx_msg *m, int32_t result,
                      const void *body, size_t body_len)
{
	struct umx_ctl_gnt_map_req req;
	struct umx_ctl_gnt_map_op op;
	struct umx_ctl_gnt_map_res res;
	uint32_t n, nres = 0;
	const unsigned char *ops = batch_ops(m, sizeof(req), 4, sizeof(op), &n);
	const unsigned char *rs =
	        result == 0 ? batch_results(body, body_len, sizeof(res), &nres) : NULL;

	if (!ops)
		return;
	memcpy(&req, m->payload, sizeof(req));
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&op, ops + i * sizeof(op), sizeof(op));
		if (rs && i < nres)
			memcpy(&res, rs + i * sizeof(res), sizeof(res));
		emit4(umxd, UMX_TR_GNT_MAP, domid, req.granter,
		      rs && i < nres ? res.status : result, op.ref, op.flags,
		      rs && i < nres ? res.handle : UMX_TRACE_NONE, 0);
	}
}

static void trace_status_batch(struct umxd *umxd, uint16_t type, uint32_t domid,
                               const struct umx_msg *m, int32_t result, const void *body,
                               size_t body_len)
{
	const struct unmap_pre *pre = &umxd->trace->unmap;
	bool copy = type == UMX_TR_GNT_COPY;
	size_t elem = copy ? sizeof(struct umx_gnt_copy_seg) : sizeof(uint32_t);
	uint32_t n, nst = 0;
	const unsigned char *ops = batch_ops(m, 8, 0, elem, &n);
	const unsigned char *st = result == 0 ? batch_results(body, body_len, 2, &nst) : NULL;

	if (!ops)
		return;
	for (uint32_t i = 0; i < n; i++) {
		int16_t s = 0;
		int32_t r = result;

		if (st && i < nst) {
			memcpy(&s, st + i * 2, sizeof(s));
			r = s;
		}
		if (copy) {
			struct umx_gnt_copy_seg seg;
			memcpy(&seg, ops + i * elem, sizeof(seg));
			emit4(umxd, type, domid,
			      seg.flags & UMX_GNT_COPY_SOURCE_GREF ? seg.source.domid
			      : seg.flags & UMX_GNT_COPY_DEST_GREF ? seg.dest.domid
			                                           : UMX_TRACE_NONE,
			      r, seg.len, seg.source.ref_or_frame, seg.dest.ref_or_frame,
			      seg.flags);
		} else {
			bool known = pre->id == m->hdr.id && i < pre->count;
			uint32_t h;
			memcpy(&h, ops + i * elem, sizeof(h));
			emit4(umxd, type, domid, known ? pre->granter[i] : UMX_TRACE_NONE, r, h,
			      known ? pre->ref[i] : UMX_TRACE_NONE, 0, 0);
		}
	}
}

void umxd_trace_request_slow(struct umxd_conn *conn, const struct umx_msg *m)
{
	struct unmap_pre *pre = conn->umxd->trace ? &conn->umxd->trace->unmap : NULL;
	const struct umxd_gnt *g = conn->dom ? conn->dom->gnt : NULL;
	const unsigned char *hs;
	uint32_t n;

	if (!pre || m->hdr.type != UMX_CTL_GNT_UNMAP)
		return;
	pre->id = 0;
	if (!conn->domain_conn || !g ||
	    !(hs = batch_ops(m, sizeof(struct umx_ctl_gnt_unmap_req), 0, sizeof(uint32_t), &n)))
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h;
		memcpy(&h, hs + i * sizeof(h), sizeof(h));
		pre->granter[i] = pre->ref[i] = UMX_TRACE_NONE;
		if (h < g->nhandles && g->handles[h].in_use) {
			pre->granter[i] = g->handles[h].granter;
			pre->ref[i] = g->handles[h].ref;
		}
	}
	pre->count = n;
	pre->id = m->hdr.id;
}

/* End-access of @ref by @dom: who the entry names and how often it is
 * mapped now, from umxd's own pins (the entry's domid is the domain's
 * memory: read once, shown, never trusted). */
static void trace_end_access(struct umxd *umxd, struct umxd_domain *dom, uint32_t ref,
                             int32_t unshare_result)
{
	const struct umxd_gnt *g = dom ? dom->gnt : NULL;
	uint32_t peer = UMX_TRACE_NONE, rd = 0, wr = 0;

	if (g && g->table && ref < g->nentries) {
		const grant_entry_v1_t *e = (const grant_entry_v1_t *)g->table + ref;
		peer = __atomic_load_n(&e->domid, __ATOMIC_RELAXED);
		if (g->active) {
			rd = g->active[ref].readers;
			wr = g->active[ref].writers;
		}
	}
	emit4(umxd, UMX_TR_GNT_END_ACCESS, dom ? dom->domid : UMX_TRACE_NONE, peer,
	      rd || wr ? -EBUSY : 0, ref, rd, wr, unshare_result == 0);
}

/* The fixed-size request of @m, or false. */
static bool req_fixed(const struct umx_msg *m, void *out, size_t size)
{
	if (m->hdr.len != size)
		return false;
	memcpy(out, m->payload, size);
	return true;
}

void umxd_trace_reply_slow(struct umxd_conn *conn, const struct umx_msg *m, int32_t result,
                           const void *body, size_t body_len)
{
	struct umxd *umxd = conn->umxd;
	uint32_t domid = conn->domain_conn ? (conn->dom ? conn->dom->domid : UMX_TRACE_NONE) : 0;
	union {
		struct umx_ctl_region_alloc ra;
		struct umx_ctl_region_free rf;
		struct umx_ctl_gnt_share_notify sn;
		struct umx_ctl_gnt_unshare us;
		struct umx_ctl_evt_alloc_unbound au;
		struct umx_ctl_evt_bind bi;
		struct umx_ctl_evt_close cl;
		struct umx_ctl_domain_create dc;
		struct umx_ctl_domid di;
	} q;
	uint32_t v[2] = {0, 0};

	if (body && body_len >= sizeof(v))
		memcpy(v, body, sizeof(v));
	else if (body && body_len >= sizeof(v[0]))
		memcpy(v, body, sizeof(v[0]));
	switch (m->hdr.type) {
	case UMX_CTL_HELLO:
		if (conn->domain_conn && result == 0 && umxd_tracing(umxd, UMX_TRACE_LIFECYCLE))
			emit4(umxd, UMX_TR_DOM_RUNNING, domid, UMX_TRACE_NONE, 0, 0, 0, 0, 0);
		break;
	case UMX_CTL_DOMAIN_CREATE:
		if (umxd_tracing(umxd, UMX_TRACE_LIFECYCLE) && req_fixed(m, &q.dc, sizeof(q.dc))) {
			const uint32_t abcd[4] = {0};
			q.dc.name[sizeof(q.dc.name) - 1] = 0;
			if (result == 0)
				q.dc.name[0] = 0; /* the name umxd chose, below */
			if (result == 0 && v[0] <= UMXD_DOMID_LAST && umxd->domains[v[0]])
				umxd_trace_emit(umxd, UMX_TR_DOM_CREATE, v[0], 0, 0, abcd,
				                umxd->domains[v[0]]->name,
				                strlen(umxd->domains[v[0]]->name));
			else if (result != 0)
				umxd_trace_emit(umxd, UMX_TR_DOM_CREATE, UMX_TRACE_NONE, 0, result,
				                abcd, q.dc.name, strlen(q.dc.name));
		}
		break;
	case UMX_CTL_DOMAIN_DESTROY:
		if (umxd_tracing(umxd, UMX_TRACE_LIFECYCLE) && req_fixed(m, &q.di, sizeof(q.di)))
			emit4(umxd, UMX_TR_DOM_DESTROY, q.di.domid, 0, result, 0, 0, 0, 0);
		break;
	case UMX_CTL_GNT_REGION_ALLOC:
		if (umxd_tracing(umxd, UMX_TRACE_GRANTS) && req_fixed(m, &q.ra, sizeof(q.ra)))
			emit4(umxd, UMX_TR_GNT_REGION_ALLOC, domid, q.ra.peer, result, q.ra.npages,
			      q.ra.flags, result == 0 ? v[0] : 0, 0);
		break;
	case UMX_CTL_GNT_REGION_FREE:
		if (umxd_tracing(umxd, UMX_TRACE_GRANTS) && req_fixed(m, &q.rf, sizeof(q.rf)))
			emit4(umxd, UMX_TR_GNT_REGION_FREE, domid, UMX_TRACE_NONE, result,
			      q.rf.base_frame, 0, 0, 0);
		break;
	case UMX_CTL_GNT_MAP:
		if (umxd_tracing(umxd, UMX_TRACE_GRANTS))
			trace_map(umxd, domid, m, result, body, body_len);
		break;
	case UMX_CTL_GNT_UNMAP:
		if (umxd_tracing(umxd, UMX_TRACE_GRANTS))
			trace_status_batch(umxd, UMX_TR_GNT_UNMAP, domid, m, result, body,
			                   body_len);
		break;
	case UMX_CTL_GNT_COPY:
		if (umxd_tracing(umxd, UMX_TRACE_GRANTS))
			trace_status_batch(umxd, UMX_TR_GNT_COPY, domid, m, result, body, body_len);
		break;
	case UMX_CTL_GNT_SHARE_NOTIFY:
		if (umxd_tracing(umxd, UMX_TRACE_GRANTS) && req_fixed(m, &q.sn, sizeof(q.sn)))
			emit4(umxd, UMX_TR_GNT_SHARE_NOTIFY, domid, UMX_TRACE_NONE, result,
			      q.sn.ref, q.sn.flags, q.sn.offset, q.sn.port);
		break;
	case UMX_CTL_GNT_UNSHARE:
		if (umxd_tracing(umxd, UMX_TRACE_GRANTS) && req_fixed(m, &q.us, sizeof(q.us)))
			trace_end_access(umxd, conn->dom, q.us.ref, result);
		break;
	case UMX_CTL_EVT_ALLOC_UNBOUND:
		if (umxd_tracing(umxd, UMX_TRACE_EVENTS) && req_fixed(m, &q.au, sizeof(q.au)))
			emit4(umxd, UMX_TR_EVT_ALLOC_UNBOUND, domid, q.au.remote_domid, result,
			      result == 0 ? v[0] : 0, 0, 0, 0);
		break;
	case UMX_CTL_EVT_BIND_INTERDOMAIN:
		if (umxd_tracing(umxd, UMX_TRACE_EVENTS) && req_fixed(m, &q.bi, sizeof(q.bi)))
			emit4(umxd, UMX_TR_EVT_BIND, domid, q.bi.remote_domid, result,
			      result == 0 ? v[0] : 0, q.bi.remote_port, 0, 0);
		break;
	case UMX_CTL_EVT_CLOSE:
		if (umxd_tracing(umxd, UMX_TRACE_EVENTS) && req_fixed(m, &q.cl, sizeof(q.cl)))
			emit4(umxd, UMX_TR_EVT_CLOSE, domid, UMX_TRACE_NONE, result, q.cl.port, 0,
			      0, 0);
		break;
	default:
		break;
	}
}

/* ---- the store -------------------------------------------------------- */

void umxd_trace_xs(void *ctx, unsigned domid, bool reply, const void *msg, size_t len)
{
	struct umxd *umxd = ctx;
	uint32_t h[4]; /* struct xsd_sockmsg: type, req_id, tx_id, len */

	if (!umxd_tracing(umxd, UMX_TRACE_STORE) || len < sizeof(h))
		return;
	memcpy(h, msg, sizeof(h));
	h[3] = (uint32_t)(len - sizeof(h));
	umxd_trace_emit(umxd, reply ? UMX_TR_XS_REPLY : UMX_TR_XS_REQUEST, domid, UMX_TRACE_NONE, 0,
	                h, (const unsigned char *)msg + sizeof(h),
	                h[3] < UMX_TRACE_XS_PAYLOAD_MAX ? h[3] : UMX_TRACE_XS_PAYLOAD_MAX);
}

/* ---- what domains report -------------------------------------------- */

static struct umxd_trace *trace_state(struct umxd *umxd)
{
	if (!umxd->trace && (umxd->trace = calloc(1, sizeof(*umxd->trace)))) {
		umxd->trace->flags_fd = -1;
		umxd->trace->flags_ro_fd = -1;
	}
	return umxd->trace;
}

static int flags_make(struct umxd_trace *tr)
{
	char path[64];
	void *p;
	int fd;

	if (tr->flags)
		return 0;
	fd = memfd_create("umx-trace-flags", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, FLAGS_BYTES) < 0)
		goto err;
	p = mmap(NULL, FLAGS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto err;
	/* Domains get a read-only descriptor of it, which no mprotect or
	 * reopen makes writable (as read-only grant regions). */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	tr->flags_ro_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (tr->flags_ro_fd < 0) {
		munmap(p, FLAGS_BYTES);
		goto err;
	}
	tr->flags = p;
	tr->flags_fd = fd;
	return 0;
err : {
	int e = -errno;
	close(fd);
	return e;
}
}

int umxd_h_trace_flags(struct umxd_conn *c, struct umx_msg *m)
{
	struct umxd_trace *tr;
	int r;

	if (m->hdr.len != 0)
		return -EBADMSG;
	if (!(tr = trace_state(c->umxd)))
		return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
	if ((r = flags_make(tr)) < 0)
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	recompute_mask(c->umxd);
	return umxd_reply(c, m, 0, NULL, 0, &tr->flags_ro_fd, 1);
}

int umxd_h_trace_report(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_trace_report rep;
	uint32_t cat;

	if (m->hdr.len < sizeof(rep) || !c->dom)
		return -EBADMSG;
	memcpy(&rep, m->payload, sizeof(rep));
	if (rep.type != UMX_TR_RING && rep.type != UMX_TR_FRAME)
		return -EBADMSG;
	cat = umxd_trace_cat(rep.type);
	/* Its own domid, whatever it says; the rest is its word. */
	if (umxd_tracing(c->umxd, cat)) {
		const uint32_t v[4] = {rep.a, rep.b, rep.c, rep.d};
		umxd_trace_emit(c->umxd, rep.type, c->dom->domid, rep.peer, 0, v,
		                m->payload + sizeof(rep), m->hdr.len - sizeof(rep));
	}
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

/* ---- opening and ending traces -------------------------------------- */

int umxd_h_trace_open(struct umxd_conn *c, struct umx_msg *m)
{
	struct umxd *umxd = c->umxd;
	struct umx_trace_filter f;
	struct tracer *t = NULL;
	int sv[2] = {-1, -1}, e;

	if (umx_msg_get_exact(m, &f, sizeof(f)) < 0)
		return -EBADMSG;
	if (!f.mask || (f.mask & ~UMX_TRACE_ALL) || f.ndomains > UMX_TRACE_DOMAINS_MAX)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	if (!trace_state(umxd))
		return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
	if (umxd->trace->ntracers >= UMXD_TRACERS_MAX)
		return umxd_reply(c, m, -EBUSY, NULL, 0, NULL, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return umxd_reply(c, m, -errno, NULL, 0, NULL, 0);
	if (umxd_loop_fd_check(umxd->loop, sv[1], UMXD_FD_RESERVE_TOOLSTACK) < 0) {
		e = -EMFILE;
		goto err;
	}
	if (!(t = calloc(1, sizeof(*t)))) {
		e = -ENOMEM;
		goto err;
	}
	t->umxd = umxd;
	t->fd = sv[0];
	t->mask = f.mask;
	t->ndomains = f.ndomains;
	memcpy(t->domains, f.domains, sizeof(t->domains));
	t->size = f.buf_size == 0                  ? UMX_TRACE_BUF_DEFAULT
	          : f.buf_size < UMX_TRACE_BUF_MIN ? UMX_TRACE_BUF_MIN
	          : f.buf_size > UMX_TRACE_BUF_MAX ? UMX_TRACE_BUF_MAX
	                                           : f.buf_size;
	if (!(t->buf = malloc(t->size))) {
		e = -ENOMEM;
		goto err;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		e = -errno;
		goto err;
	}
	t->io = umxd_io_add(umxd->loop, sv[0], EPOLLIN | EPOLLRDHUP, tracer_io, t);
	if (!t->io) {
		e = -errno;
		goto err;
	}
	t->next = umxd->trace->tracers;
	umxd->trace->tracers = t;
	umxd->trace->ntracers++;
	recompute_mask(umxd);
	umx_info("trace opened by toolstack pid %d: mask %#x, %u domains, %zu bytes (%u tracing)",
	         (int)c->peer_pid, f.mask, f.ndomains, t->size, umxd->trace->ntracers);
	umxd_reply(c, m, 0, NULL, 0, &sv[1], 1);
	close(sv[1]);
	return 0;
err:
	if (t)
		free(t->buf);
	free(t);
	close(sv[0]);
	close(sv[1]);
	return umxd_reply(c, m, e, NULL, 0, NULL, 0);
}

void umxd_trace_free(struct umxd *umxd)
{
	if (!umxd->trace)
		return;
	for (struct tracer *t; (t = umxd->trace->tracers);) {
		umxd->trace->tracers = t->next;
		tracer_destroy(t);
	}
	umxd->trace->ntracers = 0;
	if (umxd->trace->flags) {
		munmap(umxd->trace->flags, FLAGS_BYTES);
		close(umxd->trace->flags_fd);
		close(umxd->trace->flags_ro_fd);
	}
	free(umxd->trace);
	umxd->trace = NULL;
	umxd->trace_mask = 0;
}
