/* SPDX-License-Identifier: MIT */
/*
 * netfront: the guest end of a vif (xen/io/netif.h), hardened against its
 * backend (MirageOS MSA00; every rule of docs/HARDENING.md).
 *
 * TX: id i owns TX pool page i, shared read-only with the backend for the
 * connection's life. An id leaves the free list only in send, goes back
 * only when a response naming it, in flight, with a known status, has been
 * checked — so one response can never release another request's page, and
 * a duplicate or stale id finds its state FREE and breaks the device.
 * RX: id i owns RX pool page i (writable by the backend). A response is
 * checked (id posted, flags negotiated, status a size or a known error,
 * offset + size within the page) and its bytes copied out of the page
 * before anything looks at them; only then is the id posted again. What
 * the backend writes into a posted page later can only reach us through a
 * later response, and only the bytes that response names.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/evstorm.h"
#include "net_priv.h"
#include "umx/internal/clock.h"
#include "umx/log.h"

enum {
	ID_FREE = 0,
	ID_PENDING = 1
};

#define TX_REAP_BATCH 64u
#define RX_REFILL_MIN 32u /* re-post RX buffers in batches */

/* Free ids, first in first out: an id just released is the last to be
 * reused, so a late duplicate of its response finds it FREE (and breaks the
 * device) instead of a new request that happens to share the number. */
struct idq {
	uint16_t ids[NET_RING_SZ];
	unsigned head, n;
};

static uint16_t idq_get(struct idq *q)
{
	uint16_t id = q->ids[q->head];
	q->head = (q->head + 1) % NET_RING_SZ;
	q->n--;
	return id;
}

static void idq_put(struct idq *q, uint16_t id)
{
	q->ids[(q->head + q->n) % NET_RING_SZ] = id;
	q->n++;
}

struct umx_netfront {
	umx_plat *p; /* NULL when detached (fuzzing) */
	umx_xs *xs;
	unsigned handle;
	uint32_t backend_id;
	uint32_t port;    /* event-channel, or event-channel-tx when split */
	uint32_t port_rx; /* event-channel-rx when split, else == port */
	char fe[96], be[160];
	uint8_t mac[UMX_NET_MAC_LEN];
	bool link_up;
	bool be_gone; /* the backend's directory vanished: for good */
	umx_plat_shared *s_txring, *s_rxring, *s_txpool, *s_rxpool;
	uint8_t *txpool, *rxpool;
	uint32_t tx_refs[NET_TX_IDS], rx_refs[NET_RX_IDS];
	struct umx_ring tx, rx;
	char reason[192]; /* the one broken flag: non-empty = broken */

	struct idq tx_free;
	uint8_t tx_state[NET_TX_IDS];
	struct idq rx_free;
	uint8_t rx_state[NET_RX_IDS];
	/* The id posted in each RX ring slot: an extra-info response carries
	 * no id and consumes the request of its own slot (netif.h). */
	uint16_t rx_slot_id[NET_RING_SZ];
	uint32_t rx_req_n, rx_rsp_n; /* requests posted, responses taken */

	unsigned want_off; /* UMX_NET_OFF_* we accept from the backend */
	unsigned be_off;   /* ... the backend accepts from us */
	unsigned tx_nulls; /* NULL responses owed for extra-info slots sent */

	/* Frame being reassembled from RX slots (private memory). */
	uint8_t frame[UMX_NET_FRAME_MAX];
	size_t frame_len;
	unsigned frame_slots;
	bool frame_drop;
	bool frame_extra; /* the next RX slot is the frame's extra info */
	bool frame_more;  /* the last data slot said more_data */
	struct umx_net_meta frame_meta;

	struct umx_net_stats st;
	struct evstorm storm; /* both ports stay masked while held */
};

