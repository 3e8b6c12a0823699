/* SPDX-License-Identifier: MIT */
/*
 * netback's side of the xenbus handshake (xen/io/netif.h): each vif the
 * toolstack creates under this domain's backend/vif/ gets our feature
 * nodes and InitWait; when the frontend reaches Initialised/Connected its
 * ring refs and event channels are read (hostile: checked, a bad value
 * fails that vif alone), mapped and bound, and we go Connected. Closing or
 * a vanished frontend disconnects the port; a frontend that starts over
 * from Initialising gets a fresh connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/peerdom.h"
#include "back_priv.h"
#include "umx/internal/clock.h"
#include "umx/log.h"

static int vif_connect(struct nb_vif *v)
{
	struct umx_netback *nb = v->nb;
	unsigned long txref, rxref, evtchn = 0, evt_tx = 0, evt_rx = 0, copy = 0, persistent = 0;
	/* netif.h's defaults: IPv4 checksum offload on unless refused, the
	 * rest off unless offered; GSO needs scatter-gather to arrive. */
	unsigned long no_csum = 0, csum6 = 0, gso4 = 0, gso6 = 0, sg = 0;
	int port;

#define RD(name, var, must)                                                                   \
	do {                                                                                  \
		if (xenbus_read_uint(nb->xs, v->fe, name, &(var)) < 0 && (must))              \
			return nb_vif_fail(v, "frontend node %s missing or malformed", name); \
	} while (0)
	RD("tx-ring-ref", txref, true);
	RD("rx-ring-ref", rxref, true);
	RD("event-channel-tx", evt_tx, false);
	RD("event-channel-rx", evt_rx, false);
	RD("event-channel", evtchn, !(evt_tx && evt_rx));
	RD("request-rx-copy", copy, false);
	RD("feature-persistent", persistent, false);
	RD("feature-no-csum-offload", no_csum, false);
	RD("feature-ipv6-csum-offload", csum6, false);
	RD("feature-gso-tcpv4", gso4, false);
	RD("feature-gso-tcpv6", gso6, false);
	RD("feature-sg", sg, false);
#undef RD
	if (copy != 1)
		return nb_vif_fail(v,
		                   "frontend does not request rx-copy (flipping is not supported)");
	if (evt_tx && evt_rx)
		evtchn = evt_tx; /* split: TX on this one, RX below */
	if (txref > UINT32_MAX || rxref > UINT32_MAX || evtchn == 0 || evtchn > UINT32_MAX ||
	    evt_rx > UINT32_MAX)
		return nb_vif_fail(v, "frontend ring refs or event channel out of range");
	v->persistent = persistent == 1;
	v->fe_off = (no_csum == 1 ? 0 : UMX_NET_OFF_CSUM4) | (csum6 == 1 ? UMX_NET_OFF_CSUM6 : 0) |
	            (sg == 1 && gso4 == 1 && no_csum != 1 ? UMX_NET_OFF_GSO4 : 0) |
	            (sg == 1 && gso6 == 1 && csum6 == 1 ? UMX_NET_OFF_GSO6 : 0);
	uint32_t r32 = (uint32_t)txref;
	if (umx_plat_map(nb->p, v->info.front_domid, 1, &r32, false, NULL, &v->m_tx) < 0) {
		v->m_tx = NULL;
		return nb_vif_fail(v, "cannot map tx-ring-ref %lu", txref);
	}
	r32 = (uint32_t)rxref;
	if (umx_plat_map(nb->p, v->info.front_domid, 1, &r32, false, NULL, &v->m_rx) < 0) {
		v->m_rx = NULL;
		return nb_vif_fail(v, "cannot map rx-ring-ref %lu", rxref);
	}
	port = umx_plat_evtchn_bind_interdomain(nb->p, v->info.front_domid, (uint32_t)evtchn);
	if (port <= 0)
		return nb_vif_fail(v, "cannot bind event channel %lu", evtchn);
	v->port = v->port_rx = (uint32_t)port;
	if (evt_tx && evt_rx) {
		port = umx_plat_evtchn_bind_interdomain(nb->p, v->info.front_domid,
		                                        (uint32_t)evt_rx);
		if (port <= 0)
			return nb_vif_fail(v, "cannot bind event channel %lu", evt_rx);
		v->port_rx = (uint32_t)port;
	}
	if (umx_ring_back_init(&v->tx, umx_plat_map_addr(v->m_tx), UMX_PAGE_SIZE,
	                       sizeof(struct netif_tx_request), sizeof(struct netif_tx_response),
	                       false) < 0 ||
	    umx_ring_back_init(&v->rx, umx_plat_map_addr(v->m_rx), UMX_PAGE_SIZE,
	                       sizeof(struct netif_rx_request), sizeof(struct netif_rx_response),
	                       false) < 0)
		return nb_vif_fail(v, "cannot attach rings");
	v->rings = true;
	v->info.connected = true;
	nb->busy = true;
	xenbus_switch_state(nb->xs, v->be, XenbusStateConnected);
	umx_info("netback: vif %u.%u connected%s", v->info.front_domid, v->info.handle,
	         v->persistent ? " (persistent)" : "");
	return 0;
}

