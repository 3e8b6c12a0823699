/* SPDX-License-Identifier: MIT */
/*
 * MAP / UNMAP: a mapper's handles (Xen's maptrack). Each mapping pins the
 * granter's ref (gnttab.c), holds a reference on the granter's domain
 * record, and is torn down by UNMAP or the mapper's death, performing its
 * unmap notify. The first mapping of a region sends the mapper the
 * region's descriptor, which it keeps until it says FORGET: a map+unmap
 * cycle then passes no descriptor (gnttab.h, struct gnt_sent).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gnttab.h"
#include "umx/barrier.h"
#include "umx/log.h"

static struct gnt_sent *sent_find(struct umxd_gnt *g, uint64_t region, bool ro)
{
	struct gnt_sent *s;

	for (s = g->sent; s; s = s->next)
		if (s->region == region && s->ro == ro)
			return s;
	return NULL;
}

static void sent_unlink(struct umxd_gnt *g, struct gnt_sent *s)
{
	struct gnt_sent **pp;

	for (pp = &g->sent; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			g->nsent--;
			free(s);
			return;
		}
	}
}

/* A mapping of (region, ro) is gone: the mapper closed the descriptor
 * with its last one, unless it keeps it. */
static void sent_put(struct umxd_gnt *g, uint64_t region, bool ro)
{
	struct gnt_sent *s = sent_find(g, region, ro);

	if (s && s->count && --s->count == 0 && !s->kept)
		sent_unlink(g, s);
}