static int nf_fail(umx_netfront *nf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fail closed, once: the first reason wins, both rings stop. */
static int nf_fail(umx_netfront *nf, const char *fmt, ...)
{
	va_list ap;

	if (nf->reason[0])
		return -EPROTO;
	va_start(ap, fmt);
	vsnprintf(nf->reason, sizeof(nf->reason), fmt, ap);
	va_end(ap);
	if (!nf->reason[0])
		snprintf(nf->reason, sizeof(nf->reason), "broken");
	umx_err("netfront vif%u: backend misbehaved: %s", nf->handle, nf->reason);
	umx_ring_mark_broken(&nf->tx, "%s", nf->reason);
	umx_ring_mark_broken(&nf->rx, "%s", nf->reason);
	nf->link_up = false;
	return -EPROTO;
}

/* A ring found a bad index: adopt its reason as the device's. */
static int nf_ring_fail(umx_netfront *nf, struct umx_ring *r)
{
	const char *why = umx_ring_broken(r);
	return nf_fail(nf, "%s ring: %s", r == &nf->tx ? "TX" : "RX", why ? why : "broken");
}

static int nf_usable(const umx_netfront *nf)
{
	if (nf->reason[0])
		return -EPROTO;
	return nf->link_up ? 0 : -ENOTCONN;
}

static void nf_notify(umx_netfront *nf, bool rx)
{
	if (nf->p)
		umx_plat_evtchn_notify(nf->p, rx ? nf->port_rx : nf->port);
}

static void post_rx(umx_netfront *nf)
{
	struct netif_rx_request req;
	bool notify = false;
	int space = umx_ring_space(&nf->rx);

	if (space <= 0)
		return;
	while (nf->rx_free.n && space > 0) {
		uint16_t id = idq_get(&nf->rx_free);
		memset(&req, 0, sizeof(req));
		req.id = id;
		req.gref = nf->rx_refs[id];
		nf->rx_state[id] = ID_PENDING; /* before the producer moves */
		if (umx_ring_put(&nf->rx, &req) < 0) {
			nf->rx_state[id] = ID_FREE;
			idq_put(&nf->rx_free, id);
			break;
		}
		nf->rx_slot_id[nf->rx_req_n++ % NET_RING_SZ] = id;
		nf->st.rx_posted++;
		space--;
	}
	if (umx_ring_push(&nf->rx, &notify) == 0 && notify)
		nf_notify(nf, true);
}

/* A response's id must name a request of @ring we have outstanding (TX:
 * "in flight", RX: "posted"): 0, or the device is broken (-EPROTO). */
static int check_id(umx_netfront *nf, const char *ring, unsigned id, const uint8_t *state,
                    unsigned n, const char *outstanding)
{
	if (id >= n)
		return nf_fail(nf, "%s response id %u out of range", ring, id);
	if (state[id] != ID_PENDING)
		return nf_fail(nf, "%s response id %u not %s (duplicate, stale or never sent)",
		               ring, id, outstanding);
	return 0;
}

int netfront_reap_tx(umx_netfront *nf)
{
	struct netif_tx_response rsp[TX_REAP_BATCH];
	int n, done = 0;

	if (nf->reason[0])
		return -EPROTO;
	do {
		n = umx_ring_take(&nf->tx, rsp, TX_REAP_BATCH);
		if (n < 0)
			return nf_ring_fail(nf, &nf->tx);
		for (int i = 0; i < n; i++) {
			uint16_t id = rsp[i].id;
			int16_t status = rsp[i].status;

			/* An extra-info slot we sent is answered NULL, naming
			 * no request; never more of them than we sent. */
			if (status == NETIF_RSP_NULL && nf->tx_nulls) {
				nf->tx_nulls--;
				continue;
			}

			/* Everything is checked before the id is released. */
			if (check_id(nf, "TX", id, nf->tx_state, NET_TX_IDS, "in flight") < 0)
				return -EPROTO;
			if (status == NETIF_RSP_NULL)
				return nf_fail(nf, "TX response id %u: NULL status for a data slot",
				               id);
			if (status != NETIF_RSP_OKAY && status != NETIF_RSP_ERROR &&
			    status != NETIF_RSP_DROPPED)
				return nf_fail(nf, "TX response id %u: bogus status %d", id,
				               status);
			if (status != NETIF_RSP_OKAY)
				nf->st.tx_errors++;
			nf->tx_state[id] = ID_FREE;
			idq_put(&nf->tx_free, id);
			nf->st.tx_inflight--;
			done++;
		}
	} while (n == (int)TX_REAP_BATCH);
	return done;
}

static bool frame_is_v6(const uint8_t *p, size_t len)
{
	size_t t = len >= 18 && p[12] == 0x81 && p[13] == 0 ? 16 : 12;
	return len >= t + 2 && p[t] == 0x86 && p[t + 1] == 0xdd;
}

/* One frame in slots, one per iovec element; with @m's offloads: the first
 * slot's flags, and a GSO extra-info slot after it. */
static int send_chain(umx_netfront *nf, const struct iovec *iov, unsigned n,
                      const struct umx_net_meta *m)
{
	size_t total = 0;
	bool notify = false, extra = m && m->gso_size;
	int r;

	if (n == 0 || n > UMX_NET_SLOTS_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].iov_len == 0 || iov[i].iov_len > UMX_PAGE_SIZE)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	if (total < UMX_NET_ETH_HLEN || total > UMX_NET_FRAME_MAX)
		return -EINVAL;
	if ((r = nf_usable(nf)) < 0)
		return r;
	if ((r = netfront_reap_tx(nf)) < 0)
		return r;
	r = umx_ring_space(&nf->tx);
	if (r < 0)
		return nf_ring_fail(nf, &nf->tx);
	if (nf->tx_free.n < n || (unsigned)r < n + extra)
		return -EAGAIN;
	for (unsigned i = 0; i < n; i++) {
		struct netif_tx_request req;
		uint16_t id = idq_get(&nf->tx_free);

		memcpy(nf->txpool + (size_t)id * UMX_PAGE_SIZE, iov[i].iov_base, iov[i].iov_len);
		memset(&req, 0, sizeof(req));
		req.gref = nf->tx_refs[id];
		req.offset = 0;
		req.flags = i + 1 < n ? NETTXF_more_data : 0;
		if (i == 0 && m && (m->flags & UMX_NET_F_CSUM_BLANK))
			req.flags |= NETTXF_csum_blank | NETTXF_data_validated;
		else if (i == 0 && m && (m->flags & UMX_NET_F_DATA_VALID))
			req.flags |= NETTXF_data_validated;
		if (i == 0 && extra)
			req.flags |= NETTXF_extra_info;
		req.id = id;
		/* The first slot carries the frame's size, the others their own. */
		req.size = (uint16_t)(i == 0 ? total : iov[i].iov_len);
		nf->tx_state[id] = ID_PENDING; /* before the producer moves */
		if (umx_ring_put(&nf->tx, &req) < 0)
			return nf_ring_fail(nf, &nf->tx); /* space was checked */
		nf->st.tx_inflight++;
		if (i == 0 && extra) {
			struct netif_extra_info ex;

			_Static_assert(sizeof(ex) <= sizeof(req), "extra info fits a TX slot");
			memset(&req, 0, sizeof(req));
			net_gso_extra(m, &ex);
			memcpy(&req, &ex, sizeof(ex));
			if (umx_ring_put(&nf->tx, &req) < 0)
				return nf_ring_fail(nf, &nf->tx);
			nf->tx_nulls++;
		}
	}
	if (umx_ring_push(&nf->tx, &notify) < 0)
		return nf_ring_fail(nf, &nf->tx);
	if (notify)
		nf_notify(nf, false);
	nf->st.tx_frames++;
	nf->st.tx_bytes += total;
	return 0;
}

