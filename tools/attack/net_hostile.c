/* SPDX-License-Identifier: MIT */
/* The MSA00 hostile netback: see net_hostile.h. */
#include "net_hostile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx/barrier.h"
#include "umx/grant.h"

/* Xen's shared ring: four indexes, padding to 64 bytes, then the slots
 * (a request/response union: 12 bytes on TX, 8 on RX). */
#define RING_HDR 64u
#define SLOT_T   12u
#define SLOT_R   8u
#define RING_N   256u

const char *const nh_attack_name[NH_COUNT] = {
        [NH_TX_DUP] = "tx-dup-id",
        [NH_TX_STALE] = "tx-stale-id",
        [NH_TX_RANGE] = "tx-id-out-of-range",
        [NH_TX_NEVER] = "tx-id-never-issued",
        [NH_TX_STATUS] = "tx-bogus-status",
        [NH_TX_NULL] = "tx-null-status-data-slot",
        [NH_RX_DUP] = "rx-dup-id",
        [NH_RX_CROSS] = "rx-data-crosses-page",
        [NH_RX_FLAGS] = "rx-flags-not-negotiated",
        [NH_RX_STATUS] = "rx-bogus-status",
        [NH_RING_AHEAD] = "tx-rsp-prod-ahead",
        [NH_EV_STORM] = "event-storm",
};

static int read_ul(umx_xs *xs, const char *dir, const char *name, unsigned long *out)
{
	char path[160], *v, *end;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return -ENOENT;
	errno = 0;
	*out = strtoul(v, &end, 10);
	if (errno || end == v) {
		free(v);
		return -EINVAL;
	}
	free(v);
	return 0;
}

static int write_node(umx_xs *xs, const char *dir, const char *name, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return umx_xs_write_str(xs, UMX_XS_NO_TX, path, val);
}

static void nh_paths(const struct nh *h, char *be, size_t bcap, char *fe, size_t fcap)
{
	snprintf(be, bcap, "/local/domain/%u/backend/vif/%u/%u", umx_plat_domid(h->p), h->front,
	         h->devid);
	snprintf(fe, fcap, "/local/domain/%u/device/vif/%u", h->front, h->devid);
}

int nh_offer(struct nh *h, umx_plat *p, uint32_t front, uint32_t devid, int timeout_ms)
{
	char be[96], fe[96];
	unsigned long v;
	umx_xs *xs = umx_plat_xs(p);
	int r;

	memset(h, 0, sizeof(*h));
	h->p = p;
	h->front = front;
	h->devid = devid;
	nh_paths(h, be, sizeof(be), fe, sizeof(fe));
	/* Wait for the toolstack's directory, then announce InitWait with the
	 * one feature every frontend insists on (Linux's refuses to connect
	 * without rx-copy); no multi-queue, no split event channels. */
	for (int i = 0; read_ul(xs, be, "frontend-id", &v) < 0; i++) {
		if (i * 10 > timeout_ms)
			return -ETIMEDOUT;
		usleep(10000);
	}
	if ((r = write_node(xs, be, "feature-rx-copy", "1")) < 0 ||
	    (r = write_node(xs, be, "state", "2")) < 0)
		return r;
	return 0;
}

int nh_fe_state(const struct nh *h)
{
	char be[96], fe[96];
	unsigned long v;

	nh_paths(h, be, sizeof(be), fe, sizeof(fe));
	return read_ul(umx_plat_xs(h->p), fe, "state", &v) < 0 || v > 8 ? -1 : (int)v;
}

int nh_accept(struct nh *h)
{
	char be[96], fe[96];
	unsigned long txref, rxref, evt;
	umx_xs *xs = umx_plat_xs(h->p);
	uint32_t ref;
	int r;

	nh_paths(h, be, sizeof(be), fe, sizeof(fe));
	if ((r = read_ul(xs, fe, "tx-ring-ref", &txref)) < 0 ||
	    (r = read_ul(xs, fe, "rx-ring-ref", &rxref)) < 0 ||
	    (r = read_ul(xs, fe, "event-channel", &evt)) < 0)
		return r;
	ref = (uint32_t)txref;
	if ((r = umx_plat_map(h->p, h->front, 1, &ref, false, NULL, &h->mtx)) < 0)
		return r;
	ref = (uint32_t)rxref;
	if ((r = umx_plat_map(h->p, h->front, 1, &ref, false, NULL, &h->mrx)) < 0)
		goto fail;
	if ((r = umx_plat_evtchn_bind_interdomain(h->p, h->front, (uint32_t)evt)) <= 0) {
		r = r < 0 ? r : -EINVAL;
		goto fail;
	}
	h->port = (uint32_t)r;
	h->tx = umx_plat_map_addr(h->mtx);
	h->rx = umx_plat_map_addr(h->mrx);
	if ((r = write_node(xs, be, "state", "4")) < 0)
		goto fail;
	return 0;
fail:
	nh_disconnect(h);
	return r;
}

