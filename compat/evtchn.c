/* SPDX-License-Identifier: MIT */
/*
 * Drop-in libxenevtchn.so.1 (Xen 4.17 ABI) on umx event channels
 * (umx/evtchn.h), which already follow libxenevtchn's model: one pollable
 * descriptor per handle, pending() masks the port until unmask().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
};

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned open_flags)
{
	xenevtchn_handle *h = calloc(1, sizeof(*h));
	int r;

	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	h->restrict_domid = NO_RESTRICT;
	if ((r = umx_evtchn_open(&h->e)) < 0) {
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
	free(xce);
	return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	return umx_evtchn_fd(xce->e);
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	return compat_ret(umx_evtchn_notify(xce->e, port));
}

static bool allowed(const xenevtchn_handle *xce, uint32_t domid)
{
	return xce->restrict_domid == NO_RESTRICT || xce->restrict_domid == domid;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
	if (!allowed(xce, domid))
		return compat_ret(-EPERM);
	return compat_ret(umx_evtchn_bind_unbound_port(xce->e, domid));
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
	if (!allowed(xce, domid))
		return compat_ret(-EPERM);
	return compat_ret(umx_evtchn_bind_interdomain(xce->e, domid, remote_port));
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
	return compat_unsupported("xenevtchn_bind_virq", "umx has no virtual IRQs");
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
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
 * only to @domid; it cannot be changed once set. */
int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
	if (xce->restrict_domid != NO_RESTRICT && xce->restrict_domid != domid)
		return compat_ret(-EPERM);
	xce->restrict_domid = domid;
	return 0;
}