int umx_netfront_sendv(umx_netfront *nf, const struct iovec *iov, unsigned n)
{
	return send_chain(nf, iov, n, NULL);
}

int umx_netfront_send_meta(umx_netfront *nf, const void *frame, size_t len,
                           const struct umx_net_meta *m)
{
	struct iovec iov[UMX_NET_SLOTS_MAX];
	unsigned n = 0;

	if (len < UMX_NET_ETH_HLEN || len > UMX_NET_FRAME_MAX)
		return -EINVAL;
	if (m && (m->flags & UMX_NET_F_CSUM_BLANK) &&
	    !(nf->be_off & (frame_is_v6(frame, len) ? UMX_NET_OFF_CSUM6 : UMX_NET_OFF_CSUM4)))
		return -EOPNOTSUPP;
	if (m && m->gso_size) {
		if (!(nf->be_off &
		      (m->gso_type == UMX_NET_GSO_TCPV6 ? UMX_NET_OFF_GSO6 : UMX_NET_OFF_GSO4)))
			return -EOPNOTSUPP;
		/* What the backend will hold against us, held first. */
		if (net_gso_check(frame, len, m))
			return -EINVAL;
	}
	for (size_t off = 0; off < len; off += UMX_PAGE_SIZE) {
		iov[n].iov_base = (void *)((const uint8_t *)frame + off);
		iov[n].iov_len = len - off < UMX_PAGE_SIZE ? len - off : UMX_PAGE_SIZE;
		n++;
	}
	return send_chain(nf, iov, n, m);
}

int umx_netfront_send(umx_netfront *nf, const void *frame, size_t len)
{
	return umx_netfront_send_meta(nf, frame, len, NULL);
}

static void frame_reset(umx_netfront *nf)
{
	nf->frame_len = 0;
	nf->frame_slots = 0;
	nf->frame_drop = false;
	nf->frame_extra = false;
	memset(&nf->frame_meta, 0, sizeof(nf->frame_meta));
}

/* An RX slot holding the frame's extra info (*@rsp, our copy): validated,
 * then the request of its ring slot is released. 0 or -EPROTO. */
static int rx_extra(umx_netfront *nf, const struct netif_rx_response *rsp, uint16_t slot_id)
{
	struct netif_extra_info ex;
	unsigned want;

	memcpy(&ex, rsp, sizeof(ex));
	if (nf->rx_state[slot_id] != ID_PENDING)
		return nf_fail(nf, "RX extra info in the slot of id %u, not posted", slot_id);
	if (ex.type != XEN_NETIF_EXTRA_TYPE_GSO || (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE))
		return nf_fail(nf, "RX extra info type %u flags %#x not negotiated", ex.type,
		               ex.flags);
	want = ex.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4   ? UMX_NET_OFF_GSO4
	       : ex.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV6 ? UMX_NET_OFF_GSO6
	                                                   : 0;
	if (!want || !(nf->want_off & want) || ex.u.gso.size < UMX_NET_GSO_MIN_SIZE)
		return nf_fail(nf, "RX GSO type %u size %u not negotiated", ex.u.gso.type,
		               ex.u.gso.size);
	nf->frame_meta.gso_size = ex.u.gso.size;
	nf->frame_meta.gso_type = ex.u.gso.type;
	nf->rx_state[slot_id] = ID_FREE;
	idq_put(&nf->rx_free, slot_id);
	nf->st.rx_posted--;
	return 0;
}

