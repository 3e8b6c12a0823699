/* SPDX-License-Identifier: MIT */
/*
 * netback + a learning L2 switch: every vif the toolstack creates under
 * this domain's backend/vif/ becomes a switch port.
 *
 * A frontend is hostile input. Each TX request is copied out of the ring
 * once (ring core), collected into a chain privately, and the whole chain
 * validated before a byte of data is read: slot count ≤ UMX_NET_SLOTS_MAX,
 * the first slot's size covering the others, offset + size within a page,
 * no unnegotiated extra info. Data is copied out of the frontend's pages
 * into our own buffer before the switch looks at it (the frontend may keep
 * writing). A bad gref fails that frame (NETIF_RSP_ERROR), as Linux does; a
 * protocol violation disconnects that frontend alone (Closing, reason
 * logged), as Linux's xenvif_fatal_tx_err does. Work is bounded per port
 * per round (UMX_NET_BUDGET) and each port's queue is capped, so a flooding
 * frontend gets its share and no more.
 *
 * Data moves through mappings: with feature-persistent the frontend's
 * pages stay mapped in a direct-mapped cache keyed by gref (a ref names
 * the same page for the connection's life, the frontend promised);
 * without it each slot is mapped, copied and unmapped.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net_priv.h"
#include "umx/log.h"

#define PCACHE_SIZE      1024u /* persistent mappings per port */
#define PORT_QUEUE_BYTES (4u << 20)
#define FDB_SIZE         256u

struct pcache_ent {
	uint32_t gref;
	bool valid, writable;
	umx_plat_mapped *m;
	void *addr;
};

struct qframe {
	uint8_t *data;
	uint32_t len;
};

struct nb_vif {
	struct umx_netback *nb; /* NULL when detached */
	struct umx_net_port info;
	char be[128], fe[128];
	bool gone;        /* the toolstack removed it */
	bool fe_seen;     /* the frontend's state node has existed */
	bool persistent;  /* frontend's feature-persistent */
	uint32_t port;    /* event-channel, or event-channel-tx when split */
	uint32_t port_rx; /* event-channel-rx when split, else == port */
	umx_plat_mapped *m_tx, *m_rx;
	struct umx_ring tx, rx;
	bool rings;     /* tx/rx attached */
	bool notify;    /* an event is owed to the frontend (TX port) */
	bool notify_rx; /* ... on the RX port */
	bool kicked;    /* a port fired; left masked until handled */
	uint64_t work_mark;
	int64_t win_start, held_until; /* event-storm window, masked until */
	uint32_t win_spurious;

	struct netif_tx_request chain[UMX_NET_SLOTS_MAX];
	unsigned nchain;

	struct qframe q[UMX_NET_PORT_QUEUE];
	unsigned qhead, qn;
	size_t qbytes;

	struct pcache_ent pc[PCACHE_SIZE];

	nb_page_fn page_fn; /* detached only */
	nb_sink_fn sink_fn;
	void *ctx;

	uint8_t frame[UMX_NET_FRAME_MAX];
};

struct fdb_ent {
	uint8_t mac[UMX_NET_MAC_LEN];
	struct nb_vif *v;
};

