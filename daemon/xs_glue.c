/* SPDX-License-Identifier: MIT */
/*
 * The store's view of domains: umxd serves XenStore on DIR/xenstored for
 * the toolstack (Xen's own tools with XENSTORED_PATH), introduces each
 * domain when it is created and releases it when it dies, and hands every
 * domain its own store connections, whose identity is the domain.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "umx/log.h"
#include "trace.h"
#include "umxd.h"
#include "xenstore/xs.h"

static bool domain_exists(void *ctx, unsigned domid)
{
	struct umxd *umxd = ctx;
	return domid == 0 || umxd_domain_live(umxd, domid) != NULL;
}

int umxd_store_start(struct umxd *umxd)
{
	struct umxd_xs_hooks hooks = {
	        .domain_exists = domain_exists, .trace = umxd_trace_xs, .ctx = umxd};
	int r = umxd_xs_new(umxd->loop, umxd->xs_path, &hooks, &umxd->xs);
	if (r < 0) {
		umx_err("cannot serve XenStore on %s: %s", umxd->xs_path, strerror(-r));
		return r;
	}
	if (umxd->xs_toolstack_memory)
		xs_store_quota_set(umxd_xs_store(umxd->xs), XS_Q_TOOLSTACK_MEMORY,
		                   umxd->xs_toolstack_memory > UINT_MAX
		                           ? UINT_MAX
		                           : (unsigned)umxd->xs_toolstack_memory);
	return 0;
}

void umxd_store_stop(struct umxd *umxd)
{
	umxd_xs_free(umxd->xs);
	umxd->xs = NULL;
}

void umxd_store_domain_introduce(struct umxd_domain *dom)
{
	int r;
	if (!dom->umxd->xs)
		return;
	r = umxd_xs_domain_introduce(dom->umxd->xs, dom->domid, dom->name);
	if (r < 0)
		umx_warn("domain %u: store introduction failed: %s", dom->domid, strerror(-r));
}

void umxd_store_domain_release(struct umxd_domain *dom)
{
	if (dom->umxd->xs)
		umxd_xs_domain_release(dom->umxd->xs, dom->domid);
}

int umxd_h_xs_connect(struct umxd_conn *c, struct umx_msg *m)
{
	unsigned domid = c->domain_conn && c->dom ? c->dom->domid : 0;
	int sv[2], r;

	if (m->hdr.len != 0)
		return -EBADMSG;
	if (!c->umxd->xs)
		return umxd_reply(c, m, -ENODEV, NULL, 0, NULL, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return umxd_reply(c, m, -errno, NULL, 0, NULL, 0);
	/* A domain's store connections come out of what umxd keeps free for
	 * domains; the toolstack's out of its own reserve. */
	if (umxd_loop_fd_check(c->umxd->loop, sv[1],
	                       domid ? UMXD_FD_RESERVE_DOMAIN : UMXD_FD_RESERVE_TOOLSTACK) < 0) {
		close(sv[0]);
		close(sv[1]);
		return umxd_reply(c, m, -EMFILE, NULL, 0, NULL, 0);
	}
	r = umxd_xs_attach(c->umxd->xs, sv[0], domid); /* takes sv[0] */
	if (r < 0) {
		close(sv[1]);
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	}
	umxd_reply(c, m, 0, NULL, 0, &sv[1], 1);
	close(sv[1]);
	return 0;
}