int umx_netfront_recv(umx_netfront *nf, void *buf, size_t cap)
{
	return umx_netfront_recv_meta(nf, buf, cap, NULL);
}

int umx_netfront_recv_meta(umx_netfront *nf, void *buf, size_t cap, struct umx_net_meta *m)
{
	for (;;) {
		struct netif_rx_response rsp;
		bool more = false;
		uint16_t id, slot_id;
		unsigned ok_flags;
		int n;

		if (nf->reason[0])
			return -EPROTO;
		n = umx_ring_take(&nf->rx, &rsp, 1);
		if (n < 0)
			return nf_ring_fail(nf, &nf->rx);
		if (n == 0) {
			post_rx(nf);
			if (umx_ring_final_check(&nf->rx, &more) < 0)
				return nf_ring_fail(nf, &nf->rx);
			if (more)
				continue;
			return nf->link_up ? -EAGAIN : -ENOTCONN;
		}
		slot_id = nf->rx_slot_id[nf->rx_rsp_n++ % NET_RING_SZ];
		if (nf->frame_extra) {
			nf->frame_extra = false;
			if (rx_extra(nf, &rsp, slot_id) < 0)
				return -EPROTO;
			if (++nf->frame_slots > UMX_NET_SLOTS_MAX)
				return nf_fail(nf, "RX frame of more than %u slots",
				               UMX_NET_SLOTS_MAX);
			if (nf->frame_more)
				continue;
			goto complete;
		}
		/* rsp is our private copy: validate it, then use it. */
		id = rsp.id;
		if (check_id(nf, "RX", id, nf->rx_state, NET_RX_IDS, "posted") < 0)
			return -EPROTO;
		ok_flags = NETRXF_data_validated | NETRXF_csum_blank | NETRXF_more_data;
		/* Extra info only on a frame's first slot, and only if we take GSO. */
		if (!nf->frame_slots && (nf->want_off & (UMX_NET_OFF_GSO4 | UMX_NET_OFF_GSO6)))
			ok_flags |= NETRXF_extra_info;
		if (rsp.flags & ~ok_flags)
			return nf_fail(nf, "RX response id %u: flags %#x not negotiated", id,
			               rsp.flags);
		if (!nf->frame_slots) {
			/* A partial checksum is only ever passed on as one: a
			 * receiver that did not ask gets it as an unchecked frame
			 * (Linux would drop it; the flag says the data was good). */
			if (rsp.flags & NETRXF_csum_blank)
				nf->frame_meta.flags |= UMX_NET_F_CSUM_BLANK;
			if (rsp.flags & NETRXF_data_validated)
				nf->frame_meta.flags |= UMX_NET_F_DATA_VALID;
			nf->frame_extra = rsp.flags & NETRXF_extra_info;
		}
		if (rsp.status < 0 && rsp.status != NETIF_RSP_ERROR &&
		    rsp.status != NETIF_RSP_DROPPED)
			return nf_fail(nf, "RX response id %u: bogus status %d", id, rsp.status);
		if (rsp.status > 0 && (uint32_t)rsp.offset + (uint32_t)rsp.status > UMX_PAGE_SIZE)
			return nf_fail(nf,
			               "RX response id %u: offset %u + size %d crosses the page",
			               id, rsp.offset, rsp.status);
		if (++nf->frame_slots > UMX_NET_SLOTS_MAX)
			return nf_fail(nf, "RX frame of more than %u slots", UMX_NET_SLOTS_MAX);
		if (rsp.status <= 0) {
			nf->frame_drop = true;
		} else if (nf->frame_len + (size_t)rsp.status > sizeof(nf->frame)) {
			return nf_fail(nf, "RX frame longer than %u bytes", UMX_NET_FRAME_MAX);
		} else if (!nf->frame_drop) {
			/* Copy out of the granted page once, before anyone reads it. */
			memcpy(nf->frame + nf->frame_len,
			       nf->rxpool + (size_t)id * UMX_PAGE_SIZE + rsp.offset,
			       (size_t)rsp.status);
			nf->frame_len += (size_t)rsp.status;
		}
		nf->rx_state[id] = ID_FREE;
		idq_put(&nf->rx_free, id);
		nf->st.rx_posted--;
		if (nf->rx_free.n >= RX_REFILL_MIN)
			post_rx(nf);
		nf->frame_more = rsp.flags & NETRXF_more_data;
		if (nf->frame_more || nf->frame_extra)
			continue;
	complete:
		if (nf->rx_free.n >= RX_REFILL_MIN)
			post_rx(nf);
		if (nf->frame_drop || nf->frame_len < UMX_NET_ETH_HLEN) {
			nf->st.rx_dropped++;
			frame_reset(nf);
			continue;
		}
		if (nf->frame_len > cap) {
			nf->st.rx_dropped++;
			frame_reset(nf);
			return -EMSGSIZE;
		}
		memcpy(buf, nf->frame, nf->frame_len);
		if (m) {
			*m = nf->frame_meta;
			/* A GSO frame whose headers do not say what its extra
			 * info says is dropped, never passed on. */
			if (m->gso_size && net_gso_check(nf->frame, nf->frame_len, m)) {
				nf->st.rx_dropped++;
				frame_reset(nf);
				continue;
			}
		} else if (nf->frame_meta.gso_size) {
			/* A caller without offloads never negotiated GSO. */
			nf->st.rx_dropped++;
			frame_reset(nf);
			continue;
		}
		n = (int)nf->frame_len;
		nf->st.rx_frames++;
		nf->st.rx_bytes += nf->frame_len;
		frame_reset(nf);
		return n;
	}
}

