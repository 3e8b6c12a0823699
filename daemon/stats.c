/* SPDX-License-Identifier: MIT */
/*
 * DOMAIN_STATS: per-domain counters for `umx top` and `umx list --json`
 * that LIST does not carry (its entry is public ABI): what each domain
 * holds in the store against its quotas, and its grant table's size.
 */
#include <errno.h>
#include <string.h>

#include "gnttab.h"
#include "trace.h"
#include "umxd.h"
#include "xenstore/xs.h"
#include "xenstore/xs_engine.h"

int umxd_h_domain_stats(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_domain_list_req req;
	static struct umx_ctl_domain_stats st[UMX_CTL_STATS_MAX];
	static uint8_t body[UMX_MSG_MAX_PAYLOAD];
	struct umxd *umxd = c->umxd;
	const struct xs_store *xs = umxd->xs ? umxd_xs_store(umxd->xs) : NULL;
	struct umx_msg_wr w;
	uint32_t count = 0;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	for (uint32_t d = req.start_domid < UMXD_DOMID_FIRST ? UMXD_DOMID_FIRST : req.start_domid;
	     d <= UMXD_DOMID_LAST && count < UMX_CTL_STATS_MAX; d++) {
		struct umxd_domain *dom = umxd->domains[d];
		struct umx_ctl_domain_stats *s;
		const struct xs_domain *xd;

		if (!dom)
			continue;
		s = &st[count++];
		memset(s, 0, sizeof(*s));
		s->domid = d;
		s->gnt_entries = dom->gnt ? dom->gnt->nentries : 0;
		if (!xs)
			continue;
		s->q_nodes = xs_store_quota_get(xs, XS_Q_NODES);
		s->q_watches = xs_store_quota_get(xs, XS_Q_WATCHES);
		s->q_txns = xs_store_quota_get(xs, XS_Q_TRANSACTIONS);
		s->xs_bytes = xs_store_domain_bytes(xs, d);
		if ((xd = xs_dom_find(xs, d))) {
			s->xs_nodes = xd->nodes;
			s->xs_watches = xd->watches;
			s->xs_txns = xd->txns;
			s->xs_conns = xd->conns;
		}
	}
	umx_msg_wr_init(&w, body, sizeof(body));
	UMX_MSG_PUT(&w, &count);
	umx_msg_put(&w, st, count * sizeof(st[0]));
	return umxd_reply(c, m, 0, w.p, w.len, NULL, 0);
}
