/* SPDX-License-Identifier: MIT */
/*
 * Drop-in libxenevtchn.so.1 (Xen 4.17 ABI) on umx event channels
 * (umx/evtchn.h), which already follow libxenevtchn's model: one pollable
 * descriptor per handle, pending() masks the port until unmask().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <xenevtchn.h>

#include "compat.h"
#include "umx/evtchn.h"

#define NO_RESTRICT 0xffffffffu

struct xenevtchn_handle {
	umx_evtchn *e;
	uint32_t restrict_domid; /* xenevtchn_restrict(), else NO_RESTRICT */
	/* The ports this handle bound. umxd knows a port per domain; Linux's
	 * evtchn driver per open file: unbind of a port another handle bound
	 * is ENOTCONN there, so it must not reach umxd here. */
	pthread_mutex_t lock;
	evtchn_port_t *ports;
	unsigned nports, cap;
};

static bool port_find(xenevtchn_handle *h, evtchn_port_t port, bool drop)
{
	bool found = false;

	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->nports; i++) {
		if (h->ports[i] == port) {
			found = true;
			if (drop)
				h->ports[i] = h->ports[--h->nports];
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return found;
}

/* Record a port just bound (@r >= 0); on failure to record, unbind it. */
static int port_add(xenevtchn_handle *h, int r)
{
	int ret = r;

	if (r < 0)
		return compat_ret(r);
	pthread_mutex_lock(&h->lock);
	if (h->nports == h->cap) {
		unsigned cap = h->cap ? h->cap * 2 : 8;
		evtchn_port_t *p = realloc(h->ports, cap * sizeof(*p));

		if (p) {
			h->ports = p;
			h->cap = cap;
		}
	}
	if (h->nports < h->cap)
		h->ports[h->nports++] = (evtchn_port_t)r;
	else
		ret = -ENOMEM;
	pthread_mutex_unlock(&h->lock);
	if (ret < 0)
		(void)umx_evtchn_unbind(h->e, (evtchn_port_t)r);
	return compat_ret(ret);
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned open_flags)
{
	xenevtchn_handle *h = calloc(1, sizeof(*h));
	int r;

	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	h->restrict_domid = NO_RESTRICT;
	pthread_mutex_init(&h->lock, NULL);
	if ((r = umx_evtchn_open(&h->e)) < 0) {
		pthread_mutex_destroy(&h->lock);
		free(h);
		compat_ret(r);
		return NULL;
	}
	return h;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd, unsigned open_flags)
{
	compat_unsupported("xenevtchn_fdopen", "no /dev/xen/evtchn descriptor to adopt");
	return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
	if (!xce)
		return 0;
	umx_evtchn_close(xce->e);
	pthread_mutex_destroy(&xce->lock);
	free(xce->ports);
	free(xce);
	return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	return umx_evtchn_fd(xce->e);
}

/* A port this handle has not bound is ENOTCONN, as with Linux's evtchn
 * driver (umx_evtchn_notify would say EINVAL). */
int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	if (!port_find(xce, port, false))
		return compat_ret(-ENOTCONN);
	return compat_ret(umx_evtchn_notify(xce->e, port));
}

static bool allowed(const xenevtchn_handle *xce, uint32_t domid)
{
	return xce->restrict_domid == NO_RESTRICT || xce->restrict_domid == domid;
}

/* A restricted handle may not create unbound ports at all (Linux's
 * evtchn driver: EACCES), whatever the remote domain. */
xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
	if (xce->restrict_domid != NO_RESTRICT)
		return compat_ret(-EACCES);
	return port_add(xce, umx_evtchn_alloc_unbound(xce->e, domid));
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
	if (!allowed(xce, domid))
		return compat_ret(-EACCES);
	return port_add(xce, umx_evtchn_bind_interdomain(xce->e, domid, remote_port));
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
	return compat_unsupported("xenevtchn_bind_virq", "umx has no virtual IRQs");
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	if (!port_find(xce, port, true))
		return compat_ret(-ENOTCONN);
	return compat_ret(umx_evtchn_unbind(xce->e, port));
}

/* Like a read() of /dev/xen/evtchn: blocks for an event unless the caller
 * made the descriptor non-blocking (libxenvchan_wait() relies on that). */
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	int fd = umx_evtchn_fd(xce->e);
	int r;

	while ((r = umx_evtchn_pending(xce->e)) == -EAGAIN) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || (fl & O_NONBLOCK))
			break;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
	return compat_ret(r);
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	return compat_ret(umx_evtchn_unmask(xce->e, port));
}

/* As Linux's IOCTL_EVTCHN_RESTRICT_DOMID: from now on the handle binds
 * only interdomain channels of @domid (EACCES otherwise, and for every
 * bind_unbound_port); ports already bound keep working. Once only
 * (EACCES), and not to domain 0 or a reserved id (EINVAL). On umx this is
 * enforced by the library, not by umxd: it limits a process that wants
 * to limit itself, as the ioctl does for a deprivileged device model. */
int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
	if (xce->restrict_domid != NO_RESTRICT)
		return compat_ret(-EACCES);
	if (domid == 0 || domid >= DOMID_FIRST_RESERVED)
		return compat_ret(-EINVAL);
	xce->restrict_domid = domid;
	return 0;
}
