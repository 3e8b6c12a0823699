/* SPDX-License-Identifier: MIT */
/* Is the peer domain, or the store, still there (peerdom.h). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "peerdom.h"

int peerdom_gone(umx_xs *xs, uint32_t domid)
{
	char arg[16], *reply = NULL;
	int n = snprintf(arg, sizeof(arg), "%u", domid), r;

	r = umx_xs_request(xs, XS_IS_DOMAIN_INTRODUCED, UMX_XS_NO_TX, arg, (size_t)n + 1, &reply,
	                   NULL);
	if (r < 0)
		return r;
	if (!reply)
		return -EPROTO;
	/* The reply is the store's: anything but a plain "F" means alive, so
	 * a confused store never makes us tear down a live peer's device. */
	r = !strcmp(reply, "F");
	free(reply);
	return r;
}

bool peerdom_store_lost(const umx_xs *xs)
{
	struct pollfd pf = {.fd = umx_xs_fd(xs), .events = 0};

	if (pf.fd < 0)
		return true;
	return poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLERR | POLLNVAL));
}