static int handle_alloc(struct umxd_gnt *g, uint32_t *out)
{
	if (g->free_handle != UINT32_MAX) {
		*out = g->free_handle;
		g->free_handle = g->handles[*out].next_free;
		return 0;
	}
	if (g->nhandles == g->cap_handles) {
		uint32_t cap = g->cap_handles ? g->cap_handles * 2 : 64;
		struct gnt_handle *h;
		if (g->cap_handles >= GNT_MAPTRACK_MAX)
			return -ENOSPC;
		if (cap > GNT_MAPTRACK_MAX)
			cap = GNT_MAPTRACK_MAX;
		h = realloc(g->handles, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		g->handles = h;
		g->cap_handles = cap;
	}
	*out = g->nhandles++;
	/* A slot is free (in_use false) until map_one fills it. */
	memset(&g->handles[*out], 0, sizeof(g->handles[*out]));
	return 0;
}

void gnt_handle_release(struct umxd_domain *mapper, uint32_t h)
{
	struct umxd_gnt *mg = mapper->gnt;
	struct gnt_handle *hd = &mg->handles[h];
	struct umxd_domain *granter = umxd_domain_get(mapper->umxd, hd->granter);
	struct gnt_active *act;

	if (granter && granter->gnt && granter->gnt->active) {
		act = &granter->gnt->active[hd->ref];
		if (hd->notify_flags & UMX_GNT_NOTIFY_BYTE)
			gnt_region_clear_byte(act->region, act->page, hd->notify_offset);
		sent_put(mg, act->region->id, hd->ro);
		gnt_unpin_ref(granter, hd->ref, hd->ro);
	}
	if (hd->notify_flags & UMX_GNT_NOTIFY_EVENT)
		(void)umxd_evt_notify_remote(mapper, hd->notify_port);
	hd->in_use = false;
	hd->next_free = mg->free_handle;
	mg->free_handle = h;
	mg->handles_in_use--;
	if (granter)
		umxd_domain_unref(granter); /* may free it: nothing below touches it */
}

void gnt_unmap_ring_drain(struct umxd_domain *mapper)
{
	struct umxd_gnt *g = mapper->gnt;
	struct umx_gnt_unmap_ring *ring = g ? g->unmap_ring : NULL;
	uint32_t prod, cons;

	if (!ring)
		return;
	/* A1: pairs with the mapper's R1 (release store of prod after the
	 * handles): the handles below are the ones it posted. */
	prod = umx_load_acquire32(&ring->prod);
	cons = g->unmap_cons;
	if (prod - cons > UMX_GNT_UNMAP_RING_SLOTS) {
		/* Not an honest mapper's index: skip what it claims, release
		 * nothing (its mappings stay until UNMAP or its death). */
		umx_warn("domain %u: unmap ring index out of range (%u after %u)", mapper->domid,
		         prod, cons);
		cons = prod;
	}
	for (; cons != prod; cons++) {
		/* One load of each slot; checked as UNMAP checks a handle. */
		uint32_t h = umx_load_relaxed32(&ring->handle[cons % UMX_GNT_UNMAP_RING_SLOTS]);
		if (h < g->nhandles && g->handles[h].in_use)
			gnt_handle_release(mapper, h);
	}
	g->unmap_cons = cons;
	/* R2: pairs with the mapper's A2 (acquire load of cons before it
	 * reuses slots): we read them all before it may overwrite them. */
	umx_store_release32(&ring->cons, cons);
}

void umxd_gnt_drain_all(struct umxd *umxd)
{
	struct umxd_domain *d = umxd->gnt_unmap_rings, *next;

	/* Draining drops references on granters, which may free them (and
	 * unlink them from this list): hold the next one over each step. */
	if (d)
		umxd_domain_ref(d);
	while (d) {
		gnt_unmap_ring_drain(d);
		next = d->gnt->unmap_ring_next;
		if (next)
			umxd_domain_ref(next);
		umxd_domain_unref(d);
		d = next;
	}
}

int umxd_h_gnt_unmap_ring(struct umxd_conn *c, struct umx_msg *m)
{
	struct umxd_gnt *g;
	void *page;
	int fd, e;

	if (m->hdr.len != 0)
		return -EBADMSG;
	if (!c->dom || !c->dom->gnt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	g = c->dom->gnt;
	if (g->unmap_ring)
		return umxd_reply(c, m, -EEXIST, NULL, 0, NULL, 0);
	fd = memfd_create("umx-unmap-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return umxd_reply(c, m, -errno, NULL, 0, NULL, 0);
	/* Fixed size: the mapper cannot shrink it under our mapping. */
	if (ftruncate(fd, UMX_PAGE_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 ||
	    (page = mmap(NULL, UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	            MAP_FAILED) {
		e = -errno;
		close(fd);
		return umxd_reply(c, m, e, NULL, 0, NULL, 0);
	}
	g->unmap_ring = page;
	g->unmap_cons = 0;
	g->unmap_ring_next = c->umxd->gnt_unmap_rings;
	c->umxd->gnt_unmap_rings = c->dom;
	e = umxd_reply(c, m, 0, NULL, 0, &fd, 1);
	close(fd); /* our mapping keeps the page */
	return e;
}

int umxd_h_gnt_sync(struct umxd_conn *c, struct umx_msg *m)
{
	if (m->hdr.len != 0)
		return -EBADMSG;
	umxd_gnt_drain_all(c->umxd);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

static int16_t map_one(struct umxd_domain *mapper, struct umxd_domain *granter,
                       const struct umx_ctl_gnt_map_op *op, struct umx_ctl_gnt_map_res *res,
                       int *fds, unsigned *nfds)
{
	struct umxd_gnt *mg = mapper->gnt;
	bool ro = op->flags & UMX_GNT_MAP_READONLY;
	struct gnt_active *act;
	struct gnt_sent *s;
	struct gnt_handle *hd;
	uint32_t h;
	int16_t st;

	if (op->flags & ~(UMX_GNT_MAP_READONLY | UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT |
	                  UMX_CTL_GNT_MAP_KEEP_FD))
		return GNTST_general_error;
	/* The byte is cleared in the page itself: only a mapper that may write
	 * the page may have umxd write it. */
	if ((op->flags & UMX_GNT_NOTIFY_BYTE) && (op->notify_offset >= UMX_PAGE_SIZE || ro))
		return GNTST_general_error;
	if (!granter || !granter->gnt || granter->gnt->dead)
		return GNTST_bad_domain;
	if (op->ref >= granter->gnt->nentries)
		return GNTST_bad_gntref;
	if (mg->handles_in_use >= GNT_MAPTRACK_MAX)
		return GNTST_no_device_space;
	if (handle_alloc(mg, &h) < 0)
		return GNTST_no_device_space;
	st = gnt_pin_ref(granter, mapper, op->ref, ro, &act);
	if (st != GNTST_okay) {
		mg->handles[h].next_free = mg->free_handle;
		mg->free_handle = h;
		return st;
	}
	s = sent_find(mg, act->region->id, ro);
	if (!s && mg->nsent >= GNT_SENT_MAX) {
		/* Only a mapper that never says FORGET gets here. */
		gnt_unpin_ref(granter, op->ref, ro);
		mg->handles[h].next_free = mg->free_handle;
		mg->free_handle = h;
		return GNTST_no_device_space;
	}
	if (!s && *nfds >= UMX_MSG_MAX_FDS) {
		/* No room for another fd in this reply: the client retries
		 * GNTST_eagain ops in a later request. */
		gnt_unpin_ref(granter, op->ref, ro);
		mg->handles[h].next_free = mg->free_handle;
		mg->free_handle = h;
		return GNTST_eagain;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s) {
			gnt_unpin_ref(granter, op->ref, ro);
			mg->handles[h].next_free = mg->free_handle;
			mg->free_handle = h;
			return GNTST_no_space;
		}
		s->region = act->region->id;
		s->ro = ro;
		s->next = mg->sent;
		mg->sent = s;
		mg->nsent++;
		res->fd_index = (uint16_t)*nfds;
		/* A read-only region's writable descriptor goes to no mapper
		 * (gnt_pin_ref() refused a writable map of it already). */
		fds[(*nfds)++] = ro || act->region->ro ? act->region->ro_fd : act->region->rw_fd;
	}
	s->count++;
	if (op->flags & UMX_CTL_GNT_MAP_KEEP_FD)
		s->kept = true;
	hd = &mg->handles[h];
	memset(hd, 0, sizeof(*hd));
	hd->in_use = true;
	hd->ro = ro;
	hd->granter = granter->domid;
	hd->ref = op->ref;
	hd->notify_flags = op->flags & (UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT);
	hd->notify_offset = op->notify_offset;
	hd->notify_port = op->notify_port;
	mg->handles_in_use++;
	umxd_domain_ref(granter);
	res->handle = h;
	res->region = act->region->id;
	res->offset = (uint64_t)act->page * UMX_PAGE_SIZE;
	return GNTST_okay;
}

int umxd_h_gnt_map(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_map_req req;
	struct umx_ctl_gnt_map_op ops[UMX_GNT_BATCH_MAX];
	struct umx_ctl_gnt_map_res res[UMX_GNT_BATCH_MAX];
	uint8_t body[sizeof(uint32_t) + sizeof(res)];
	struct umxd_domain *granter;
	struct umx_msg_wr w;
	int fds[UMX_MSG_MAX_FDS];
	unsigned nfds = 0, i;
	int n;

	n = gnt_batch_request(c, m, &req, sizeof(req), offsetof(struct umx_ctl_gnt_map_req, count),
	                      ops, sizeof(ops[0]));
	if (n <= 0) /* malformed (n < 0), or the error reply is sent (n == 0) */
		return n;
	gnt_unmap_ring_drain(c->dom); /* handles posted before this request are free */
	granter =
	        req.granter <= UMXD_DOMID_LAST ? umxd_domain_get(c->dom->umxd, req.granter) : NULL;
	memset(res, 0, sizeof(res));
	for (i = 0; i < req.count; i++) {
		res[i].fd_index = GNT_NO_FD;
		res[i].status = map_one(c->dom, granter, &ops[i], &res[i], fds, &nfds);
	}
	/* Body after the result: count, then the results (ctl.h layout). */
	umx_msg_wr_init(&w, body, sizeof(body));
	UMX_MSG_PUT(&w, &req.count);
	umx_msg_put(&w, res, req.count * sizeof(res[0]));
	return umxd_reply(c, m, 0, w.p, w.len, fds, nfds);
}

int umxd_h_gnt_unmap(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_unmap_req req;
	uint32_t handles[UMX_GNT_BATCH_MAX];
	struct status_body rep;
	unsigned i;
	int n;

	n = gnt_batch_request(c, m, &req, sizeof(req),
	                      offsetof(struct umx_ctl_gnt_unmap_req, count), handles,
	                      sizeof(handles[0]));
	if (n <= 0) /* malformed (n < 0), or the error reply is sent (n == 0) */
		return n;
	gnt_unmap_ring_drain(c->dom);
	memset(&rep, 0, sizeof(rep));
	rep.count = req.count;
	for (i = 0; i < req.count; i++) {
		struct umxd_gnt *g = c->dom->gnt;
		uint32_t h = handles[i];

		if (h >= g->nhandles || !g->handles[h].in_use) {
			rep.st[i] = GNTST_bad_handle;
			continue;
		}
		gnt_handle_release(c->dom, h);
		rep.st[i] = GNTST_okay;
	}
	return umxd_reply(c, m, 0, &rep, status_body_len(&rep), NULL, 0);
}

int umxd_h_gnt_forget(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_forget req;
	struct gnt_sent *s;
	struct umxd_gnt *g;
	int e;

	if ((e = gnt_request(c, m, &req, sizeof(req))) <= 0)
		return e;
	if (req.ro > 1 || req.pad)
		return -EBADMSG;
	g = c->dom->gnt;
	s = sent_find(g, req.region, req.ro != 0);
	if (!s || !s->kept)
		return umxd_reply(c, m, -ENOENT, NULL, 0, NULL, 0);
	/* Closed: the next map sends it again, whatever is still mapped. */
	sent_unlink(g, s);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}