int nh_connect(struct nh *h, umx_plat *p, uint32_t front, uint32_t devid, int timeout_ms)
{
	int r = nh_offer(h, p, front, devid, timeout_ms);

	for (int i = 0; r == 0 && nh_fe_state(h) != 4; i++) {
		if (i * 10 > timeout_ms)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return r < 0 ? r : nh_accept(h);
}

void nh_disconnect(struct nh *h)
{
	if (h->port)
		umx_plat_evtchn_unbind(h->p, h->port);
	if (h->mtx)
		umx_plat_unmap(h->p, h->mtx);
	if (h->mrx)
		umx_plat_unmap(h->p, h->mrx);
	h->port = 0;
	h->mtx = h->mrx = NULL;
	h->tx = h->rx = NULL;
}

uint32_t nh_tx_req_prod(const struct nh *h)
{
	return umx_load_acquire32(h->tx); /* pairs with the frontend's push */
}

uint32_t nh_rx_req_prod(const struct nh *h)
{
	return umx_load_acquire32(h->rx); /* pairs with the frontend's push */
}

struct netif_tx_request nh_tx_req(const struct nh *h, uint32_t i)
{
	struct netif_tx_request r;
	memcpy(&r, h->tx + RING_HDR + (i % RING_N) * SLOT_T, sizeof(r));
	return r;
}

struct netif_rx_request nh_rx_req(const struct nh *h, uint32_t i)
{
	struct netif_rx_request r;
	memcpy(&r, h->rx + RING_HDR + (i % RING_N) * SLOT_R, sizeof(r));
	return r;
}

void nh_tx_rsp(struct nh *h, uint16_t id, int16_t status)
{
	struct netif_tx_response r = {.id = id, .status = status};
	uint8_t *slot = h->tx + RING_HDR + (h->txp % RING_N) * SLOT_T;
	memset(slot, 0, SLOT_T);
	memcpy(slot, &r, sizeof(r));
	/* Pairs with the frontend's read barrier after it loads rsp_prod. */
	umx_store_release32(h->tx + 8, ++h->txp);
}

void nh_rx_rsp(struct nh *h, uint16_t id, uint16_t offset, uint16_t flags, int16_t status)
{
	struct netif_rx_response r = {.id = id, .offset = offset, .flags = flags, .status = status};
	memcpy(h->rx + RING_HDR + (h->rxp % RING_N) * SLOT_R, &r, sizeof(r));
	/* Pairs with the frontend's read barrier after it loads rsp_prod. */
	umx_store_release32(h->rx + 8, ++h->rxp);
}

int nh_notify(struct nh *h)
{
	return umx_plat_evtchn_notify(h->p, h->port);
}

uint8_t *nh_map_one(struct nh *h, uint32_t gref, bool ro, umx_plat_mapped **m)
{
	if (umx_plat_map(h->p, h->front, 1, &gref, ro, NULL, m) < 0)
		return NULL;
	return umx_plat_map_addr(*m);
}

int nh_fire(struct nh *h, enum nh_attack a, uint16_t id0, const uint8_t *frame, size_t len)
{
	struct netif_rx_request q;

	if (a <= NH_TX_NULL && id0 >= RING_N)
		return -EINVAL;
	if (a >= NH_RX_DUP && a <= NH_RX_STATUS && nh_rx_req_prod(h) - h->rxp < 2)
		return -EAGAIN; /* RX attacks need posted requests (RX_DUP two) */
	q = nh_rx_req(h, h->rxp);
	switch (a) {
	case NH_TX_DUP:
		nh_tx_rsp(h, id0, NETIF_RSP_OKAY);
		nh_tx_rsp(h, id0, NETIF_RSP_OKAY);
		break;
	case NH_TX_STALE:
		nh_tx_rsp(h, id0, NETIF_RSP_OKAY);
		break;
	case NH_TX_RANGE:
		nh_tx_rsp(h, RING_N, NETIF_RSP_OKAY);
		break;
	case NH_TX_NEVER:
		nh_tx_rsp(h, NH_NEVER_ID, NETIF_RSP_OKAY);
		break;
	case NH_TX_STATUS:
		nh_tx_rsp(h, id0, -7);
		break;
	case NH_TX_NULL:
		nh_tx_rsp(h, id0, NETIF_RSP_NULL);
		break;
	case NH_RX_DUP: {
		umx_plat_mapped *m;
		uint8_t *pg;
		if (!frame || len > UMX_PAGE_SIZE || !(pg = nh_map_one(h, q.gref, false, &m)))
			return -EFAULT;
		memcpy(pg, frame, len);
		umx_plat_unmap(h->p, m);
		nh_rx_rsp(h, q.id, 0, 0, (int16_t)len);
		nh_rx_rsp(h, q.id, 0, 0, (int16_t)len);
		break;
	}
	case NH_RX_CROSS:
		nh_rx_rsp(h, q.id, 4000, 0, 200);
		break;
	case NH_RX_FLAGS:
		nh_rx_rsp(h, q.id, 0, NETRXF_extra_info, 60);
		break;
	case NH_RX_STATUS:
		nh_rx_rsp(h, q.id, 0, 0, -9);
		break;
	case NH_RING_AHEAD:
		/* Pairs with the frontend's read barrier after rsp_prod. */
		umx_store_release32(h->tx + 8, h->txp + 1000);
		break;
	case NH_EV_STORM:
		return nh_storm(h, NH_STORM_BURST);
	default:
		return -EINVAL;
	}
	return nh_notify(h);
}

int nh_stale_dup(struct nh *h, uint16_t id0)
{
	nh_tx_rsp(h, id0, NETIF_RSP_OKAY);
	return nh_notify(h);
}

int nh_storm(struct nh *h, unsigned events)
{
	for (unsigned i = 0; i < events; i++) {
		int r = nh_notify(h);
		if (r < 0)
			return r;
	}
	return 0;
}
