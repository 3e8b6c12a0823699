/* SPDX-License-Identifier: MIT */
/* The umxd platform backend: grants, event channels and the store of a
 * umx domain, over libumx's own clients. */
#include <errno.h>
#include <stdlib.h>

#include "platform_ops.h"
#include "umx/conn.h"
#include "umx/evtchn.h"
#include "umx/grant.h"

struct umxd_priv {
	umx_conn *conn;
	umx_gnt *gnt;
	umx_evtchn *evt;
};

static int u_open(umx_plat *p)
{
	struct umxd_priv *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	if ((r = umx_conn_open_domain(&u->conn)) < 0)
		goto err;
	if ((r = umx_gnt_open(&u->gnt)) < 0 || (r = umx_evtchn_open(&u->evt)) < 0 ||
	    (r = umx_xs_open(&p->xs)) < 0)
		goto err;
	p->domid = umx_conn_domid(u->conn);
	p->priv = u;
	return 0;
err:
	if (u->evt)
		umx_evtchn_close(u->evt);
	if (u->gnt)
		umx_gnt_close(u->gnt);
	if (u->conn)
		umx_conn_close(u->conn);
	free(u);
	return r;
}

static void u_close(umx_plat *p)
{
	struct umxd_priv *u = p->priv;
	umx_xs_close(p->xs);
	umx_evtchn_close(u->evt);
	umx_gnt_close(u->gnt);
	umx_conn_close(u->conn);
	free(u);
}

static int u_share(umx_plat *p, uint32_t peer, uint32_t count, bool ro,
                   const struct umx_gnt_notify *n, umx_plat_shared *s)
{
	struct umxd_priv *u = p->priv;
	umx_gnt_share *gs;
	int r = umx_gnt_share_pages(u->gnt, peer, count, ro ? UMX_GNT_SHARE_READONLY : 0, &gs);

	if (r < 0)
		return r;
	if (n && n->flags) {
		r = umx_gnt_share_set_notify(u->gnt, gs, n);
		if (r < 0) {
			umx_gnt_end_access(u->gnt, gs);
			return r;
		}
	}
	s->addr = umx_gnt_share_addr(gs);
	for (uint32_t i = 0; i < count; i++)
		s->refs[i] = umx_gnt_share_ref(gs, i);
	s->priv = gs;
	return 0;
}

static int u_unshare(umx_plat *p, umx_plat_shared *s)
{
	struct umxd_priv *u = p->priv;
	return umx_gnt_end_access(u->gnt, s->priv);
}

static int u_map(umx_plat *p, uint32_t granter, uint32_t count, const uint32_t *refs, bool ro,
                 const struct umx_gnt_notify *n, umx_plat_mapped *m)
{
	struct umxd_priv *u = p->priv;
	umx_gnt_map *gm;
	int r;

	r = umx_gnt_map_refs(u->gnt, granter, count, refs, ro ? UMX_GNT_MAP_READONLY : 0,
	                     n && n->flags ? n : NULL, NULL, &gm);
	if (r < 0)
		return r;
	m->addr = umx_gnt_map_addr(gm);
	m->priv = gm;
	return 0;
}

static int u_unmap(umx_plat *p, umx_plat_mapped *m)
{
	struct umxd_priv *u = p->priv;
	return umx_gnt_unmap(u->gnt, m->priv);
}

static int u_evtchn_fd(umx_plat *p)
{
	return umx_evtchn_fd(((struct umxd_priv *)p->priv)->evt);
}

static int u_alloc_unbound(umx_plat *p, uint32_t remote)
{
	return umx_evtchn_alloc_unbound(((struct umxd_priv *)p->priv)->evt, remote);
}

static int u_bind(umx_plat *p, uint32_t remote, uint32_t rport)
{
	return umx_evtchn_bind_interdomain(((struct umxd_priv *)p->priv)->evt, remote, rport);
}

static int u_unbind(umx_plat *p, uint32_t port)
{
	return umx_evtchn_unbind(((struct umxd_priv *)p->priv)->evt, port);
}

static int u_notify(umx_plat *p, uint32_t port)
{
	return umx_evtchn_notify(((struct umxd_priv *)p->priv)->evt, port);
}

static int u_pending(umx_plat *p)
{
	return umx_evtchn_pending(((struct umxd_priv *)p->priv)->evt);
}

static int u_unmask(umx_plat *p, uint32_t port)
{
	return umx_evtchn_unmask(((struct umxd_priv *)p->priv)->evt, port);
}

const struct umx_plat_ops umx_plat_umxd = {
        .name = "umxd",
        .open = u_open,
        .close = u_close,
        .share = u_share,
        .unshare = u_unshare,
        .map = u_map,
        .unmap = u_unmap,
        .evtchn_fd = u_evtchn_fd,
        .alloc_unbound = u_alloc_unbound,
        .bind = u_bind,
        .unbind = u_unbind,
        .notify = u_notify,
        .pending = u_pending,
        .unmask = u_unmask,
};
