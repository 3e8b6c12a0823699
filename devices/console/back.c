/* SPDX-License-Identifier: MIT */
/*
 * The backend's end of a console (console.h): what xenconsoled does for
 * one domain. The domain is hostile: its nodes are read once and parsed
 * strictly, its page is only ever reached through the byte rings.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/grant_table.h>
#include <xen/io/xenbus.h>

#include "umx/log.h"
#include "cons_priv.h"
#include "../common/peerdom.h"

/* Is there a backend directory for us (the toolstack made one)? */
static bool have_backdir(umx_console *c)
{
	uint32_t st;

	return c->bdir[0] && cons_xs_read_u32(c->xs, c->bdir, "state", &st) == 0;
}

/* The frontend's ring-ref and port, each read once; a secondary's state
 * must say the ring is there. -EAGAIN while it is not. */
static int read_front(umx_console *c, uint32_t *ring_ref, uint32_t *rport)
{
	uint32_t st;
	int r;

	if (c->devid != UMX_CONSOLE_PRIMARY) {
		r = cons_xs_read_u32(c->xs, c->fdir, "state", &st);
		if (r == -ENOENT || (r == 0 && st < XenbusStateInitialised))
			return -EAGAIN;
		if (r < 0)
			return r;
		if (st != XenbusStateInitialised && st != XenbusStateConnected)
			return -EAGAIN; /* closing, or not a state we connect in */
	}
	r = cons_xs_read_u32(c->xs, c->fdir, "ring-ref", ring_ref);
	if (r == 0)
		r = cons_xs_read_u32(c->xs, c->fdir, "port", rport);
	return r == -ENOENT ? -EAGAIN : r;
}

int umx_console_back_open(umx_plat *p, uint32_t domid, uint32_t devid, umx_console **out)
{
	umx_console *c;
	uint32_t ring_ref = 0, rport = 0, ref;
	int r;

	if (devid > UMX_CONSOLE_DEVID_MAX || domid == umx_plat_domid(p))
		return -EINVAL;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->plat = p;
	c->xs = umx_plat_xs(p);
	c->peer = domid;
	c->devid = devid;
	if ((r = cons_frontdir(domid, devid, c->fdir, sizeof(c->fdir))) < 0 ||
	    (r = cons_backdir(umx_plat_domid(p), domid, devid, c->bdir, sizeof(c->bdir))) < 0)
		goto err;
	if ((r = read_front(c, &ring_ref, &rport)) < 0) {
		/* A secondary waits for its frontend in InitWait, as Linux's
		 * backends do: the frontend may wait for that to connect. */
		if (r == -EAGAIN && devid != UMX_CONSOLE_PRIMARY &&
		    xenbus_read_state(c->xs, c->bdir) == XenbusStateInitialising)
			(void)xenbus_switch_state(c->xs, c->bdir, XenbusStateInitWait);
		goto err;
	}
	/* The primary is mapped at the reserved ref whatever ring-ref says
	 * (xenconsoled's grant-table path; ring-ref is the frame for the
	 * foreign-mapping one). */
	ref = devid == UMX_CONSOLE_PRIMARY ? GNTTAB_RESERVED_CONSOLE : ring_ref;
	if ((r = umx_plat_map(p, domid, 1, &ref, false, NULL, &c->map)) < 0)
		goto err;
	c->intf = umx_plat_map_addr(c->map);
	if ((r = umx_plat_evtchn_bind_interdomain(p, domid, rport)) < 0)
		goto err_map;
	c->port = (uint32_t)r;
	/* Our indices come from the page once, here (we may be a restarted
	 * backend taking over a live ring); the rings validate the rest. */
	cons_attach(c);
	if (have_backdir(c))
		(void)xenbus_printf(c->xs, UMX_XS_NO_TX, c->bdir, "state", "%d",
		                    XenbusStateConnected);
	else
		c->bdir[0] = 0;
	/* Whatever the domain wrote while nobody was connected is waiting. */
	(void)umx_plat_evtchn_notify(p, c->port);
	*out = c;
	return 0;
err_map:
	(void)umx_plat_unmap(p, c->map);
err:
	if (r != -EAGAIN && peerdom_gone(c->xs, domid) == 1)
		r = -ESRCH;
	if (r != -EAGAIN && r != -ESRCH)
		umx_warn("console dom%u/%u: cannot connect: %s", domid, devid, strerror(-r));
	free(c);
	return r;
}

int umx_console_back_set_tty(umx_console *c, const char *tty)
{
	int r = 0;

	if (c->front)
		return -EINVAL;
	if (c->bdir[0])
		r = xenbus_printf(c->xs, UMX_XS_NO_TX, c->bdir, "tty", "%s", tty);
	/* As xenconsoled does; refused when the toolstack did not let us. */
	(void)xenbus_printf(c->xs, UMX_XS_NO_TX, c->fdir, "tty", "%s", tty);
	return r;
}

int cons_back_close(umx_console *c)
{
	if (c->bdir[0] && !c->gone)
		(void)xenbus_printf(c->xs, UMX_XS_NO_TX, c->bdir, "state", "%d", XenbusStateClosed);
	if (c->map)
		(void)umx_plat_unmap(c->plat, c->map);
	c->map = NULL;
	c->intf = NULL;
	return 0;
}