static void check_backend_state(umx_netfront *nf)
{
	int s = xenbus_read_state(nf->xs, nf->be);

	if (s == XenbusStateConnected && !nf->reason[0])
		nf->link_up = true;
	else if (s != XenbusStateConnected)
		nf->link_up = false;
	/* Its state node existed when we connected; it goes only with the
	 * backend's domain or a detach, and neither comes back. */
	if (s == -ENOENT && !nf->be_gone) {
		nf->be_gone = true;
		umx_warn("netfront: vif %u: the backend (domain %u) is gone", nf->handle,
		         nf->backend_id);
	}
}

/* 0, or -ENOTCONN once the store is gone (umxd died): the link is down
 * for good, and polling the hung-up descriptor again would spin. */
static int drain_store(umx_netfront *nf)
{
	char *path, *token;
	bool seen = false;
	int r;

	while ((r = umx_xs_read_watch(nf->xs, &path, &token, 0)) == 0) {
		free(path);
		free(token);
		seen = true;
	}
	if (r != -ETIMEDOUT) {
		if (nf->link_up)
			umx_warn("netfront: store connection lost: %s", strerror(-r));
		nf->link_up = false;
		return -ENOTCONN;
	}
	if (seen)
		check_backend_state(nf);
	return 0;
}

int umx_netfront_wait(umx_netfront *nf, int timeout_ms)
{
	struct pollfd pf[2];
	bool more_rx = false, more_tx = false, kicked = false;
	uint64_t now = umx_clock_ms();
	int port, reaped = 0;

	if (!nf->p)
		return -ENOTCONN;
	if (evstorm_release(&nf->storm, now)) {
		umx_plat_evtchn_unmask(nf->p, nf->port);
		umx_plat_evtchn_unmask(nf->p, nf->port_rx);
	}
	timeout_ms = evstorm_timeout(&nf->storm, now, timeout_ms);
	if (!nf->reason[0]) {
		if (umx_ring_final_check(&nf->rx, &more_rx) < 0)
			return nf_ring_fail(nf, &nf->rx);
		if (umx_ring_final_check(&nf->tx, &more_tx) < 0)
			return nf_ring_fail(nf, &nf->tx);
		if (more_rx || more_tx)
			timeout_ms = 0;
	}
	pf[0].fd = umx_plat_evtchn_fd(nf->p);
	pf[0].events = POLLIN;
	pf[1].fd = umx_xs_fd(nf->xs);
	pf[1].events = POLLIN;
	int r = poll(pf, 2, timeout_ms);
	while ((port = umx_plat_evtchn_pending(nf->p)) >= 0) {
		if ((uint32_t)port == nf->port || (uint32_t)port == nf->port_rx) {
			kicked = true; /* stays masked until we know it brought work */
			continue;
		}
		umx_plat_evtchn_unmask(nf->p, (uint32_t)port);
	}
	if (drain_store(nf) < 0)
		return -ENOTCONN;
	if (nf->be_gone)
		return -ENODEV;
	if (!nf->reason[0])
		reaped = netfront_reap_tx(nf);
	if (kicked) {
		/* No new responses: a spurious event (docs/HARDENING.md, "Event storms"). */
		bool work = reaped > 0 || (!nf->reason[0] && umx_ring_unconsumed(&nf->rx) > 0);

		if (!work)
			nf->st.spurious_events++;
		if (evstorm_event(&nf->storm, umx_clock_ms(), work, UMX_NET_STORM_EVENTS)) {
			umx_plat_evtchn_unmask(nf->p, nf->port);
			umx_plat_evtchn_unmask(nf->p, nf->port_rx);
		}
	}
	return (r > 0 || more_rx || more_tx) ? 0 : -ETIMEDOUT;
}

int umx_netfront_fd(const umx_netfront *nf)
{
	return nf->p ? umx_plat_evtchn_fd(nf->p) : -1;
}

