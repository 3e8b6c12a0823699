/* SPDX-License-Identifier: MIT */
/*
 * MAP / UNMAP: a mapper's handles (Xen's maptrack). Each mapping pins the
 * granter's ref (gnttab.c), holds a reference on the granter's domain
 * record, and is torn down by UNMAP or the mapper's death, performing its
 * unmap notify. The first mapping of a region sends the mapper the
 * region's descriptor; the mapper closes it when its last mapping of that
 * (region, ro) goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gnttab.h"

static struct gnt_sent *sent_find(struct umxd_gnt *g, uint64_t region, bool ro)
{
	struct gnt_sent *s;

	for (s = g->sent; s; s = s->next)
		if (s->region == region && s->ro == ro)
			return s;
	return NULL;
}

static void sent_put(struct umxd_gnt *g, uint64_t region, bool ro)
{
	struct gnt_sent **pp, *s;

	for (pp = &g->sent; (s = *pp); pp = &s->next) {
		if (s->region == region && s->ro == ro) {
			if (--s->count == 0) {
				*pp = s->next;
				free(s);
			}
			return;
		}
	}
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

	if (op->flags & ~(UMX_GNT_MAP_READONLY | UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT))
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
		res->fd_index = (uint16_t)*nfds;
		/* A read-only region's writable descriptor goes to no mapper
		 * (gnt_pin_ref() refused a writable map of it already). */
		fds[(*nfds)++] = ro || act->region->ro ? act->region->ro_fd : act->region->rw_fd;
	}
	s->count++;
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
