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
 * The switch is back_switch.c, the page mappings back_pcache.c, the xenbus
 * handshake back_xenbus.c (back_priv.h lists who does what).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "back_priv.h"
#include "umx/internal/clock.h"
#include "umx/internal/tracepoint.h"
#include "umx/log.h"

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

void nb_vif_disconnect(struct nb_vif *v)
{
	struct umx_netback *nb = v->nb;

	v->info.connected = false;
	v->nchain = 0;
	v->has_extra = v->want_extra = false;
	queue_clear(v);
	if (!nb)
		return;
	nb_fdb_forget(nb, v);
	nb_pcache_flush(v);
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
	v->storm = (struct evstorm){0};
	v->rings = false;
}

int nb_vif_fail(struct nb_vif *v, const char *fmt, ...)
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
	umx_tracepoint_broken(UMX_TRACE_DEV_NET, v->info.front_domid, v->info.handle,
	                      v->info.reason);
	v->info.errors++;
	umx_ring_mark_broken(&v->tx, "%s", v->info.reason);
	umx_ring_mark_broken(&v->rx, "%s", v->info.reason);
	if (v->nb) {
		nb_vif_disconnect(v);
		xenbus_switch_state(v->nb->xs, v->be, XenbusStateClosing);
	}
	return -EPROTO;
}

static int vif_ring_fail(struct nb_vif *v, struct umx_ring *r)
{
	const char *why = umx_ring_broken(r);
	return nb_vif_fail(v, "%s ring: %s", r == &v->tx ? "TX" : "RX", why ? why : "broken");
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
		/* The extra-info slot's response follows the first slot's, as
		 * Linux's netback writes it: NULL, naming no request. */
		if (i == 0 && v->has_extra) {
			memset(&rsp, 0, sizeof(rsp));
			rsp.status = NETIF_RSP_NULL;
			if (umx_ring_put(&v->tx, &rsp) < 0)
				return vif_ring_fail(v, &v->tx);
		}
	}
	v->nchain = 0;
	v->has_extra = false;
	return 0;
}

