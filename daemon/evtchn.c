/* SPDX-License-Identifier: MIT */
/*
 * Event channels: each domain's port table, with Xen's states and rules
 * (xen/common/event_channel.c): a port is free, unbound (offered to one
 * remote domid) or interdomain (bound to a remote domain's port).
 *
 * Delivery needs no daemon hop. Every allocated port owns one eventfd, the
 * one its domain reads (pending); the remote end notifies it by writing that
 * same eventfd. An unbound port also holds the eventfd its future binder
 * will read (`peer_efd`), created at alloc time so the allocator can be
 * handed its notify descriptor at once. umxd keeps a copy of every eventfd
 * so that it can signal ports itself (close, death, unmap notify) and so
 * that nothing it created outlives the ports: on close the descriptor moves
 * to the remote port (which becomes unbound, exactly as in Xen) instead of
 * being re-created, so the remote's notify descriptor keeps pointing at
 * whoever binds next.
 *
 * A port names its remote by domid *and instance*: an unbound port offered
 * to a domain that then died (or whose interdomain peer closed and later
 * died) can never be bound by a later domain that got the same domid. Xen
 * gets there by requiring the remote to exist when the port is allocated
 * and by domids not coming back soon; umx holds it as a rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "umx/log.h"
#include "umxd.h"

/*
 * Descriptors. A bound pair of ports costs umxd two eventfds, one per port
 * (each port's own, which the remote end writes); an unbound port costs two
 * (its own, and the one its future binder will read, which the allocator
 * must be able to notify now). Neither can go: notify needs no daemon hop
 * only because the notifier holds the very eventfd the peer reads, and
 * umxd must keep a copy to signal a port itself (close, death, unmap
 * notify) and to hand a closed port's eventfd to whoever binds next. So a
 * port is bounded instead: UMXD_EVT_PORTS_MAX per domain, and every
 * eventfd made must leave UMXD_FD_RESERVE_DOMAIN descriptors free (-EMFILE
 * past that), so ports never take what the toolstack needs.
 *
 * Ports per domain: Xen's 2-level ABI allows 4096 for a 64-bit guest; a
 * umx port costs descriptors, so fewer.
 */
#define UMXD_EVT_PORTS_MAX UMX_EVT_PORTS_MAX
/* DOMID_INVALID: the remote of a port whose peer died, so that a later
 * domain with a recycled domid cannot bind to it. */
#define UMXD_EVT_DOMID_INVALID 0x7FF4u

enum evt_state {
	EVT_FREE = 0,
	EVT_UNBOUND,
	EVT_INTERDOMAIN
};

struct evt_port {
	enum evt_state state;
	uint32_t remote_dom;
	uint64_t remote_instance; /* of remote_dom when the port named it */
	uint32_t remote_port;     /* EVT_INTERDOMAIN */
	int efd;                  /* read by the owner, written by the remote end */
	int peer_efd;             /* EVT_UNBOUND: the future binder's own eventfd */
};

struct umxd_evtchn {
	struct evt_port *ports; /* indexed by port; [0] never used */
	uint32_t size;          /* entries allocated in ports[] */
	uint32_t used;          /* ports not free */
};

static void efd_signal(int fd)
{
	uint64_t one = 1;
	/* Non-blocking: fails only if the counter would overflow, i.e. the
	 * event is already pending, which is all a signal has to achieve. */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		umx_log(UMX_LOG_WARN, "evtchn: signal failed: %s", strerror(errno));
}