uint32_t umx_netfront_port(const umx_netfront *nf)
{
	return nf->port;
}

bool umx_netfront_link_up(const umx_netfront *nf)
{
	return nf->link_up && !nf->reason[0];
}

void umx_netfront_mac(const umx_netfront *nf, uint8_t mac[UMX_NET_MAC_LEN])
{
	memcpy(mac, nf->mac, UMX_NET_MAC_LEN);
}

const char *umx_netfront_broken(const umx_netfront *nf)
{
	return nf->reason[0] ? nf->reason : NULL;
}

void umx_netfront_stats(const umx_netfront *nf, struct umx_net_stats *st)
{
	*st = nf->st;
}

/* Rings attached, ids free, RX ring filled (shared memory already zeroed). */
static int nf_core_init(umx_netfront *nf, void *tx_ring, void *rx_ring)
{
	int r;

	r = umx_ring_front_init(&nf->tx, tx_ring, UMX_PAGE_SIZE, sizeof(struct netif_tx_request),
	                        sizeof(struct netif_tx_response), true);
	if (r < 0)
		return r;
	r = umx_ring_front_init(&nf->rx, rx_ring, UMX_PAGE_SIZE, sizeof(struct netif_rx_request),
	                        sizeof(struct netif_rx_response), true);
	if (r < 0)
		return r;
	if (umx_ring_size(&nf->tx) != NET_RING_SZ || umx_ring_size(&nf->rx) != NET_RING_SZ)
		return -EINVAL;
	for (unsigned i = 0; i < NET_TX_IDS; i++)
		idq_put(&nf->tx_free, (uint16_t)i);
	for (unsigned i = 0; i < NET_RX_IDS; i++)
		idq_put(&nf->rx_free, (uint16_t)i);
	post_rx(nf);
	return 0;
}

int netfront_detached_new(void *tx_ring, void *rx_ring, void *tx_pool, void *rx_pool,
                          umx_netfront **out)
{
	umx_netfront *nf = calloc(1, sizeof(*nf));
	int r;

	if (!nf)
		return -ENOMEM;
	nf->txpool = tx_pool;
	nf->rxpool = rx_pool;
	/* Every offload both ways: the fuzzers reach the extra-info paths. */
	nf->want_off = nf->be_off =
	        UMX_NET_OFF_CSUM4 | UMX_NET_OFF_CSUM6 | UMX_NET_OFF_GSO4 | UMX_NET_OFF_GSO6;
	for (unsigned i = 0; i < NET_TX_IDS; i++)
		nf->tx_refs[i] = 8 + i;
	for (unsigned i = 0; i < NET_RX_IDS; i++)
		nf->rx_refs[i] = 8 + NET_TX_IDS + i;
	if ((r = nf_core_init(nf, tx_ring, rx_ring)) < 0) {
		free(nf);
		return r;
	}
	nf->link_up = true;
	*out = nf;
	return 0;
}

/* Wait until the backend's state is one of @want (bitmask of 1 << state). */
static int wait_backend(umx_netfront *nf, unsigned want, int timeout_ms)
{
	int64_t end = timeout_ms < 0 ? -1 : (int64_t)umx_clock_ms() + timeout_ms;

	for (;;) {
		char *path, *token;
		int s = xenbus_read_state(nf->xs, nf->be), left, r;

		if (s >= 0 && (want & (1u << s)))
			return s;
		left = end < 0 ? -1 : (int)(end - (int64_t)umx_clock_ms());
		if (end >= 0 && left <= 0)
			return -ETIMEDOUT;
		r = umx_xs_read_watch(nf->xs, &path, &token, left);
		if (r == -ETIMEDOUT)
			continue;
		if (r < 0)
			return r;
		free(path);
		free(token);
	}
}