struct umx_netback {
	umx_platform *p;
	umx_xs *xs;
	uint32_t domid;
	char dir[96]; /* /local/domain/<me>/backend/vif */
	struct nb_vif *vifs[UMX_NET_PORTS_MAX];
	unsigned nvifs;
	struct fdb_ent fdb[FDB_SIZE];
	bool busy;
	int64_t stats_at;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- mappings ----------------------------------------------------------- */

static void pcache_flush(struct nb_vif *v)
{
	for (unsigned i = 0; i < PCACHE_SIZE; i++) {
		if (v->pc[i].valid && v->nb)
			umx_plat_unmap(v->nb->p, v->pc[i].m);
		v->pc[i].valid = false;
	}
}

/* The frontend's page @gref, or NULL when it cannot be mapped. *@tmp is set
 * to a mapping the caller must release with put_page(). */
static uint8_t *get_page(struct nb_vif *v, uint32_t gref, bool writable, umx_plat_mapped **tmp)
{
	umx_plat_mapped *m;
	struct pcache_ent *e;

	*tmp = NULL;
	if (!v->nb)
		return v->page_fn(v->ctx, gref, writable);
	if (v->persistent) {
		e = &v->pc[gref & (PCACHE_SIZE - 1)];
		if (e->valid && e->gref == gref && (e->writable || !writable))
			return e->addr;
		if (e->valid) {
			umx_plat_unmap(v->nb->p, e->m);
			e->valid = false;
		}
		if (umx_plat_map(v->nb->p, v->info.front_domid, 1, &gref, !writable, NULL, &m) < 0)
			return NULL;
		e->gref = gref;
		e->writable = writable;
		e->m = m;
		e->addr = umx_plat_map_addr(m);
		e->valid = true;
		return e->addr;
	}
	if (umx_plat_map(v->nb->p, v->info.front_domid, 1, &gref, !writable, NULL, &m) < 0)
		return NULL;
	*tmp = m;
	return umx_plat_map_addr(m);
}

static void put_page(struct nb_vif *v, umx_plat_mapped *tmp)
{
	if (tmp)
		umx_plat_unmap(v->nb->p, tmp);
}

/* ---- port lifetime ------------------------------------------------------ */

static void queue_clear(struct nb_vif *v)
{
	while (v->qn) {
		free(v->q[v->qhead].data);
		v->qhead = (v->qhead + 1) % UMX_NET_PORT_QUEUE;
		v->qn--;
	}
	v->qbytes = 0;
}

static void fdb_forget(struct umx_netback *nb, struct nb_vif *v)
{
	for (unsigned i = 0; i < FDB_SIZE; i++)
		if (nb->fdb[i].v == v)
			nb->fdb[i].v = NULL;
}

static void vif_disconnect(struct nb_vif *v)
{
	struct umx_netback *nb = v->nb;

	v->info.connected = false;
	v->nchain = 0;
	queue_clear(v);
	if (!nb)
		return;
	fdb_forget(nb, v);
	pcache_flush(v);
	if (v->m_tx)
		umx_plat_unmap(nb->p, v->m_tx);
	if (v->m_rx)
		umx_plat_unmap(nb->p, v->m_rx);
	v->m_tx = v->m_rx = NULL;
	if (v->port_rx && v->port_rx != v->port)
		umx_plat_evtchn_unbind(nb->p, v->port_rx);
	if (v->port)
		umx_plat_evtchn_unbind(nb->p, v->port);
	v->port = v->port_rx = 0;
	v->kicked = false;
	v->held_until = 0;
	v->rings = false;
}

static int vif_fail(struct nb_vif *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A protocol violation: this frontend alone is cut off. */
static int vif_fail(struct nb_vif *v, const char *fmt, ...)
{
	va_list ap;

	if (v->info.reason[0])
		return -EPROTO;
	va_start(ap, fmt);
	vsnprintf(v->info.reason, sizeof(v->info.reason), fmt, ap);
	va_end(ap);
	if (!v->info.reason[0])
		snprintf(v->info.reason, sizeof(v->info.reason), "broken");
	umx_err("netback: vif %u.%u disconnected: %s", v->info.front_domid, v->info.handle,
	        v->info.reason);
	v->info.errors++;
	umx_ring_mark_broken(&v->tx, "%s", v->info.reason);
	umx_ring_mark_broken(&v->rx, "%s", v->info.reason);
	if (v->nb) {
		vif_disconnect(v);
		net_xs_set_state(v->nb->xs, v->be, XenbusStateClosing);
	}
	return -EPROTO;
}

static int vif_ring_fail(struct nb_vif *v, struct umx_ring *r)
{
	const char *why = umx_ring_broken(r);
	return vif_fail(v, "%s ring: %s", r == &v->tx ? "TX" : "RX", why ? why : "broken");
}

/* ---- switch ------------------------------------------------------------- */

static unsigned fdb_hash(const uint8_t *mac)
{
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < UMX_NET_MAC_LEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h & (FDB_SIZE - 1);
}

static void fdb_learn(struct umx_netback *nb, const uint8_t *mac, struct nb_vif *v)
{
	/* Direct-mapped: a collision replaces the older entry (it is relearnt,
	 * and until then its frames are flooded). */
	struct fdb_ent *e = &nb->fdb[fdb_hash(mac)];
	memcpy(e->mac, mac, UMX_NET_MAC_LEN);
	e->v = v;
}

static struct nb_vif *fdb_lookup(struct umx_netback *nb, const uint8_t *mac)
{
	struct fdb_ent *e = &nb->fdb[fdb_hash(mac)];
	return e->v && !memcmp(e->mac, mac, UMX_NET_MAC_LEN) ? e->v : NULL;
}

/* Queue a copy of @frame towards @v; flushed to its RX ring later. */
static void port_enqueue(struct nb_vif *v, const uint8_t *frame, size_t len)
{
	struct qframe *q;

	if (!v->info.connected || v->qn == UMX_NET_PORT_QUEUE ||
	    v->qbytes + len > PORT_QUEUE_BYTES) {
		v->info.dropped++;
		return;
	}
	q = &v->q[(v->qhead + v->qn) % UMX_NET_PORT_QUEUE];
	q->data = malloc(len);
	if (!q->data) {
		v->info.dropped++;
		return;
	}
	memcpy(q->data, frame, len);
	q->len = (uint32_t)len;
	v->qn++;
	v->qbytes += len;
}

static void switch_input(struct nb_vif *src, const uint8_t *frame, size_t len)
{
	struct umx_netback *nb = src->nb;
	const uint8_t *dst = frame, *smac = frame + UMX_NET_MAC_LEN;
	struct nb_vif *to;

	if (!nb) {
		src->sink_fn(src->ctx, frame, len);
		return;
	}
	if (!(smac[0] & 1))
		fdb_learn(nb, smac, src);
	if (!(dst[0] & 1) && (to = fdb_lookup(nb, dst)) != NULL) {
		if (to != src)
			port_enqueue(to, frame, len);
		return;
	}
	for (unsigned i = 0; i < nb->nvifs; i++)
		if (nb->vifs[i] != src && nb->vifs[i]->info.connected)
			port_enqueue(nb->vifs[i], frame, len);
}

/* ---- TX: frontend → switch ---------------------------------------------- */

static int tx_respond(struct nb_vif *v, int16_t status)
{
	for (unsigned i = 0; i < v->nchain; i++) {
		struct netif_tx_response rsp;
		memset(&rsp, 0, sizeof(rsp));
		rsp.id = v->chain[i].id; /* echoed; uniqueness is the frontend's job */
		rsp.status = status;
		if (umx_ring_put(&v->tx, &rsp) < 0)
			return vif_ring_fail(v, &v->tx);
	}
	v->nchain = 0;
	return 0;
}

/* The chain in v->chain is complete: validate all of it, then copy. */
static int tx_chain(struct nb_vif *v)
{
	const struct netif_tx_request *c = v->chain;
	uint32_t total = c[0].size, rest = 0, off = 0;
	int16_t status = NETIF_RSP_OKAY;

	for (unsigned i = 1; i < v->nchain; i++)
		rest += c[i].size;
	if (rest > total)
		return vif_fail(v, "fragments (%u bytes) exceed the frame size %u", rest, total);
	for (unsigned i = 0; i < v->nchain; i++) {
		uint32_t sz = i ? c[i].size : total - rest;
		if ((uint32_t)c[i].offset + sz > NET_PAGE)
			return vif_fail(v, "slot %u: offset %u + size %u crosses the page end", i,
			                c[i].offset, sz);
	}
	if (total < UMX_NET_ETH_HLEN) {
		status = NETIF_RSP_ERROR; /* Linux: "Bad packet size" */
	} else {
		for (unsigned i = 0; i < v->nchain; i++) {
			uint32_t sz = i ? c[i].size : total - rest;
			umx_plat_mapped *tmp;
			uint8_t *pg;

			if (!sz)
				continue;
			pg = get_page(v, c[i].gref, false, &tmp);
			if (!pg) {
				status = NETIF_RSP_ERROR;
				break;
			}
			memcpy(v->frame + off, pg + c[i].offset, sz);
			put_page(v, tmp);
			off += sz;
		}
	}
	if (tx_respond(v, status) < 0)
		return -EPROTO;
	if (status != NETIF_RSP_OKAY) {
		v->info.errors++;
		return 0;
	}
	/* Linux's netfront offloads TCP/UDP checksums to us: complete them
	 * before anyone who checks them sees the frame. */
	if (c[0].flags & NETTXF_csum_blank)
		(void)net_csum_fill(v->frame, total);
	v->info.rx_frames++;
	v->info.rx_bytes += total;
	switch_input(v, v->frame, total);
	return 0;
}

/* Up to @budget requests; the number handled or -EPROTO. */
static int vif_tx(struct nb_vif *v, unsigned budget)
{
	unsigned done = 0;
	bool notify = false;
	int r = 0;

	while (done < budget && !v->info.reason[0]) {
		struct netif_tx_request req;
		int n = umx_ring_take(&v->tx, &req, 1);

		if (n < 0)
			return vif_ring_fail(v, &v->tx);
		if (n == 0)
			break;
		done++;
		v->chain[v->nchain++] = req;
		if (req.flags & NETTXF_extra_info) {
			r = vif_fail(v, "TX id %u: extra info not negotiated", req.id);
			break;
		}
		if (req.flags & NETTXF_more_data) {
			if (v->nchain == UMX_NET_SLOTS_MAX) {
				r = vif_fail(v, "fragment chain longer than %u slots",
				             UMX_NET_SLOTS_MAX);
				break;
			}
			continue;
		}
		if ((r = tx_chain(v)) < 0)
			break;
	}
	if (v->info.reason[0])
		return -EPROTO;
	if (umx_ring_push(&v->tx, &notify) < 0)
		return vif_ring_fail(v, &v->tx);
	v->notify |= notify;
	return r < 0 ? r : (int)done;
}

/* ---- RX: switch → frontend ---------------------------------------------- */

static int rx_put(struct nb_vif *v, const uint8_t *frame, size_t len)
{
	unsigned slots = (unsigned)((len + NET_PAGE - 1) / NET_PAGE);
	struct netif_rx_request req[UMX_NET_SLOTS_MAX];
	int n;

	n = umx_ring_unconsumed(&v->rx);
	if (n < 0)
		return vif_ring_fail(v, &v->rx);
	if ((unsigned)n < slots)
		return -EAGAIN;
	n = umx_ring_take(&v->rx, req, slots);
	if (n != (int)slots)
		return n < 0 ? vif_ring_fail(v, &v->rx) : vif_fail(v, "RX requests vanished");
	for (unsigned i = 0; i < slots; i++) {
		size_t off = (size_t)i * NET_PAGE, sz = len - off < NET_PAGE ? len - off : NET_PAGE;
		struct netif_rx_response rsp;
		umx_plat_mapped *tmp;
		uint8_t *pg = get_page(v, req[i].gref, true, &tmp);

		memset(&rsp, 0, sizeof(rsp));
		rsp.id = req[i].id;
		rsp.offset = 0;
		rsp.flags = i + 1 < slots ? NETRXF_more_data : 0;
		if (pg) {
			memcpy(pg, frame + off, sz);
			put_page(v, tmp);
			rsp.status = (int16_t)sz;
		} else {
			rsp.status = NETIF_RSP_ERROR;
			v->info.errors++;
		}
		if (umx_ring_put(&v->rx, &rsp) < 0)
			return vif_ring_fail(v, &v->rx);
	}
	return 0;
}

static int vif_rx_flush(struct nb_vif *v)
{
	bool notify = false;
	int r = 0;

	while (v->qn && !v->info.reason[0]) {
		struct qframe *q = &v->q[v->qhead];
		r = rx_put(v, q->data, q->len);
		if (r == -EAGAIN)
			break;
		if (r < 0)
			return r;
		v->info.tx_frames++;
		v->info.tx_bytes += q->len;
		v->qbytes -= q->len;
		free(q->data);
		v->qhead = (v->qhead + 1) % UMX_NET_PORT_QUEUE;
		v->qn--;
	}
	if (v->info.reason[0])
		return -EPROTO;
	if (umx_ring_push(&v->rx, &notify) < 0)
		return vif_ring_fail(v, &v->rx);
	v->notify_rx |= notify;
	return r == -EAGAIN ? 1 : 0;
}

/* ---- detached (fuzzing) ------------------------------------------------- */

int netback_detached_new(void *tx_ring, void *rx_ring, nb_page_fn page, nb_sink_fn sink, void *ctx,
                         struct nb_vif **out)
{
	struct nb_vif *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	v->page_fn = page;
	v->sink_fn = sink;
	v->ctx = ctx;
	if ((r = umx_ring_back_init(&v->tx, tx_ring, NET_PAGE, sizeof(struct netif_tx_request),
	                            sizeof(struct netif_tx_response), false)) < 0 ||
	    (r = umx_ring_back_init(&v->rx, rx_ring, NET_PAGE, sizeof(struct netif_rx_request),
	                            sizeof(struct netif_rx_response), false)) < 0) {
		free(v);
		return r;
	}
	v->rings = true;
	v->info.connected = true;
	*out = v;
	return 0;
}

int netback_detached_tx(struct nb_vif *v, unsigned budget)
{
	return vif_tx(v, budget);
}

int netback_detached_rx(struct nb_vif *v, const uint8_t *frame, size_t len)
{
	bool notify;
	int r;

	if (v->info.reason[0])
		return -EPROTO;
	if (len == 0 || len > UMX_NET_FRAME_MAX)
		return -EINVAL;
	r = rx_put(v, frame, len);
	if (r == 0 && umx_ring_push(&v->rx, &notify) < 0)
		return vif_ring_fail(v, &v->rx);
	return r;
}

const char *netback_detached_broken(const struct nb_vif *v)
{
	return v->info.reason[0] ? v->info.reason : NULL;
}

void netback_detached_free(struct nb_vif *v)
{
	queue_clear(v);
	free(v);
}

/* ---- handshake ---------------------------------------------------------- */

static int vif_connect(struct nb_vif *v)
{
	struct umx_netback *nb = v->nb;
	unsigned long txref, rxref, evtchn = 0, evt_tx = 0, evt_rx = 0, copy = 0, persistent = 0;
	char path[192];
	int port;

#define RD(name, var, must)                                                                \
	do {                                                                               \
		snprintf(path, sizeof(path), "%s/" name, v->fe);                           \
		if (net_xs_read_uint(nb->xs, path, &(var)) < 0 && (must))                  \
			return vif_fail(v, "frontend node %s missing or malformed", name); \
	} while (0)
	RD("tx-ring-ref", txref, true);
	RD("rx-ring-ref", rxref, true);
	RD("event-channel-tx", evt_tx, false);
	RD("event-channel-rx", evt_rx, false);
	RD("event-channel", evtchn, !(evt_tx && evt_rx));
	RD("request-rx-copy", copy, false);
	RD("feature-persistent", persistent, false);
#undef RD
	if (copy != 1)
		return vif_fail(v, "frontend does not request rx-copy (flipping is not supported)");
	if (evt_tx && evt_rx)
		evtchn = evt_tx; /* split: TX on this one, RX below */
	if (txref > UINT32_MAX || rxref > UINT32_MAX || evtchn == 0 || evtchn > UINT32_MAX ||
	    evt_rx > UINT32_MAX)
		return vif_fail(v, "frontend ring refs or event channel out of range");
	v->persistent = persistent == 1;
	uint32_t r32 = (uint32_t)txref;
	if (umx_plat_map(nb->p, v->info.front_domid, 1, &r32, false, NULL, &v->m_tx) < 0) {
		v->m_tx = NULL;
		return vif_fail(v, "cannot map tx-ring-ref %lu", txref);
	}
	r32 = (uint32_t)rxref;
	if (umx_plat_map(nb->p, v->info.front_domid, 1, &r32, false, NULL, &v->m_rx) < 0) {
		v->m_rx = NULL;
		return vif_fail(v, "cannot map rx-ring-ref %lu", rxref);
	}
	port = umx_plat_evtchn_bind(nb->p, v->info.front_domid, (uint32_t)evtchn);
	if (port <= 0)
		return vif_fail(v, "cannot bind event channel %lu", evtchn);
	v->port = v->port_rx = (uint32_t)port;
	if (evt_tx && evt_rx) {
		port = umx_plat_evtchn_bind(nb->p, v->info.front_domid, (uint32_t)evt_rx);
		if (port <= 0)
			return vif_fail(v, "cannot bind event channel %lu", evt_rx);
		v->port_rx = (uint32_t)port;
	}
	if (umx_ring_back_init(&v->tx, umx_plat_map_addr(v->m_tx), NET_PAGE,
	                       sizeof(struct netif_tx_request), sizeof(struct netif_tx_response),
	                       false) < 0 ||
	    umx_ring_back_init(&v->rx, umx_plat_map_addr(v->m_rx), NET_PAGE,
	                       sizeof(struct netif_rx_request), sizeof(struct netif_rx_response),
	                       false) < 0)
		return vif_fail(v, "cannot attach rings");
	v->rings = true;
	v->info.connected = true;
	nb->busy = true;
	net_xs_set_state(nb->xs, v->be, XenbusStateConnected);
	umx_info("netback: vif %u.%u connected%s", v->info.front_domid, v->info.handle,
	         v->persistent ? " (persistent)" : "");
	return 0;
}

/* The frontend's state node changed (or vanished). */
static void vif_frontend_changed(struct nb_vif *v)
{
	struct umx_netback *nb = v->nb;
	int s = net_xs_state(nb->xs, v->fe);
	int bs = net_xs_state(nb->xs, v->be);

	/* A toolstack may write the backend directory before the frontend's
	 * (libxl uses one transaction; scripts and other toolstacks may not):
	 * a frontend that never existed is not yet there, not gone. */
	if (s < 0 && !v->fe_seen)
		return;
	if (s >= 0)
		v->fe_seen = true;
	switch (s) {
	case XenbusStateInitialising:
		if (bs == XenbusStateClosed || bs == XenbusStateClosing) {
			if (v->info.connected)
				vif_disconnect(v);
			v->info.reason[0] = 0; /* a reconnect starts afresh */
			net_xs_set_state(nb->xs, v->be, XenbusStateInitWait);
		}
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (!v->info.connected && !v->info.reason[0] && bs == XenbusStateInitWait)
			vif_connect(v);
		break;
	default: /* Closing, Closed, unknown, or gone with its domain */
		if (v->info.connected)
			vif_disconnect(v);
		if (bs >= 0 && bs != XenbusStateClosed)
			net_xs_set_state(nb->xs, v->be, XenbusStateClosed);
		break;
	}
}

static void vif_free(struct umx_netback *nb, struct nb_vif *v)
{
	char path[160];
	char token[48];

	snprintf(path, sizeof(path), "%s/state", v->fe);
	snprintf(token, sizeof(token), "fe:%u:%u", v->info.front_domid, v->info.handle);
	umx_xs_unwatch(nb->xs, path, token);
	vif_disconnect(v);
	free(v);
}

static void vif_new(struct umx_netback *nb, uint32_t fdom, uint32_t handle)
{
	struct nb_vif *v;
	char path[192], token[48], *val = NULL;
	unsigned long fid;

	if (nb->nvifs == UMX_NET_PORTS_MAX) {
		umx_warn("netback: more than %u vifs, ignoring %u.%u", UMX_NET_PORTS_MAX, fdom,
		         handle);
		return;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return;
	v->nb = nb;
	v->info.front_domid = fdom;
	v->info.handle = handle;
	snprintf(v->be, sizeof(v->be), "%s/%u/%u", nb->dir, fdom, handle);
	/* The toolstack's nodes: frontend path and id must agree with the
	 * directory we found them in. */
	snprintf(path, sizeof(path), "%s/frontend-id", v->be);
	if (net_xs_read_uint(nb->xs, path, &fid) < 0 || fid != fdom)
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
	snprintf(path, sizeof(path), "%s/feature-rx-copy", v->be);
	net_xs_printf(nb->xs, UMX_XS_NO_TX, path, "1");
	snprintf(path, sizeof(path), "%s/feature-rx-flip", v->be);
	net_xs_printf(nb->xs, UMX_XS_NO_TX, path, "0");
	snprintf(path, sizeof(path), "%s/feature-sg", v->be);
	net_xs_printf(nb->xs, UMX_XS_NO_TX, path, "1");
	snprintf(path, sizeof(path), "%s/feature-persistent", v->be);
	net_xs_printf(nb->xs, UMX_XS_NO_TX, path, "1");
	snprintf(path, sizeof(path), "%s/feature-split-event-channels", v->be);
	net_xs_printf(nb->xs, UMX_XS_NO_TX, path, "1");
	/* No checksum offload: a Linux netfront then sends complete checksums
	 * (the switch forwards frames as they are; nothing fills them in). */
	snprintf(path, sizeof(path), "%s/feature-no-csum-offload", v->be);
	net_xs_printf(nb->xs, UMX_XS_NO_TX, path, "1");
	net_xs_set_state(nb->xs, v->be, XenbusStateInitWait);
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

/* Find vifs created or removed under backend/vif. */
static void rescan(struct umx_netback *nb)
{
	char **doms = NULL, **hs, path[160];
	unsigned nd = 0, nh;

	for (unsigned i = 0; i < nb->nvifs; i++)
		nb->vifs[i]->gone = true;
	if (umx_xs_directory(nb->xs, UMX_XS_NO_TX, nb->dir, &doms, &nd) < 0)
		nd = 0;
	for (unsigned i = 0; i < nd; i++) {
		char *end;
		unsigned long d = strtoul(doms[i], &end, 10);
		if (*end || d >= 32752)
			continue;
		snprintf(path, sizeof(path), "%s/%s", nb->dir, doms[i]);
		if (umx_xs_directory(nb->xs, UMX_XS_NO_TX, path, &hs, &nh) < 0)
			continue;
		for (unsigned j = 0; j < nh; j++) {
			unsigned long h = strtoul(hs[j], &end, 10);
			struct nb_vif *v;
			if (*end || h > 65535)
				continue;
			if ((v = vif_find(nb, (uint32_t)d, (uint32_t)h)) != NULL)
				v->gone = false;
			else
				vif_new(nb, (uint32_t)d, (uint32_t)h);
		}
		free(hs);
	}
	free(doms);
	for (unsigned i = 0; i < nb->nvifs;) {
		struct nb_vif *v = nb->vifs[i];
		if (v->gone) {
			umx_info("netback: vif %u.%u removed", v->info.front_domid, v->info.handle);
			nb->vifs[i] = nb->vifs[--nb->nvifs];
			vif_free(nb, v);
		} else {
			i++;
		}
	}
}

static void handle_watch(struct umx_netback *nb, const char *path, const char *token)
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
			rescan(nb);
		return;
	}
	if (sscanf(token, "fe:%u:%u", &fdom, &handle) == 2) {
		struct nb_vif *v = vif_find(nb, fdom, handle);
		if (v)
			vif_frontend_changed(v);
	}
}

static void publish_stats(struct umx_netback *nb)
{
	char path[192];

	for (unsigned i = 0; i < nb->nvifs; i++) {
		struct umx_net_port *s = &nb->vifs[i]->info;
		snprintf(path, sizeof(path), "%s/statistics", nb->vifs[i]->be);
		net_xs_printf(nb->xs, UMX_XS_NO_TX, path,
		              "rx_frames=%llu rx_bytes=%llu tx_frames=%llu tx_bytes=%llu "
		              "dropped=%llu errors=%llu",
		              (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
		              (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
		              (unsigned long long)s->dropped, (unsigned long long)s->errors);
	}
}

/* ---- public ------------------------------------------------------------- */

int umx_netback_open(umx_platform *p, umx_netback **out)
{
	umx_netback *nb = calloc(1, sizeof(*nb));
	int r;

	if (!nb)
		return -ENOMEM;
	nb->p = p;
	nb->xs = umx_plat_xs(p);
	nb->domid = umx_platform_domid(p);
	snprintf(nb->dir, sizeof(nb->dir), "/local/domain/%u/backend/vif", nb->domid);
	if ((r = umx_xs_watch(nb->xs, nb->dir, "be")) < 0) {
		free(nb);
		return r;
	}
	rescan(nb);
	*out = nb;
	return 0;
}

void umx_netback_close(umx_netback *nb)
{
	if (!nb)
		return;
	umx_xs_unwatch(nb->xs, nb->dir, "be");
	for (unsigned i = 0; i < nb->nvifs; i++) {
		net_xs_set_state(nb->xs, nb->vifs[i]->be, XenbusStateClosed);
		vif_free(nb, nb->vifs[i]);
	}
	free(nb);
}

static struct nb_vif *vif_by_port(struct umx_netback *nb, uint32_t port)
{
	for (unsigned i = 0; i < nb->nvifs; i++)
		if (nb->vifs[i]->info.connected &&
		    (nb->vifs[i]->port == port || nb->vifs[i]->port_rx == port))
			return nb->vifs[i];
	return NULL;
}

static uint64_t work_count(const struct nb_vif *v)
{
	return v->info.rx_frames + v->info.tx_frames + v->info.errors + v->info.dropped;
}

/*
 * HARDENING 10: an event that brought no work is spurious. Count it; past
 * UMX_NET_STORM_EVENTS in a 100 ms window keep the port masked until the
 * window ends (events that arrive meanwhile stay pending, and every
 * connected port's rings are polled each round anyway), so a frontend
 * notifying in a loop costs the backend a bounded number of wakeups.
 */
static void storm_check(struct umx_netback *nb, struct nb_vif *v, int64_t now)
{
	v->kicked = false;
	if (now - v->win_start >= 100) {
		v->win_start = now;
		v->win_spurious = 0;
	}
	if (work_count(v) == v->work_mark) {
		v->info.spurious_events++;
		if (++v->win_spurious > UMX_NET_STORM_EVENTS) {
			v->held_until = v->win_start + 100;
			return;
		}
	}
	umx_plat_evtchn_unmask(nb->p, v->port);
	if (v->port_rx != v->port)
		umx_plat_evtchn_unmask(nb->p, v->port_rx);
}

int umx_netback_poll(umx_netback *nb, int timeout_ms)
{
	struct pollfd pf[2];
	char *path, *token;
	bool held = false;
	int64_t now;
	int port;

	pf[0].fd = umx_plat_evtchn_fd(nb->p);
	pf[0].events = POLLIN;
	pf[1].fd = umx_xs_fd(nb->xs);
	pf[1].events = POLLIN;
	for (unsigned i = 0; i < nb->nvifs; i++)
		held |= nb->vifs[i]->held_until != 0;
	if (held && (timeout_ms < 0 || timeout_ms > 10))
		timeout_ms = 10;
	if (poll(pf, 2, nb->busy ? 0 : timeout_ms) < 0 && errno != EINTR)
		return -errno;
	now = now_ms();
	/* Events only say "look"; every connected port is looked at below.
	 * A port stays masked until its work was done (storm_check). */
	while ((port = umx_plat_evtchn_pending(nb->p)) >= 0) {
		struct nb_vif *v = vif_by_port(nb, (uint32_t)port);
		if (!v) {
			umx_plat_evtchn_unmask(nb->p, (uint32_t)port);
			continue;
		}
		if (!v->kicked)
			v->work_mark = work_count(v);
		v->kicked = true;
	}
	for (unsigned i = 0; i < nb->nvifs; i++) {
		struct nb_vif *v = nb->vifs[i];
		if (v->held_until && now >= v->held_until) {
			v->held_until = 0;
			if (v->info.connected) {
				umx_plat_evtchn_unmask(nb->p, v->port);
				umx_plat_evtchn_unmask(nb->p, v->port_rx);
			}
		}
	}
	for (;;) {
		int r = umx_xs_read_watch(nb->xs, &path, &token, 0);
		if (r == -ETIMEDOUT)
			break;
		if (r < 0) {
			/* The store is gone (umxd died): nothing can be served
			 * any more, and polling a hung-up descriptor would spin. */
			umx_warn("netback: store connection lost: %s", strerror(-r));
			return -ENOTCONN;
		}
		handle_watch(nb, path, token);
		free(path);
		free(token);
	}

	nb->busy = false;
	for (unsigned i = 0; i < nb->nvifs; i++) {
		struct nb_vif *v = nb->vifs[i];
		if (v->info.connected && vif_tx(v, UMX_NET_BUDGET) == (int)UMX_NET_BUDGET)
			nb->busy = true;
	}
	for (unsigned i = 0; i < nb->nvifs; i++) {
		struct nb_vif *v = nb->vifs[i];
		bool more;

		if (!v->info.connected)
			continue;
		if (vif_rx_flush(v) < 0)
			continue;
		/* One event per port per round, whichever ring asked for it. */
		if (v->notify || (v->notify_rx && v->port_rx == v->port))
			umx_plat_evtchn_notify(nb->p, v->port);
		if (v->notify_rx && v->port_rx != v->port)
			umx_plat_evtchn_notify(nb->p, v->port_rx);
		v->notify = v->notify_rx = false;
		/* Re-arm before sleeping: requests, and RX buffers if frames wait. */
		if (!nb->busy && umx_ring_final_check(&v->tx, &more) == 0 && more)
			nb->busy = true;
		if (v->qn && umx_ring_final_check(&v->rx, &more) == 0 && more)
			nb->busy = true;
	}
	for (unsigned i = 0; i < nb->nvifs; i++)
		if (nb->vifs[i]->kicked && nb->vifs[i]->info.connected)
			storm_check(nb, nb->vifs[i], now);
	if (now_ms() - nb->stats_at >= 1000) {
		publish_stats(nb);
		nb->stats_at = now_ms();
	}
	return 0;
}

int umx_netback_run(umx_netback *nb, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		int r = umx_netback_poll(nb, 200);
		if (r < 0)
			return r;
	}
	return 0;
}

int umx_netback_ports(const umx_netback *nb, struct umx_net_port *out, unsigned max)
{
	unsigned n = nb->nvifs < max ? nb->nvifs : max;
	for (unsigned i = 0; i < n; i++)
		out[i] = nb->vifs[i]->info;
	return (int)nb->nvifs;
}