/* The chain in v->chain is complete: validate all of it, then copy. */
static int tx_chain(struct nb_vif *v)
{
	const struct netif_tx_request *c = v->chain;
	uint32_t total = c[0].size, rest = 0, off = 0;
	int16_t status = NETIF_RSP_OKAY;
	struct umx_net_meta m = {0};

	for (unsigned i = 1; i < v->nchain; i++)
		rest += c[i].size;
	if (rest > total)
		return nb_vif_fail(v, "fragments (%u bytes) exceed the frame size %u", rest, total);
	for (unsigned i = 0; i < v->nchain; i++) {
		uint32_t sz = i ? c[i].size : total - rest;
		if ((uint32_t)c[i].offset + sz > UMX_PAGE_SIZE)
			return nb_vif_fail(v, "slot %u: offset %u + size %u crosses the page end",
			                   i, c[i].offset, sz);
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
			pg = nb_get_page(v, c[i].gref, false, &tmp);
			if (!pg) {
				status = NETIF_RSP_ERROR;
				break;
			}
			memcpy(v->frame + off, pg + c[i].offset, sz);
			nb_put_page(v, tmp);
			off += sz;
		}
	}
	if (c[0].flags & NETTXF_csum_blank)
		m.flags |= UMX_NET_F_CSUM_BLANK;
	if (c[0].flags & NETTXF_data_validated)
		m.flags |= UMX_NET_F_DATA_VALID;
	if (v->has_extra) {
		const char *bad;
		m.gso_size = v->extra.u.gso.size;
		m.gso_type = v->extra.u.gso.type;
		/* The extra info is the frontend's word about its own headers:
		 * held against them, a lie cuts it off (as any bad field). */
		if (status == NETIF_RSP_OKAY && (bad = net_gso_check(v->frame, total, &m)))
			return nb_vif_fail(v, "TX id %u: %s (GSO size %u type %u, %u bytes)",
			                   c[0].id, bad, m.gso_size, m.gso_type, total);
	}
	if (tx_respond(v, status) < 0)
		return -EPROTO;
	if (status != NETIF_RSP_OKAY) {
		v->info.errors++;
		umx_tracepoint_frame(v->info.front_domid, v->info.handle, UMX_TRACE_FRAME_IN,
		                     UMX_TRACE_FRAME_REJECTED, v->frame, total);
		return 0;
	}
	/* A partial checksum the switch could not complete for a port that
	 * needs it complete is forwarded as it came (not TCP/UDP over IP). */
	if (m.flags & UMX_NET_F_CSUM_BLANK) {
		unsigned cs, co, hl;
		if (umx_net_csum_offsets(v->frame, total, &cs, &co, &hl) < 0 ||
		    (!v->nb && net_csum_fill(v->frame, total) == 0))
			m.flags &= ~(unsigned)UMX_NET_F_CSUM_BLANK;
	}
	v->info.rx_frames++;
	v->info.rx_bytes += total;
	nb_switch_input(v, v->frame, total, &m);
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
		if (v->want_extra) {
			/* This slot is the first one's extra info, not a request. */
			struct netif_extra_info ex;

			_Static_assert(sizeof(ex) <= sizeof(req), "extra info fits a TX slot");
			memcpy(&ex, &req, sizeof(ex));
			v->want_extra = false;
			if (ex.type != XEN_NETIF_EXTRA_TYPE_GSO) {
				r = nb_vif_fail(v, "TX id %u: extra info type %u not negotiated",
				                v->chain[0].id, ex.type);
				break;
			}
			if (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE) {
				r = nb_vif_fail(v, "TX id %u: more than one extra info",
				                v->chain[0].id);
				break;
			}
			v->extra = ex;
			v->has_extra = true;
			if (v->chain[0].flags & NETTXF_more_data)
				continue;
			if ((r = tx_chain(v)) < 0)
				break;
			continue;
		}
		v->chain[v->nchain++] = req;
		if (req.flags & NETTXF_extra_info) {
			if (v->nchain != 1) {
				r = nb_vif_fail(v,
				                "TX id %u: extra info on a slot other than the "
				                "first",
				                req.id);
				break;
			}
			v->want_extra = true;
			continue;
		}
		if (req.flags & NETTXF_more_data) {
			if (v->nchain == UMX_NET_SLOTS_MAX) {
				r = nb_vif_fail(v, "fragment chain longer than %u slots",
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

/* @m holds only what the port negotiated (port_enqueue() saw to that). A
 * GSO frame's extra info takes the second slot, after the first data slot,
 * in the ring position of the request it consumes (netif.h: frontends,
 * Linux's first, find it by position). */
static int rx_put(struct nb_vif *v, const uint8_t *frame, size_t len, const struct umx_net_meta *m)
{
	unsigned dslots = (unsigned)((len + UMX_PAGE_SIZE - 1) / UMX_PAGE_SIZE);
	unsigned extra = m && m->gso_size ? 1 : 0, slots = dslots + extra, k = 0;
	struct netif_rx_request req[UMX_NET_SLOTS_MAX + 1];
	int n;

	n = umx_ring_unconsumed(&v->rx);
	if (n < 0)
		return vif_ring_fail(v, &v->rx);
	if ((unsigned)n < slots)
		return -EAGAIN;
	n = umx_ring_take(&v->rx, req, slots);
	if (n != (int)slots)
		return n < 0 ? vif_ring_fail(v, &v->rx) : nb_vif_fail(v, "RX requests vanished");
	for (unsigned i = 0; i < slots; i++) {
		size_t off = (size_t)k * UMX_PAGE_SIZE,
		       sz = len - off < UMX_PAGE_SIZE ? len - off : UMX_PAGE_SIZE;
		struct netif_rx_response rsp;
		umx_plat_mapped *tmp;
		uint8_t *pg;

		if (extra && i == 1) {
			struct netif_extra_info ex;
			_Static_assert(sizeof(ex) == sizeof(rsp), "extra info is an RX slot");
			net_gso_extra(m, &ex);
			memcpy(&rsp, &ex, sizeof(rsp));
			if (umx_ring_put(&v->rx, &rsp) < 0)
				return vif_ring_fail(v, &v->rx);
			continue;
		}
		pg = nb_get_page(v, req[i].gref, true, &tmp);
		memset(&rsp, 0, sizeof(rsp));
		rsp.id = req[i].id;
		rsp.offset = 0;
		rsp.flags = k + 1 < dslots ? NETRXF_more_data : 0;
		if (k == 0 && m) {
			if (extra)
				rsp.flags |= NETRXF_extra_info;
			if (m->flags & UMX_NET_F_CSUM_BLANK)
				rsp.flags |= NETRXF_csum_blank | NETRXF_data_validated;
			else if (m->flags & UMX_NET_F_DATA_VALID)
				rsp.flags |= NETRXF_data_validated;
		}
		k++;
		if (pg) {
			memcpy(pg, frame + off, sz);
			nb_put_page(v, tmp);
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
		r = rx_put(v, q->data, q->len, &q->meta);
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
	if ((r = umx_ring_back_init(&v->tx, tx_ring, UMX_PAGE_SIZE, sizeof(struct netif_tx_request),
	                            sizeof(struct netif_tx_response), false)) < 0 ||
	    (r = umx_ring_back_init(&v->rx, rx_ring, UMX_PAGE_SIZE, sizeof(struct netif_rx_request),
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
	r = rx_put(v, frame, len, NULL);
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

/* ---- public ------------------------------------------------------------- */

int umx_netback_open(umx_plat *p, umx_netback **out)
{
	umx_netback *nb = calloc(1, sizeof(*nb));
	int r;

	if (!nb)
		return -ENOMEM;
	nb->p = p;
	nb->xs = umx_plat_xs(p);
	nb->domid = umx_plat_domid(p);
	snprintf(nb->dir, sizeof(nb->dir), "/local/domain/%u/backend/vif", nb->domid);
	if ((r = umx_xs_watch(nb->xs, nb->dir, "be")) < 0) {
		free(nb);
		return r;
	}
	nb_rescan(nb);
	*out = nb;
	return 0;
}

void umx_netback_close(umx_netback *nb)
{
	if (!nb)
		return;
	umx_xs_unwatch(nb->xs, nb->dir, "be");
	for (unsigned i = 0; i < nb->nvifs; i++) {
		xenbus_switch_state(nb->xs, nb->vifs[i]->be, XenbusStateClosed);
		nb_vif_free(nb, nb->vifs[i]);
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
 * An event that brought no work is spurious (docs/HARDENING.md, "Event
 * storms"). Count it; past UMX_NET_STORM_EVENTS in a window the port stays
 * masked until the window ends (evstorm.h; events that arrive meanwhile
 * stay pending, and every connected port's rings are polled each round
 * anyway), so a frontend notifying in a loop costs the backend a bounded
 * number of wakeups.
 */
static void storm_check(struct umx_netback *nb, struct nb_vif *v, uint64_t now)
{
	bool work = work_count(v) != v->work_mark;

	v->kicked = false;
	if (!work)
		v->info.spurious_events++;
	if (!evstorm_event(&v->storm, now, work, UMX_NET_STORM_EVENTS))
		return;
	umx_plat_evtchn_unmask(nb->p, v->port);
	if (v->port_rx != v->port)
		umx_plat_evtchn_unmask(nb->p, v->port_rx);
}

int umx_netback_poll(umx_netback *nb, int timeout_ms)
{
	struct pollfd pf[2];
	char *path, *token;
	uint64_t now = umx_clock_ms();
	int port;

	pf[0].fd = umx_plat_evtchn_fd(nb->p);
	pf[0].events = POLLIN;
	pf[1].fd = umx_xs_fd(nb->xs);
	pf[1].events = POLLIN;
	/* Wake when a held port's hold ends. */
	for (unsigned i = 0; i < nb->nvifs; i++)
		timeout_ms = evstorm_timeout(&nb->vifs[i]->storm, now, timeout_ms);
	if (poll(pf, 2, nb->busy ? 0 : timeout_ms) < 0 && errno != EINTR)
		return -errno;
	now = umx_clock_ms();
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
		if (evstorm_release(&v->storm, now) && v->info.connected) {
			umx_plat_evtchn_unmask(nb->p, v->port);
			umx_plat_evtchn_unmask(nb->p, v->port_rx);
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
		nb_handle_watch(nb, path, token);
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
	if (umx_clock_ms() - nb->stats_at >= 1000) {
		nb_publish_stats(nb);
		nb->stats_at = umx_clock_ms();
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

int umx_netback_ports_released(const umx_netback *nb, struct umx_net_port *out, unsigned max)
{
	unsigned n = nb->ngone < max ? nb->ngone : max;
	/* The newest @n, oldest first. */
	for (unsigned i = 0; i < n; i++)
		out[i] = nb->gone[(nb->gone_head + nb->ngone - n + i) % UMX_NET_PORTS_MAX];
	return (int)n;
}
