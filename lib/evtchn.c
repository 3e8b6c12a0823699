/* SPDX-License-Identifier: MIT */
/*
 * Event channels, client side. Every port we hold contributes its own
 * eventfd to one epoll set, registered EPOLLONESHOT with the port as data:
 * the one-shot disarm *is* the mask, EPOLL_CTL_MOD re-arming is the unmask,
 * and the eventfd counter is what makes notifies coalesce while masked.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "umx/conn.h"
#include "umx/internal/ctl.h"
#include "umx/evtchn.h"

struct evt_slot {
	int own;    /* eventfd we read; -1: port not held */
	int notify; /* eventfd the remote end reads */
};

struct umx_evtchn {
	umx_conn *conn;
	int epfd;
	struct evt_slot slot[UMX_EVT_PORTS_MAX + 1];
};

static struct evt_slot *slot_get(umx_evtchn *h, umx_evtchn_port_t port)
{
	if (port == 0 || port > UMX_EVT_PORTS_MAX || h->slot[port].own < 0)
		return NULL;
	return &h->slot[port];
}

static int arm(umx_evtchn *h, int op, umx_evtchn_port_t port)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u32 = port};
	return epoll_ctl(h->epfd, op, h->slot[port].own, &ev) < 0 ? -errno : 0;
}

int umx_evtchn_open(umx_evtchn **out)
{
	umx_evtchn *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	for (unsigned i = 0; i <= UMX_EVT_PORTS_MAX; i++)
		h->slot[i] = (struct evt_slot){-1, -1};
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		r = -errno;
		goto err;
	}
	if ((r = umx_conn_open_domain(&h->conn)) < 0)
		goto err;
	*out = h;
	return 0;
err:
	if (h->epfd >= 0)
		close(h->epfd);
	free(h);
	return r;
}

static void slot_drop(umx_evtchn *h, umx_evtchn_port_t port)
{
	struct evt_slot *s = &h->slot[port];
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, s->own, NULL);
	close(s->own);
	close(s->notify);
	*s = (struct evt_slot){-1, -1};
}

void umx_evtchn_close(umx_evtchn *h)
{
	if (!h)
		return;
	for (umx_evtchn_port_t p = 1; p <= UMX_EVT_PORTS_MAX; p++) {
		if (h->slot[p].own < 0)
			continue;
		struct umx_ctl_evt_close req = {.port = p};
		umx_conn_call(h->conn, UMX_CTL_EVT_CLOSE, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
		              NULL);
		slot_drop(h, p);
	}
	close(h->epfd);
	umx_conn_close(h->conn);
	free(h);
}

int umx_evtchn_fd(const umx_evtchn *h)
{
	return h->epfd;
}

/* Adopt a port the daemon just gave us with its two eventfds. */
static int adopt(umx_evtchn *h, int r, uint32_t port, const int *fds, unsigned nfds)
{
	if (r < 0)
		goto err;
	if (nfds != 2 || port == 0 || port > UMX_EVT_PORTS_MAX || h->slot[port].own >= 0) {
		r = -EPROTO;
		goto err;
	}
	h->slot[port] = (struct evt_slot){fds[0], fds[1]};
	if ((r = arm(h, EPOLL_CTL_ADD, port)) < 0) {
		struct umx_ctl_evt_close req = {.port = port};
		umx_conn_call(h->conn, UMX_CTL_EVT_CLOSE, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
		              NULL);
		h->slot[port] = (struct evt_slot){-1, -1};
		goto err;
	}
	return (int)port;
err:
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return r;
}

/* ALLOC_UNBOUND and BIND_INTERDOMAIN: a request whose reply is a new local
 * port and its two eventfds, which adopt() takes into our table. */
static int new_port_call(umx_evtchn *h, uint32_t type, const void *req, size_t req_len)
{
	uint32_t port = 0;
	int fds[2];
	unsigned nfds = 0;
	int r = umx_conn_call(h->conn, type, req, req_len, &port, sizeof(port), NULL, fds, 2,
	                      &nfds);

	return adopt(h, r, port, fds, nfds);
}

int umx_evtchn_alloc_unbound(umx_evtchn *h, uint32_t remote_domid)
{
	struct umx_ctl_evt_alloc_unbound req = {.remote_domid = remote_domid};

	return new_port_call(h, UMX_CTL_EVT_ALLOC_UNBOUND, &req, sizeof(req));
}

int umx_evtchn_bind_interdomain(umx_evtchn *h, uint32_t remote_domid, umx_evtchn_port_t remote_port)
{
	struct umx_ctl_evt_bind req = {.remote_domid = remote_domid, .remote_port = remote_port};

	return new_port_call(h, UMX_CTL_EVT_BIND_INTERDOMAIN, &req, sizeof(req));
}

int umx_evtchn_unbind(umx_evtchn *h, umx_evtchn_port_t port)
{
	/* The daemon decides what is ours; our table only follows. */
	struct umx_ctl_evt_close req = {.port = port};
	int r = umx_conn_call(h->conn, UMX_CTL_EVT_CLOSE, &req, sizeof(req), NULL, 0, NULL, NULL, 0,
	                      NULL);
	if (r < 0)
		return r;
	if (slot_get(h, port))
		slot_drop(h, port);
	return 0;
}

int umx_evtchn_notify(umx_evtchn *h, umx_evtchn_port_t port)
{
	struct evt_slot *s = slot_get(h, port);
	uint64_t one = 1;

	if (!s)
		return -EINVAL;
	/* EAGAIN: the counter is saturated, the event is pending anyway. */
	if (write(s->notify, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int umx_evtchn_pending(umx_evtchn *h)
{
	struct epoll_event ev;
	uint64_t count;

	for (;;) {
		int n = epoll_wait(h->epfd, &ev, 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EAGAIN;
		umx_evtchn_port_t port = ev.data.u32;
		struct evt_slot *s = slot_get(h, port);
		if (!s)
			continue;
		/* Reset the counter: the port is now masked (one-shot fired)
		 * and what arrives from here on is one event after unmask. */
		if (read(s->own, &count, sizeof(count)) == sizeof(count))
			return (int)port;
		/* Nothing to read after all: re-arm and look again. */
		arm(h, EPOLL_CTL_MOD, port);
		return -EAGAIN;
	}
}

int umx_evtchn_unmask(umx_evtchn *h, umx_evtchn_port_t port)
{
	if (!slot_get(h, port))
		return -EINVAL;
	return arm(h, EPOLL_CTL_MOD, port);
}
