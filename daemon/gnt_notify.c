/* SPDX-License-Identifier: MIT */
/* SHARE_NOTIFY / UNSHARE: gntalloc's unmap notify on the granter's side.
 * A share's notify (clear a byte of it, signal a port) is performed when
 * the granter ends the share, or when it dies. */
#include <errno.h>
#include <stdlib.h>

#include "gnttab.h"
#include "umx/barrier.h"

void gnt_share_notify_perform(struct umxd_domain *dom, const struct gnt_share_notify *n)
{
	struct umxd_gnt *g = dom->gnt;

	if (n->flags & UMX_GNT_NOTIFY_BYTE) {
		/* Our own domain's entry: its frame is its own business, but it
		 * must name one of its regions. */
		uint32_t frame = umx_load_relaxed32(&gnt_entry(g, n->ref)->frame);
		struct gnt_region *r = gnt_region_by_frame(g, frame);
		if (r)
			gnt_region_clear_byte(r, frame - r->base_frame, n->offset);
	}
	if (n->flags & UMX_GNT_NOTIFY_EVENT)
		(void)umxd_evt_notify_remote(dom, n->port);
}

int umxd_h_gnt_share_notify(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_share_notify req;
	struct gnt_share_notify *n;
	struct umxd_gnt *g;
	int e = gnt_request(c, m, &req, sizeof(req));

	if (e <= 0) /* malformed (e < 0), or the error reply is sent (e == 0) */
		return e;
	g = c->dom->gnt;
	if (req.ref >= g->nentries || !req.flags ||
	    (req.flags & ~(UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT)) ||
	    req.offset >= UMX_PAGE_SIZE)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	for (n = g->share_notifies; n; n = n->next)
		if (n->ref == req.ref)
			break;
	if (!n) {
		if (g->nshare_notifies >= GNT_SHARE_NOTIFY_MAX)
			return umxd_reply(c, m, -ENOSPC, NULL, 0, NULL, 0);
		n = calloc(1, sizeof(*n));
		if (!n)
			return umxd_reply(c, m, -ENOMEM, NULL, 0, NULL, 0);
		n->next = g->share_notifies;
		g->share_notifies = n;
		g->nshare_notifies++;
	}
	n->ref = req.ref;
	n->flags = req.flags;
	n->offset = req.offset;
	n->port = req.port;
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

int umxd_h_gnt_unshare(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_gnt_unshare req;
	struct gnt_share_notify **pp, *n;
	struct umxd_gnt *g;
	int e = gnt_request(c, m, &req, sizeof(req));

	if (e <= 0) /* malformed (e < 0), or the error reply is sent (e == 0) */
		return e;
	g = c->dom->gnt;
	for (pp = &g->share_notifies; (n = *pp); pp = &n->next) {
		if (n->ref == req.ref) {
			*pp = n->next;
			g->nshare_notifies--;
			gnt_share_notify_perform(c->dom, n);
			free(n);
			return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
		}
	}
	return umxd_reply(c, m, -ENOENT, NULL, 0, NULL, 0);
}
