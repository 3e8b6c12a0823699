/* SPDX-License-Identifier: MIT */
/*
 * The domain's end of a console (console.h): share the ring, allocate the
 * event channel, publish both. The backend named by the toolstack's
 * `backend-id` is trusted with nothing: every index it writes is checked
 * by the byte rings (core.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/grant_table.h>
#include <xen/io/xenbus.h>

#include "umx/log.h"
#include "cons_priv.h"

/* ring-ref and port (and a secondary's state) in one transaction, so a
 * backend watching the directory sees both or neither. */
static int publish(umx_console *c, uint32_t ring_ref)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t tx;
		int r = umx_xs_transaction_start(c->xs, &tx);

		if (r < 0)
			return r;
		if ((r = xenbus_printf(c->xs, tx, c->fdir, "ring-ref", "%u", ring_ref)) < 0 ||
		    (r = xenbus_printf(c->xs, tx, c->fdir, "port", "%u", c->port)) < 0 ||
		    (c->devid != UMX_CONSOLE_PRIMARY &&
		     (r = xenbus_printf(c->xs, tx, c->fdir, "state", "%d",
		                        XenbusStateInitialised)) < 0)) {
			umx_xs_transaction_end(c->xs, tx, false);
			return r;
		}
		r = umx_xs_transaction_end(c->xs, tx, true);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}

/* The ring page: the primary at Xen's reserved console ref, as the domain
 * builder grants it (xenconsoled maps GNTTAB_RESERVED_CONSOLE, and reads
 * ring-ref as the page's frame); a secondary at any ref, which is what
 * ring-ref then says. */
static int share_ring(umx_console *c, uint32_t *ring_ref)
{
	int r;

	if (c->devid != UMX_CONSOLE_PRIMARY) {
		if ((r = umx_plat_share(c->plat, c->peer, 1, false, NULL, &c->share)) < 0)
			return r;
		c->intf = umx_plat_share_addr(c->share);
		*ring_ref = umx_plat_share_ref(c->share, 0);
		return 0;
	}
	/* On Xen the primary console exists before the domain does. */
	if (strcmp(umx_plat_name(c->plat), "umxd") != 0)
		return -EOPNOTSUPP;
	if ((r = umx_gnt_open(&c->gnt)) < 0)
		return r;
	r = umx_gnt_share_reserved(c->gnt, c->peer, GNTTAB_RESERVED_CONSOLE, 0, &c->gshare);
	if (r < 0) {
		umx_gnt_close(c->gnt);
		c->gnt = NULL;
		return r;
	}
	c->intf = umx_gnt_share_addr(c->gshare);
	*ring_ref = umx_gnt_share_frame(c->gshare, 0);
	return 0;
}

static int unshare_ring(umx_console *c)
{
	int r = 0;

	if (c->share)
		r = umx_plat_unshare(c->plat, c->share);
	if (c->gshare)
		r = umx_gnt_end_access(c->gnt, c->gshare);
	if (c->gnt)
		umx_gnt_close(c->gnt);
	c->share = NULL;
	c->gshare = NULL;
	c->gnt = NULL;
	c->intf = NULL;
	return r;
}

int umx_console_front_open(umx_plat *p, uint32_t devid, umx_console **out)
{
	umx_console *c;
	uint32_t ring_ref = 0;
	int r;

	if (devid > UMX_CONSOLE_DEVID_MAX)
		return -EINVAL;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->plat = p;
	c->xs = umx_plat_xs(p);
	c->front = true;
	c->devid = devid;
	if ((r = cons_frontdir(umx_plat_domid(p), devid, c->fdir, sizeof(c->fdir))) < 0)
		goto err;
	/* The toolstack's choice of backend; ours to read, never the
	 * backend's to change (it may write only tty here). */
	if ((r = cons_xs_read_u32(c->xs, c->fdir, "backend-id", &c->peer)) < 0)
		goto err;
	/* A secondary follows its backend's state (cons_front_handshake). */
	if (devid != UMX_CONSOLE_PRIMARY &&
	    (r = cons_backdir(c->peer, umx_plat_domid(p), devid, c->bdir, sizeof(c->bdir))) < 0)
		goto err;
	if ((r = share_ring(c, &ring_ref)) < 0)
		goto err;
	cons_attach(c);
	if ((r = umx_plat_evtchn_alloc_unbound(p, c->peer)) < 0)
		goto err_ring;
	c->port = (uint32_t)r;
	if ((r = publish(c, ring_ref)) < 0)
		goto err_port;
	*out = c;
	return 0;
err_port:
	cons_unbind(c);
err_ring:
	(void)unshare_ring(c);
err:
	if (r != -ENOENT)
		umx_warn("console %s: cannot open: %s", c->fdir, strerror(-r));
	free(c);
	return r;
}

/* As Linux's hvc_xen (xencons_backend_changed): once the backend says
 * Connected, so does the frontend. The backend notifies after it wrote
 * Connected (umx_console_back_open), so the event that brings us here
 * comes after the state it announces. Only a valid Connected counts; any
 * other state, or none, is looked at again on a later event. */
void cons_front_handshake(umx_console *c)
{
	if (!c->front || c->connected || c->devid == UMX_CONSOLE_PRIMARY || !c->bdir[0])
		return;
	if (xenbus_read_state(c->xs, c->bdir) != XenbusStateConnected)
		return;
	if (xenbus_switch_state(c->xs, c->fdir, XenbusStateConnected) == 0)
		c->connected = true;
}

int umx_console_close(umx_console *c)
{
	int r = 0;

	if (!c)
		return 0;
	cons_unbind(c);
	if (c->front) {
		if (c->devid != UMX_CONSOLE_PRIMARY)
			(void)xenbus_printf(c->xs, UMX_XS_NO_TX, c->fdir, "state", "%d",
			                    XenbusStateClosed);
		r = unshare_ring(c);
	} else {
		r = cons_back_close(c);
	}
	free(c);
	return r;
}
