/* SPDX-License-Identifier: MIT */
/* COPY (GNTTABOP_copy): each side is a grant ref of some domain, pinned
 * for the copy only, or one of the caller's own frames. */
#include <errno.h>
#include <string.h>

#include "gnttab.h"

/* Resolve one side of a copy to umxd's mapping of the page; pins a gref
 * transiently (released by copy_side_put). */
static int16_t copy_side_get(struct umxd_domain *caller, const struct umx_gnt_copy_side *s,
                             bool gref, bool ro, uint8_t **page, struct umxd_domain **pinned)
{
	struct gnt_active *act;
	struct umxd_domain *d;
	struct gnt_region *r;
	int16_t st;

	*pinned = NULL;
	if (!gref) {
		r = gnt_region_by_frame(caller->gnt, s->ref_or_frame);
		if (!r)
			return GNTST_bad_page;
		*page = r->mem + (size_t)(s->ref_or_frame - r->base_frame) * UMX_PAGE_SIZE;
		return GNTST_okay;
	}
	d = s->domid <= UMXD_DOMID_LAST ? umxd_domain_get(caller->umxd, s->domid) : NULL;
	if (!d || !d->gnt || d->gnt->dead)
		return GNTST_bad_domain;
	st = gnt_pin_ref(d, caller, s->ref_or_frame, ro, &act);
	if (st != GNTST_okay)
		return st;
	*page = act->region->mem + (size_t)act->page * UMX_PAGE_SIZE;
	*pinned = d;
	return GNTST_okay;
}

int umxd_h_gnt_copy(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_copy_req req;
	struct umx_gnt_copy_seg ops[UMX_GNT_BATCH_MAX];
	struct status_body rep;
	unsigned i;
	int n;

	n = gnt_batch_request(c, m, &req, sizeof(req), offsetof(struct umx_ctl_gnt_copy_req, count),
	                      ops, sizeof(ops[0]));
	if (n <= 0) /* malformed (n < 0), or the error reply is sent (n == 0) */
		return n;
	memset(&rep, 0, sizeof(rep));
	rep.count = req.count;
	for (i = 0; i < req.count; i++) {
		const struct umx_gnt_copy_seg op = ops[i];
		struct umxd_domain *ps = NULL, *pd = NULL;
		uint8_t *src = NULL, *dst = NULL;
		int16_t st;

		if ((op.flags & ~(UMX_GNT_COPY_SOURCE_GREF | UMX_GNT_COPY_DEST_GREF)) ||
		    op.len > UMX_PAGE_SIZE || op.source.offset > UMX_PAGE_SIZE - op.len ||
		    op.dest.offset > UMX_PAGE_SIZE - op.len) {
			rep.st[i] = GNTST_bad_copy_arg;
			continue;
		}
		st = copy_side_get(c->dom, &op.source, op.flags & UMX_GNT_COPY_SOURCE_GREF, true,
		                   &src, &ps);
		if (st == GNTST_okay)
			st = copy_side_get(c->dom, &op.dest, op.flags & UMX_GNT_COPY_DEST_GREF,
			                   false, &dst, &pd);
		if (st == GNTST_okay)
			memmove(dst + op.dest.offset, src + op.source.offset, op.len);
		if (ps)
			gnt_unpin_ref(ps, op.source.ref_or_frame, true);
		if (pd)
			gnt_unpin_ref(pd, op.dest.ref_or_frame, false);
		rep.st[i] = st;
	}
	return umxd_reply(c, m, 0, &rep, status_body_len(&rep), NULL, 0);
}