static int publish(umx_netfront *nf)
{
	uint32_t tx;
	int r;

	for (int tries = 0; tries < 16; tries++) {
		if ((r = umx_xs_transaction_start(nf->xs, &tx)) < 0)
			return r;
#define W(name, fmt, ...)                                                                \
	do {                                                                             \
		if ((r = xenbus_printf(nf->xs, tx, nf->fe, name, fmt, __VA_ARGS__)) < 0) \
			goto abort;                                                      \
	} while (0)
		W("tx-ring-ref", "%u", umx_plat_share_ref(nf->s_txring, 0));
		W("rx-ring-ref", "%u", umx_plat_share_ref(nf->s_rxring, 0));
		if (nf->port_rx != nf->port) {
			W("event-channel-tx", "%u", nf->port);
			W("event-channel-rx", "%u", nf->port_rx);
		} else {
			W("event-channel", "%u", nf->port);
		}
		W("request-rx-copy", "%u", 1u);
		W("feature-rx-notify", "%u", 1u);
		W("feature-sg", "%u", 1u);
		W("feature-persistent", "%u", 1u);
		/* What we take from the backend: without checksum offload
		 * asked for, complete checksums only. */
		W("feature-no-csum-offload", "%u", nf->want_off & UMX_NET_OFF_CSUM4 ? 0u : 1u);
		W("feature-ipv6-csum-offload", "%u", nf->want_off & UMX_NET_OFF_CSUM6 ? 1u : 0u);
		W("feature-gso-tcpv4", "%u", nf->want_off & UMX_NET_OFF_GSO4 ? 1u : 0u);
		W("feature-gso-tcpv6", "%u", nf->want_off & UMX_NET_OFF_GSO6 ? 1u : 0u);
		W("state", "%d", XenbusStateConnected);
#undef W
		r = umx_xs_transaction_end(nf->xs, tx, true);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
abort:
	umx_xs_transaction_end(nf->xs, tx, false);
	return r;
}

static void release(umx_netfront *nf)
{
	/* -EBUSY: the backend still maps it; the platform keeps the page out of
	 * any reuse and releases it later. Either way it is gone for us. */
	if (nf->s_txring)
		umx_plat_unshare(nf->p, nf->s_txring);
	if (nf->s_rxring)
		umx_plat_unshare(nf->p, nf->s_rxring);
	if (nf->s_txpool)
		umx_plat_unshare(nf->p, nf->s_txpool);
	if (nf->s_rxpool)
		umx_plat_unshare(nf->p, nf->s_rxpool);
	if (nf->port_rx && nf->port_rx != nf->port)
		umx_plat_evtchn_unbind(nf->p, nf->port_rx);
	if (nf->port)
		umx_plat_evtchn_unbind(nf->p, nf->port);
}

/* The toolstack's nodes of this vif: backend-id, backend, mac. */
static int read_vif_nodes(umx_netfront *nf)
{
	char path[192], *val = NULL;
	unsigned long bid;
	int r;

	snprintf(path, sizeof(path), "%s/backend-id", nf->fe);
	if ((r = xenbus_read_uint(nf->xs, path, NULL, &bid)) < 0)
		return r;
	if (bid >= 32752 || bid == umx_plat_domid(nf->p))
		return -EINVAL;
	nf->backend_id = (uint32_t)bid;
	snprintf(path, sizeof(path), "%s/backend", nf->fe);
	if ((r = umx_xs_read(nf->xs, UMX_XS_NO_TX, path, &val, NULL)) < 0)
		return r;
	if (strlen(val) >= sizeof(nf->be)) {
		free(val);
		return -ENAMETOOLONG;
	}
	strcpy(nf->be, val);
	free(val);
	snprintf(path, sizeof(path), "%s/mac", nf->fe);
	if ((r = umx_xs_read(nf->xs, UMX_XS_NO_TX, path, &val, NULL)) < 0)
		return r;
	r = umx_net_parse_mac(val, nf->mac);
	free(val);
	return r;
}

/* What the backend accepts from us: netif.h's defaults (IPv4 checksum
 * offload unless refused, the rest only if offered). */
static unsigned backend_offloads(umx_netfront *nf)
{
	static const struct {
		const char *name;
		unsigned off;
		unsigned long dflt;
	} f[] = {{"feature-no-csum-offload", UMX_NET_OFF_CSUM4, 0},
	         {"feature-ipv6-csum-offload", UMX_NET_OFF_CSUM6, 0},
	         {"feature-gso-tcpv4", UMX_NET_OFF_GSO4, 0},
	         {"feature-gso-tcpv6", UMX_NET_OFF_GSO6, 0}};
	unsigned off = 0;

	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		unsigned long v = f[i].dflt;
		if (xenbus_read_uint(nf->xs, nf->be, f[i].name, &v) < 0)
			v = f[i].dflt;
		/* The first is a refusal, the others offers. */
		if (i == 0 ? v != 1 : v == 1)
			off |= f[i].off;
	}
	/* GSO frames carry partial checksums of their family. */
	if (!(off & UMX_NET_OFF_CSUM4))
		off &= ~UMX_NET_OFF_GSO4;
	if (!(off & UMX_NET_OFF_CSUM6))
		off &= ~UMX_NET_OFF_GSO6;
	return off;
}

unsigned umx_netfront_offloads(const umx_netfront *nf)
{
	return nf->be_off;
}

int umx_netfront_open(umx_plat *p, unsigned handle, int timeout_ms, umx_netfront **out)
{
	return umx_netfront_open_offload(p, handle, timeout_ms, 0, out);
}