static int efd_new(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int umxd_evt_domain_init(struct umxd_domain *dom)
{
	dom->evt = calloc(1, sizeof(*dom->evt));
	return dom->evt ? 0 : -ENOMEM;
}

static struct evt_port *port_get(struct umxd_domain *dom, uint32_t port)
{
	struct umxd_evtchn *e = dom ? dom->evt : NULL;
	if (!e || port == 0 || port >= e->size || e->ports[port].state == EVT_FREE)
		return NULL;
	return &e->ports[port];
}

/* Lowest free port, growing the table; -ENOSPC at the cap (Xen's
 * get_free_port()). */
static int port_alloc(struct umxd_evtchn *e, uint32_t *out)
{
	for (uint32_t p = 1; p < e->size; p++) {
		if (e->ports[p].state == EVT_FREE) {
			*out = p;
			return 0;
		}
	}
	if (e->size > UMXD_EVT_PORTS_MAX)
		return -ENOSPC;
	uint32_t nsize = e->size ? e->size * 2 : 16;
	if (nsize > UMXD_EVT_PORTS_MAX + 1)
		nsize = UMXD_EVT_PORTS_MAX + 1;
	struct evt_port *np = realloc(e->ports, nsize * sizeof(*np));
	if (!np)
		return -ENOMEM;
	for (uint32_t p = e->size; p < nsize; p++)
		np[p] = (struct evt_port){.state = EVT_FREE, .efd = -1, .peer_efd = -1};
	*out = e->size ? e->size : 1;
	e->ports = np;
	e->size = nsize;
	return 0;
}

/* Close @port of @dom. An interdomain remote end becomes unbound towards
 * us (Xen semantics) — or towards nobody when @dying — inherits our
 * eventfd as its future binder's, and is signalled so its owner notices. */
static void port_close(struct umxd_domain *dom, uint32_t port, bool dying)
{
	struct evt_port *p = port_get(dom, port);
	if (!p)
		return;
	if (p->state == EVT_INTERDOMAIN) {
		struct umxd_domain *rd = umxd_domain_get(dom->umxd, p->remote_dom);
		struct evt_port *rp = port_get(rd, p->remote_port);
		if (rp && rp->state == EVT_INTERDOMAIN && rp->remote_dom == dom->domid &&
		    rp->remote_port == port) {
			rp->state = EVT_UNBOUND;
			rp->remote_dom = dying ? UMXD_EVT_DOMID_INVALID : dom->domid;
			rp->remote_instance = dying ? 0 : dom->instance;
			rp->remote_port = 0;
			rp->peer_efd = p->efd;
			p->efd = -1;
			efd_signal(rp->efd);
		} else {
			umx_log(UMX_LOG_ERR, "evtchn: d%u port %u: remote end inconsistent",
			        dom->domid, port);
		}
	}
	fd_close(&p->efd);
	fd_close(&p->peer_efd);
	p->state = EVT_FREE;
	p->remote_dom = 0;
	p->remote_instance = 0;
	p->remote_port = 0;
	dom->evt->used--;
}

void umxd_evt_domain_release(struct umxd_domain *dom)
{
	struct umxd_evtchn *e = dom->evt;
	if (!e)
		return;
	for (uint32_t p = 1; p < e->size; p++)
		port_close(dom, p, true);
	free(e->ports);
	e->ports = NULL;
	e->size = 0;
	e->used = 0;
}

void umxd_evt_domain_free(struct umxd_domain *dom)
{
	if (!dom->evt)
		return;
	umxd_evt_domain_release(dom);
	free(dom->evt);
	dom->evt = NULL;
}

uint32_t umxd_evt_port_count(const struct umxd_domain *dom)
{
	return dom->evt ? dom->evt->used : 0;
}

int umxd_evt_notify_remote(struct umxd_domain *dom, uint32_t port)
{
	struct evt_port *p = port_get(dom, port);
	struct evt_port *rp;

	if (!p)
		return -ENOENT;
	if (p->state == EVT_UNBOUND) {
		/* Like notify on an unbound port in Xen: whoever binds sees it. */
		efd_signal(p->peer_efd);
		return 0;
	}
	rp = port_get(umxd_domain_get(dom->umxd, p->remote_dom), p->remote_port);
	if (!rp)
		return -ENOENT;
	efd_signal(rp->efd);
	return 0;
}

/* The domain a request comes from, with a live port table. */
static struct umxd_domain *caller(struct umxd_conn *c)
{
	struct umxd_domain *dom = c->dom;
	return dom && dom->evt && dom->conn == c ? dom : NULL;
}

int umxd_h_evt_alloc_unbound(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_alloc_unbound req;
	struct umxd_domain *dom = caller(c), *rd;
	struct evt_port *p;
	uint32_t port, remote;
	int fds[2] = {-1, -1}, r;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || req.pad)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	remote = req.remote_domid == UMX_EVTCHN_DOMID_SELF ? dom->domid : req.remote_domid;
	/* Xen: the remote must exist now; the port is offered to this
	 * instance of it only. */
	rd = remote == dom->domid ? dom : umxd_domain_live(c->umxd, remote);
	if (!rd)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if ((r = port_alloc(dom->evt, &port)) < 0)
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	if ((fds[0] = efd_new()) < 0 || (fds[1] = efd_new()) < 0 ||
	    umxd_loop_fd_check(c->umxd->loop, fds[1], UMXD_FD_RESERVE_DOMAIN) < 0) {
		r = fds[0] < 0 ? fds[0] : fds[1] < 0 ? fds[1] : -EMFILE;
		fd_close(&fds[0]);
		fd_close(&fds[1]);
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	}
	p = &dom->evt->ports[port];
	*p = (struct evt_port){.state = EVT_UNBOUND,
	                       .remote_dom = remote,
	                       .remote_instance = rd->instance,
	                       .efd = fds[0],
	                       .peer_efd = fds[1]};
	dom->evt->used++;
	return umxd_reply(c, m, 0, &port, sizeof(port), fds, 2);
}