/* Remove @be's nodes and, when that leaves it empty, the frontend's
 * directory above it (backend/vif/<domid>, ours since umx_net_attach). */
static void be_nodes_remove(struct umx_netback *nb, const char *be)
{
	char dir[128], **names = NULL;
	unsigned n = 0;
	const char *slash = strrchr(be, '/');

	umx_xs_rm(nb->xs, UMX_XS_NO_TX, be);
	if (!slash || (size_t)(slash - be) >= sizeof(dir))
		return;
	memcpy(dir, be, (size_t)(slash - be));
	dir[slash - be] = 0;
	/* Another vif of the same frontend keeps the directory. Only ours
	 * to remove when we own it (a toolstack other than umx's may not
	 * give it to us; then it cleans up, as libxl does). */
	if (umx_xs_directory(nb->xs, UMX_XS_NO_TX, dir, &names, &n) == 0 && n == 0)
		umx_xs_rm(nb->xs, UMX_XS_NO_TX, dir);
	free(names);
}

/* The frontend of @v is dead: free its switch port and remove its backend
 * nodes. A vif refused for want of a port may now get this one. */
static void vif_release(struct umx_netback *nb, struct nb_vif *v, const char *why)
{
	char be[sizeof(v->be)];

	for (unsigned i = 0; i < nb->nvifs; i++)
		if (nb->vifs[i] == v) {
			nb->vifs[i] = nb->vifs[--nb->nvifs];
			break;
		}
	umx_info("netback: vif %u.%u released: %s", v->info.front_domid, v->info.handle, why);
	v->info.connected = false;
	nb->gone[(nb->gone_head + nb->ngone) % UMX_NET_PORTS_MAX] = v->info;
	if (nb->ngone < UMX_NET_PORTS_MAX)
		nb->ngone++;
	else
		nb->gone_head = (nb->gone_head + 1) % UMX_NET_PORTS_MAX;
	memcpy(be, v->be, sizeof(be));
	nb_vif_free(nb, v);
	be_nodes_remove(nb, be);
	if (nb->refused)
		nb_rescan(nb);
}

/* The frontend's state node changed (or vanished). */
static void vif_frontend_changed(struct nb_vif *v)
{
	struct umx_netback *nb = v->nb;
	int s = xenbus_read_state(nb->xs, v->fe);
	int bs = xenbus_read_state(nb->xs, v->be);

	/* A toolstack may write the backend directory before the frontend's
	 * (libxl uses one transaction; scripts and other toolstacks may not):
	 * a frontend that never existed is not yet there, not gone, unless
	 * its domain has died (before we first looked; a domain not yet
	 * started counts as dead here, so such a toolstack must start the
	 * domain before it writes the backend's nodes). */
	if (s < 0 && !v->fe_seen) {
		if (peerdom_gone(nb->xs, v->info.front_domid) == 1)
			vif_release(nb, v, "its domain died");
		return;
	}
	if (s >= 0)
		v->fe_seen = true;
	switch (s) {
	case XenbusStateInitialising:
		if (bs == XenbusStateClosed || bs == XenbusStateClosing) {
			if (v->info.connected)
				nb_vif_disconnect(v);
			v->info.reason[0] = 0; /* a reconnect starts afresh */
			xenbus_switch_state(nb->xs, v->be, XenbusStateInitWait);
		}
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (!v->info.connected && !v->info.reason[0] && bs == XenbusStateInitWait)
			vif_connect(v);
		break;
	default: /* Closing, Closed, unknown, or gone with its domain */
		if (v->info.connected)
			nb_vif_disconnect(v);
		/* Its state node is gone: a detach (the toolstack removes our
		 * directory too, and the rescan frees the port) or the
		 * frontend's death. A dead frontend's port and nodes are
		 * released now: nobody else will (Xen's toolstack removes a
		 * dead domain's backend directories; umxd leaves ours to us). */
		if (s < 0 && peerdom_gone(nb->xs, v->info.front_domid) == 1) {
			vif_release(nb, v, "its domain died");
			return;
		}
		if (bs >= 0 && bs != XenbusStateClosed)
			xenbus_switch_state(nb->xs, v->be, XenbusStateClosed);
		break;
	}
}