int umx_netfront_open_offload(umx_plat *p, unsigned handle, int timeout_ms, unsigned offloads,
                              umx_netfront **out)
{
	umx_netfront *nf = calloc(1, sizeof(*nf));
	uint64_t end = umx_clock_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	char path[192];
	unsigned long split = 0;
	int r, port;

	if (!nf)
		return -ENOMEM;
	nf->p = p;
	nf->xs = umx_plat_xs(p);
	nf->handle = handle;
	nf->want_off = offloads & (UMX_NET_OFF_CSUM4 | UMX_NET_OFF_CSUM6 | UMX_NET_OFF_GSO4 |
	                           UMX_NET_OFF_GSO6);
	/* GSO frames carry partial checksums of their family. */
	if (!(nf->want_off & UMX_NET_OFF_CSUM4))
		nf->want_off &= ~UMX_NET_OFF_GSO4;
	if (!(nf->want_off & UMX_NET_OFF_CSUM6))
		nf->want_off &= ~UMX_NET_OFF_GSO6;
	snprintf(nf->fe, sizeof(nf->fe), "/local/domain/%u/device/vif/%u", umx_plat_domid(p),
	         handle);
	/* The toolstack may not have written (all of) the vif's nodes yet. */
	while ((r = read_vif_nodes(nf)) == -ENOENT && (timeout_ms < 0 || umx_clock_ms() < end))
		usleep(50 * 1000);
	if (r < 0)
		goto err;
	if (xenbus_read_state(nf->xs, nf->fe) != XenbusStateInitialising &&
	    (r = xenbus_switch_state(nf->xs, nf->fe, XenbusStateInitialising)) < 0)
		goto err;
	snprintf(path, sizeof(path), "%s/state", nf->be);
	if ((r = umx_xs_watch(nf->xs, path, "netfront")) < 0)
		goto err;
	if ((r = wait_backend(nf, 1u << XenbusStateInitWait, timeout_ms)) < 0)
		goto err_unwatch;

	if ((r = umx_plat_share(p, nf->backend_id, 1, false, NULL, &nf->s_txring)) < 0 ||
	    (r = umx_plat_share(p, nf->backend_id, 1, false, NULL, &nf->s_rxring)) < 0 ||
	    (r = umx_plat_share(p, nf->backend_id, NET_TX_IDS, true, NULL, &nf->s_txpool)) < 0 ||
	    (r = umx_plat_share(p, nf->backend_id, NET_RX_IDS, false, NULL, &nf->s_rxpool)) < 0)
		goto err_release;
	port = umx_plat_evtchn_alloc_unbound(p, nf->backend_id);
	if (port <= 0) {
		r = port < 0 ? port : -EIO;
		goto err_release;
	}
	nf->port = nf->port_rx = (uint32_t)port;
	/* Split event channels when the backend offers them, as Linux does. */
	snprintf(path, sizeof(path), "%s/feature-split-event-channels", nf->be);
	if (xenbus_read_uint(nf->xs, path, NULL, &split) == 0 && split == 1) {
		port = umx_plat_evtchn_alloc_unbound(p, nf->backend_id);
		if (port <= 0) {
			r = port < 0 ? port : -EIO;
			goto err_release;
		}
		nf->port_rx = (uint32_t)port;
	}
	nf->txpool = umx_plat_share_addr(nf->s_txpool);
	nf->rxpool = umx_plat_share_addr(nf->s_rxpool);
	for (unsigned i = 0; i < NET_TX_IDS; i++)
		nf->tx_refs[i] = umx_plat_share_ref(nf->s_txpool, i);
	for (unsigned i = 0; i < NET_RX_IDS; i++)
		nf->rx_refs[i] = umx_plat_share_ref(nf->s_rxpool, i);
	if ((r = nf_core_init(nf, umx_plat_share_addr(nf->s_txring),
	                      umx_plat_share_addr(nf->s_rxring))) < 0)
		goto err_release;
	if ((r = publish(nf)) < 0)
		goto err_release;
	if ((r = wait_backend(nf, 1u << XenbusStateConnected, timeout_ms)) < 0)
		goto err_release;
	/* Only what both sides do: we send nothing we did not ask for. */
	nf->be_off = backend_offloads(nf) & nf->want_off;
	nf->link_up = true;
	*out = nf;
	return 0;
err_release:
	xenbus_switch_state(nf->xs, nf->fe, XenbusStateClosed);
	release(nf);
err_unwatch:
	snprintf(path, sizeof(path), "%s/state", nf->be);
	umx_xs_unwatch(nf->xs, path, "netfront");
err:
	free(nf);
	return r;
}

void umx_netfront_close(umx_netfront *nf)
{
	char path[192];

	if (!nf)
		return;
	if (nf->p) {
		xenbus_switch_state(nf->xs, nf->fe, XenbusStateClosing);
		xenbus_switch_state(nf->xs, nf->fe, XenbusStateClosed);
		/* Give the backend a moment to unmap; if it does not, unshare
		 * reports busy and the platform defers the release. */
		wait_backend(nf, (1u << XenbusStateClosed) | (1u << XenbusStateInitWait), 500);
		snprintf(path, sizeof(path), "%s/state", nf->be);
		umx_xs_unwatch(nf->xs, path, "netfront");
		release(nf);
	}
	free(nf);
}