int umxd_h_evt_bind_interdomain(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_bind req;
	struct umxd_domain *dom = caller(c), *rd;
	struct evt_port *p, *rp;
	uint32_t port, remote;
	int fds[2], r;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	remote = req.remote_domid == UMX_EVTCHN_DOMID_SELF ? dom->domid : req.remote_domid;
	rd = remote == dom->domid ? dom : umxd_domain_live(c->umxd, remote);
	if (!rd || !rd->evt)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	/* Xen: the remote port must exist, be unbound and offered to us; to
	 * us, not to an earlier domain that had our domid. */
	rp = port_get(rd, req.remote_port);
	if (!rp || rp->state != EVT_UNBOUND || rp->remote_dom != dom->domid ||
	    rp->remote_instance != dom->instance)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	if ((r = port_alloc(dom->evt, &port)) < 0)
		return umxd_reply(c, m, r, NULL, 0, NULL, 0);
	/* port_alloc() may have moved the table (loopback: rd == dom). */
	rp = port_get(rd, req.remote_port);
	p = &dom->evt->ports[port];
	*p = (struct evt_port){.state = EVT_INTERDOMAIN,
	                       .remote_dom = rd->domid,
	                       .remote_instance = rd->instance,
	                       .remote_port = req.remote_port,
	                       .efd = rp->peer_efd,
	                       .peer_efd = -1};
	rp->peer_efd = -1;
	rp->state = EVT_INTERDOMAIN;
	rp->remote_instance = dom->instance;
	rp->remote_port = port;
	dom->evt->used++;
	/* Like Xen, the binder's new port starts pending, so a notify that
	 * raced with the bind is never lost. */
	efd_signal(p->efd);
	fds[0] = p->efd;
	fds[1] = rp->efd;
	return umxd_reply(c, m, 0, &port, sizeof(port), fds, 2);
}

int umxd_h_evt_close(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_close req;
	struct umxd_domain *dom = caller(c);

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || req.pad)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	if (!port_get(dom, req.port))
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	port_close(dom, req.port, false);
	return umxd_reply(c, m, 0, NULL, 0, NULL, 0);
}

int umxd_h_evt_status(struct umxd_conn *c, struct umx_msg *m)
{
	struct umx_ctl_evt_close req;
	struct umx_ctl_evt_status_reply rep = {0};
	struct umxd_domain *dom = caller(c);
	const struct evt_port *p;

	if (umx_msg_get_exact(m, &req, sizeof(req)) < 0 || req.pad)
		return -EBADMSG;
	if (!dom)
		return umxd_reply(c, m, -ESRCH, NULL, 0, NULL, 0);
	/* Xen's port_is_valid(): a port inside the table is valid, and a free
	 * one is reported closed rather than refused. */
	if (req.port == 0 || req.port >= dom->evt->size)
		return umxd_reply(c, m, -EINVAL, NULL, 0, NULL, 0);
	p = &dom->evt->ports[req.port];
	switch (p->state) {
	case EVT_UNBOUND:
		rep.status = UMX_EVT_STAT_UNBOUND;
		rep.remote_domid = p->remote_dom;
		break;
	case EVT_INTERDOMAIN:
		rep.status = UMX_EVT_STAT_INTERDOMAIN;
		rep.remote_domid = p->remote_dom;
		rep.remote_port = p->remote_port;
		break;
	default:
		rep.status = UMX_EVT_STAT_CLOSED;
		break;
	}
	return umxd_reply(c, m, 0, UMX_CTL_REPLY_BODY(&rep), UMX_CTL_REPLY_BODY_LEN(&rep), NULL, 0);
}