void nb_vif_free(struct umx_netback *nb, struct nb_vif *v)
{
	char path[160];
	char token[48];

	snprintf(path, sizeof(path), "%s/state", v->fe);
	snprintf(token, sizeof(token), "fe:%u:%u", v->info.front_domid, v->info.handle);
	umx_xs_unwatch(nb->xs, path, token);
	nb_vif_disconnect(v);
	free(v);
}

/* What we offer a frontend (xen/io/netif.h). */
static const struct {
	const char *name, *value;
} features[] = {
        {"feature-rx-copy", "1"},
        {"feature-rx-flip", "0"},
        {"feature-sg", "1"},
        {"feature-persistent", "1"},
        {"feature-split-event-channels", "1"},
        /* Checksum offload and TCP GSO, both IP versions: a frontend may
         * send partial checksums and 64 KiB segments; the switch forwards
         * them whole to ports that take them and completes or segments
         * them for the others (csum.c). */
        {"feature-no-csum-offload", "0"},
        {"feature-ipv6-csum-offload", "1"},
        {"feature-gso-tcpv4", "1"},
        {"feature-gso-tcpv6", "1"},
};

/*
 * A frontend that died before we saw its vif (or while it waited for a
 * port) is not served: its nodes go at once. Dead is: its state node is
 * gone (umxd removes a dead domain's directory) and the store says the
 * domain is not there. A toolstack may attach a vif for a domain it has
 * yet to start (the frontend's nodes then exist): that one waits.
 */
static bool frontend_dead(struct umx_netback *nb, const char *be, uint32_t fdom)
{
	char path[192], *fe = NULL;
	bool dead = false;

	snprintf(path, sizeof(path), "%s/frontend", be);
	if (umx_xs_read(nb->xs, UMX_XS_NO_TX, path, &fe, NULL) < 0)
		return false; /* vif_new reports the toolstack's mistake */
	if (strlen(fe) < 128 && xenbus_read_state(nb->xs, fe) < 0)
		dead = peerdom_gone(nb->xs, fdom) == 1;
	free(fe);
	return dead;
}

/*
 * Every port is taken: the vif waits (state Initialising) until one is
 * freed, and says why in <be>/error, where its frontend (or a person)
 * reads it; logged once per vif, not once per rescan.
 */
static void vif_refuse(struct umx_netback *nb, const char *be, uint32_t fdom, uint32_t handle)
{
	char path[192], *old = NULL;

	uint64_t now = umx_clock_ms();

	nb->refused = true;
	snprintf(path, sizeof(path), "%s/error", be);
	if (umx_xs_read(nb->xs, UMX_XS_NO_TX, path, &old, NULL) == 0) {
		free(old);
		return;
	}
	/* The node may not be writable (our store quota may be what ran
	 * out): then the log is paced instead, once a second. */
	if (xenbus_printf(nb->xs, UMX_XS_NO_TX, be, "error", "%d all %u switch ports are in use",
	                  ENOSPC, UMX_NET_PORTS_MAX) < 0 &&
	    nb->refused_logged_at && now - nb->refused_logged_at < 1000)
		return;
	nb->refused_logged_at = now;
	umx_warn("netback: vif %u.%u waits: all %u switch ports are in use", fdom, handle,
	         UMX_NET_PORTS_MAX);
}

