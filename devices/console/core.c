/* SPDX-License-Identifier: MIT */
/*
 * The console's data path, the same for both ends: two byte rings over one
 * struct xencons_interface, events with storm accounting (console.h).
 *
 * Every shared index goes through lib/bytering.c, which reads the peer's
 * index once per call (acquire, pairing with the peer's release of it),
 * validates it, and publishes ours with a release store after the bytes
 * are copied; this file adds no barrier of its own besides the one before
 * a notify, which the event channel itself provides (a write to an
 * eventfd or /dev/xen/evtchn is a full barrier in the kernel).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "umx/internal/clock.h"
#include "umx/log.h"
#include "cons_priv.h"
#include "../common/peerdom.h"

void cons_attach(umx_console *c)
{
	struct xencons_interface *i = c->intf;

	/* Sizes and pointers are ours and valid: init cannot fail. */
	if (c->front) {
		(void)umx_bytering_init(&c->rd, UMX_BYTERING_READER, i->in, sizeof(i->in),
		                        &i->in_cons, &i->in_prod);
		(void)umx_bytering_init(&c->wr, UMX_BYTERING_WRITER, i->out, sizeof(i->out),
		                        &i->out_cons, &i->out_prod);
	} else {
		(void)umx_bytering_init(&c->rd, UMX_BYTERING_READER, i->out, sizeof(i->out),
		                        &i->out_cons, &i->out_prod);
		(void)umx_bytering_init(&c->wr, UMX_BYTERING_WRITER, i->in, sizeof(i->in),
		                        &i->in_cons, &i->in_prod);
	}
	c->rd_seen = c->rd.peer_last;
	c->wr_seen = c->wr.peer_last;
}

void cons_attach_local(umx_console *c, bool front, void *page)
{
	memset(c, 0, sizeof(*c));
	c->front = front;
	c->intf = page;
	cons_attach(c);
}

void cons_unbind(umx_console *c)
{
	if (c->port)
		(void)umx_plat_evtchn_unbind(c->plat, c->port);
	c->port = 0;
}

const char *umx_console_broken(const umx_console *c)
{
	return c->why ? umx_bytering_broken(c->why) : NULL;
}

/* A violation in one direction breaks the whole console: fail closed,
 * once (docs/HARDENING.md 9). The direction that broke first keeps the
 * reason; the console says once which domain it was. */
static int broken_check(umx_console *c, int r)
{
	if (r != -EPROTO || c->why)
		return r;
	c->why = umx_bytering_broken(&c->rd) ? &c->rd : &c->wr;
	umx_warn("console dom%u/%u: broken, the %s cut off: %s", c->peer, c->devid,
	         c->front ? "backend" : "domain", umx_bytering_broken(c->why));
	(void)umx_bytering_mark_broken(c->why == &c->rd ? &c->wr : &c->rd,
	                               "console dom%u/%u: other direction broke", c->peer,
	                               c->devid);
	return -EPROTO;
}

int umx_console_readable(umx_console *c)
{
	return broken_check(c, umx_bytering_data_avail(&c->rd));
}

int umx_console_writable(umx_console *c)
{
	return broken_check(c, umx_bytering_space_avail(&c->wr));
}

int umx_console_read(umx_console *c, void *buf, size_t len)
{
	if (umx_console_broken(c))
		return -EPROTO;
	int r = broken_check(c, umx_bytering_read(&c->rd, buf, len));

	if (r > 0) {
		c->st.bytes_read += (uint64_t)r;
		/* Space freed: the writer may be waiting for it. */
		if (c->plat)
			(void)umx_plat_evtchn_notify(c->plat, c->port);
	}
	return r;
}

int umx_console_write(umx_console *c, const void *buf, size_t len)
{
	if (umx_console_broken(c))
		return -EPROTO;
	int r = broken_check(c, umx_bytering_write(&c->wr, buf, len));

	if (r > 0) {
		c->st.bytes_written += (uint64_t)r;
		if (c->plat)
			(void)umx_plat_evtchn_notify(c->plat, c->port);
	}
	return r;
}

uint32_t umx_console_port(const umx_console *c)
{
	return c->port;
}

uint32_t umx_console_peer(const umx_console *c)
{
	return c->peer;
}

uint32_t umx_console_devid(const umx_console *c)
{
	return c->devid;
}

void umx_console_stats_get(const umx_console *c, struct umx_console_stats *st)
{
	*st = c->st;
}

int umx_console_event(umx_console *c)
{
	uint64_t now = umx_clock_ms();
	bool work;
	int r;

	c->st.events++;
	/* Look at both peer indices once (validated); an event is work when
	 * either moved since the last one. Data left unread by a throttled
	 * reader is not new work, so a peer cannot keep us busy by notifying
	 * over a full ring. */
	if ((r = umx_console_readable(c)) < 0 || (r = umx_console_writable(c)) < 0)
		return r;
	work = c->rd.peer_last != c->rd_seen || c->wr.peer_last != c->wr_seen;
	c->rd_seen = c->rd.peer_last;
	c->wr_seen = c->wr.peer_last;
	cons_front_handshake(c);
	if (!work) {
		c->st.spurious++;
		/* A peer that died closed its port, which signals ours: ask
		 * the store. */
		(void)umx_console_peer_gone(c);
	}
	bool was_held = evstorm_held(&c->storm);
	if (evstorm_event(&c->storm, now, work, CONS_STORM_EVENTS)) {
		if (c->plat)
			(void)umx_plat_evtchn_unmask(c->plat, c->port);
	} else if (!was_held) {
		/* The port stays masked until the window ends; logged once
		 * per hold, so the log cannot be flooded either. */
		c->st.holds++;
		umx_warn("console dom%u/%u: event storm (more than %u events without data in "
		         "%u ms): port held masked",
		         c->peer, c->devid, CONS_STORM_EVENTS, EVSTORM_WINDOW_MS);
	}
	return c->gone ? -EPIPE : 0;
}

int umx_console_peer_gone(umx_console *c)
{
	/* Domain 0, the toolstack, does not go away. */
	if (!c->gone && c->xs && c->peer != 0 && peerdom_gone(c->xs, c->peer) == 1)
		c->gone = true;
	return c->gone;
}

int umx_console_timeout(const umx_console *c, int timeout_ms)
{
	return evstorm_timeout(&c->storm, umx_clock_ms(), timeout_ms);
}

void umx_console_tick(umx_console *c)
{
	if (evstorm_release(&c->storm, umx_clock_ms()) && c->plat)
		(void)umx_plat_evtchn_unmask(c->plat, c->port);
}

int umx_console_wait(umx_console *c, int timeout_ms)
{
	struct pollfd pf = {.fd = umx_plat_evtchn_fd(c->plat), .events = POLLIN};
	int got = 0, port, r;

	if (pf.fd < 0)
		return pf.fd;
	umx_console_tick(c);
	r = poll(&pf, 1, umx_console_timeout(c, timeout_ms));
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	umx_console_tick(c);
	/* A peer's death signals our port, but that event may have merged
	 * with its last data notify and looked like work: a quiet wait asks
	 * the store. */
	if (r == 0)
		return umx_console_peer_gone(c) ? -EPIPE : 0;
	/* Bounded: at most one pass over what is pending now. */
	for (int i = 0; i < 64 && (port = umx_plat_evtchn_pending(c->plat)) >= 0; i++) {
		if ((uint32_t)port != c->port) {
			(void)umx_plat_evtchn_unmask(c->plat, (uint32_t)port);
			continue;
		}
		got = 1;
		if ((r = umx_console_event(c)) < 0)
			return r;
	}
	return got;
}