static void vif_new(struct umx_netback *nb, uint32_t fdom, uint32_t handle)
{
	struct nb_vif *v;
	char path[192], token[48], be[sizeof(v->be)], *val = NULL;
	unsigned long fid;

	snprintf(be, sizeof(be), "%s/%u/%u", nb->dir, fdom, handle);
	if (frontend_dead(nb, be, fdom)) {
		umx_info("netback: vif %u.%u released: its domain died", fdom, handle);
		be_nodes_remove(nb, be);
		return;
	}
	if (nb->nvifs == UMX_NET_PORTS_MAX) {
		vif_refuse(nb, be, fdom, handle);
		return;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return;
	v->nb = nb;
	v->info.front_domid = fdom;
	v->info.handle = handle;
	memcpy(v->be, be, sizeof(v->be));
	/* The toolstack's nodes: frontend path and id must agree with the
	 * directory we found them in. */
	if (xenbus_read_uint(nb->xs, v->be, "frontend-id", &fid) < 0 || fid != fdom)
		goto bad;
	snprintf(path, sizeof(path), "%s/frontend", v->be);
	if (umx_xs_read(nb->xs, UMX_XS_NO_TX, path, &val, NULL) < 0 || strlen(val) >= sizeof(v->fe))
		goto bad;
	snprintf(v->fe, sizeof(v->fe), "%s", val);
	free(val);
	val = NULL;
	snprintf(path, sizeof(path), "%s/mac", v->be);
	if (umx_xs_read(nb->xs, UMX_XS_NO_TX, path, &val, NULL) == 0)
		umx_net_parse_mac(val, v->info.mac);
	free(val);
	val = NULL;
	for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		xenbus_printf(nb->xs, UMX_XS_NO_TX, v->be, features[i].name, "%s",
		              features[i].value);
	snprintf(path, sizeof(path), "%s/error", v->be);
	umx_xs_rm(nb->xs, UMX_XS_NO_TX, path); /* it may have waited for a port */
	xenbus_switch_state(nb->xs, v->be, XenbusStateInitWait);
	nb->vifs[nb->nvifs++] = v;
	snprintf(path, sizeof(path), "%s/state", v->fe);
	snprintf(token, sizeof(token), "fe:%u:%u", fdom, handle);
	umx_xs_watch(nb->xs, path, token); /* fires once now */
	return;
bad:
	free(val);
	umx_warn("netback: vif %u.%u: toolstack nodes missing or inconsistent", fdom, handle);
	free(v);
}

static struct nb_vif *vif_find(struct umx_netback *nb, uint32_t fdom, uint32_t handle)
{
	for (unsigned i = 0; i < nb->nvifs; i++)
		if (nb->vifs[i]->info.front_domid == fdom && nb->vifs[i]->info.handle == handle)
			return nb->vifs[i];
	return NULL;
}

/* A vif the sweep found: known (still there) or new. */
static void vif_seen(void *ctx, uint32_t fdom, uint32_t handle)
{
	struct umx_netback *nb = ctx;
	struct nb_vif *v = vif_find(nb, fdom, handle);

	if (v)
		v->gone = false;
	else
		vif_new(nb, fdom, handle);
}

void nb_rescan(struct umx_netback *nb)
{
	bool removed = false;

again:
	nb->refused = false;
	for (unsigned i = 0; i < nb->nvifs; i++)
		nb->vifs[i]->gone = true;
	xenbus_backend_scan(nb->xs, nb->dir, 65535, vif_seen, nb);
	for (unsigned i = 0; i < nb->nvifs;) {
		struct nb_vif *v = nb->vifs[i];
		if (v->gone) {
			umx_info("netback: vif %u.%u removed", v->info.front_domid, v->info.handle);
			nb->vifs[i] = nb->vifs[--nb->nvifs];
			nb_vif_free(nb, v);
			removed = true;
		} else {
			i++;
		}
	}
	/* Ports were freed after a vif was refused one: look again (once;
	 * the second pass frees nothing it did not find). */
	if (removed && nb->refused) {
		removed = false;
		goto again;
	}
}

void nb_handle_watch(struct umx_netback *nb, const char *path, const char *token)
{
	unsigned fdom, handle;

	if (!strcmp(token, "be")) {
		/* Only directory-level changes (a vif added or removed), not our
		 * own writes below a vif. */
		size_t n = strlen(nb->dir);
		unsigned depth = 0;
		if (strncmp(path, nb->dir, n) != 0)
			return;
		for (const char *c = path + n; *c; c++)
			depth += *c == '/';
		if (depth <= 2)
			nb_rescan(nb);
		return;
	}
	if (sscanf(token, "fe:%u:%u", &fdom, &handle) == 2) {
		struct nb_vif *v = vif_find(nb, fdom, handle);
		if (v)
			vif_frontend_changed(v);
	}
}

void nb_publish_stats(struct umx_netback *nb)
{
	for (unsigned i = 0; i < nb->nvifs; i++) {
		struct umx_net_port *s = &nb->vifs[i]->info;
		xenbus_printf(nb->xs, UMX_XS_NO_TX, nb->vifs[i]->be, "statistics",
		              "rx_frames=%llu rx_bytes=%llu tx_frames=%llu tx_bytes=%llu "
		              "dropped=%llu errors=%llu",
		              (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
		              (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
		              (unsigned long long)s->dropped, (unsigned long long)s->errors);
	}
}
