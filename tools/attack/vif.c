/* SPDX-License-Identifier: MIT */
/* One vif of an attack run, umx at the backend end (vif.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "umx/grant.h" /* UMX_PAGE_SIZE */
#include "vif.h"

#define ETH_ARP  0x0806
#define ETH_IPV4 0x0800
#define ETH_UMX  0x88b5 /* IEEE local experimental: the marker when no IP is known */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int vif_fe_state(struct vif *v)
{
	return attack_fe_state(umx_plat_xs(v->s->p), v->s->target, "vif", v->devid);
}

int vif_open(struct vif *v, const struct attack_session *s, unsigned devid)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->s = s;
	v->devid = devid;
	memcpy(v->mac, (uint8_t[]){0x02, 0, 0, 0x5a, (uint8_t)(devid >> 8), (uint8_t)devid}, 6);
	if ((r = nh_connect(&v->h, s->p, s->target, devid, (int)s->timeout_ms)) < 0)
		return r;
	v->connected = true;
	return 0;
}

void vif_close(struct vif *v)
{
	char path[128];
	umx_xs *xs = umx_plat_xs(v->s->p);

	if (!v->connected)
		return;
	/* A toolstack's teardown: backend Closed; the frontend answers with
	 * Closing or Closed (or is gone) before its rings are unmapped. */
	snprintf(path, sizeof(path), "/local/domain/%u/backend/vif/%u/%u/state",
	         umx_plat_domid(v->s->p), v->s->target, v->devid);
	umx_xs_write_str(xs, UMX_XS_NO_TX, path, "6");
	for (long t = attack_now_ms(); attack_now_ms() - t < 1000;) {
		int st = vif_fe_state(v);
		if (st < 0 || st >= 5)
			break;
		usleep(10000);
	}
	nh_disconnect(&v->h);
	v->connected = false;
}

void vif_rx_done(struct vif *v, uint16_t id)
{
	if (id < VIF_IDS)
		v->rx_live[id] = 0;
}

void vif_tx_done(struct vif *v, uint16_t id)
{
	if (id < VIF_IDS)
		v->tx_live[id] = 0;
}

int vif_deliver(struct vif *v, const void *f, size_t len)
{
	struct netif_rx_request q;
	umx_plat_mapped *m;
	uint8_t *pg;

	if (len > UMX_PAGE_SIZE || nh_rx_req_prod(&v->h) == v->h.rxp || v->rx_seen == v->h.rxp)
		return -ENOBUFS;
	q = nh_rx_req(&v->h, v->h.rxp);
	if (!(pg = nh_map_one(&v->h, q.gref, false, &m)))
		return -EFAULT;
	memcpy(pg, f, len);
	umx_plat_unmap(v->h.p, m); /* before the response hands the page back */
	nh_rx_rsp(&v->h, q.id, 0, 0, (int16_t)len);
	vif_rx_done(v, q.id);
	v->rx_delivered++;
	return 0;
}

/* Answer ARP for any address but the target's own, and ICMP echo sent
 * to any such address: the target sees a working link. */
static void answer(struct vif *v, const uint8_t *f, size_t len)
{
	uint8_t r[1514];

	if (len >= 42 && get16(f + 12) == ETH_ARP && get16(f + 20) == 1 &&
	    memcmp(f + 28, f + 38, 4) != 0) {
		memcpy(v->fe_ip, f + 28, 4);
		memcpy(v->peer_ip, f + 38, 4);
		v->fe_ip_known = v->peer_ip_known = true;
		memset(r, 0, 60);
		memcpy(r, f + 6, 6);
		memcpy(r + 6, v->mac, 6);
		put16(r + 12, ETH_ARP);
		memcpy(r + 14, f + 14, 6); /* htype, ptype, hlen, plen */
		put16(r + 20, 2);
		memcpy(r + 22, v->mac, 6);
		memcpy(r + 28, f + 38, 4);
		memcpy(r + 32, f + 22, 10); /* the asker's MAC and address */
		vif_deliver(v, r, 60);
		return;
	}
	if (len < 34 || get16(f + 12) != ETH_IPV4 || (f[14] & 0xf) != 5)
		return;
	memcpy(v->fe_ip, f + 26, 4);
	v->fe_ip_known = true;
	uint16_t iplen = get16(f + 16);
	if (f[23] != 1 || iplen < 28 || 14u + iplen > len || len > sizeof(r) || f[34] != 8)
		return;
	memcpy(r, f + 6, 6);
	memcpy(r + 6, v->mac, 6);
	memcpy(r + 12, f + 12, len - 12);
	memcpy(r + 26, f + 30, 4); /* swapped addresses keep the IP checksum */
	memcpy(r + 30, f + 26, 4);
	r[34] = 0;
	r[36] = r[37] = 0;
	put16(r + 36, csum(r + 34, iplen - 20u));
	vif_deliver(v, r, 14u + iplen);
}

/* Record a TX id posted; a second posting while the first is still in
 * flight is the harm MSA00 is about. */
static void tx_posted(struct vif *v, uint16_t id)
{
	if (id >= VIF_IDS)
		return;
	if (v->tx_live[id] && !v->dup[0])
		snprintf(v->dup, sizeof(v->dup), "TX id %u posted again while in flight", id);
	v->tx_live[id] = 1;
}

int vif_poll(struct vif *v)
{
	uint32_t prod = nh_tx_req_prod(&v->h), rprod = nh_rx_req_prod(&v->h);
	unsigned rx0 = v->rx_delivered, tx0 = v->tx_served;
	int n = 0;

	/* RX ids posted (each read before any response can overwrite it:
	 * rx_seen runs ahead of our response producer). */
	while (rprod - v->rx_seen <= VIF_IDS && v->rx_seen != rprod) {
		struct netif_rx_request q = nh_rx_req(&v->h, v->rx_seen++);
		if (q.id < VIF_IDS) {
			if (v->rx_live[q.id] && !v->dup[0])
				snprintf(v->dup, sizeof(v->dup),
				         "RX id %u posted again while in flight", q.id);
			v->rx_live[q.id] = 1;
		}
		v->rx_reqs++;
		n++;
	}
	while (prod - v->txc <= VIF_IDS && v->txc != prod) {
		struct netif_tx_request q = nh_tx_req(&v->h, v->txc++);
		uint8_t f[UMX_PAGE_SIZE];
		size_t len = 0;

		n++;
		v->tx_reqs++;
		if (v->tx_extra) { /* an extra-info slot, no id: NULL, as netback */
			struct netif_extra_info e;
			memcpy(&e, &q, sizeof(e));
			v->tx_extra = e.flags & XEN_NETIF_EXTRA_FLAG_MORE;
			if (!v->hold)
				nh_tx_rsp(&v->h, 0, NETIF_RSP_NULL);
			continue;
		}
		v->tx_extra = q.flags & NETTXF_extra_info;
		tx_posted(v, q.id);
		if (q.offset < UMX_PAGE_SIZE) {
			umx_plat_mapped *m;
			const uint8_t *pg = nh_map_one(&v->h, q.gref, true, &m);
			len = q.size < UMX_PAGE_SIZE - q.offset ? q.size : UMX_PAGE_SIZE - q.offset;
			if (pg) {
				memcpy(f, pg + q.offset, len);
				umx_plat_unmap(v->h.p, m); /* before the response ends its grant */
			} else {
				len = 0;
			}
		}
		if (len >= 14 && !(f[6] & 1)) {
			memcpy(v->fe_mac, f + 6, 6);
			v->fe_mac_known = true;
		}
		if (v->marker && len && memmem(f, len, v->marker, strlen(v->marker)))
			v->marker_seen++;
		if (v->hold)
			continue;
		nh_tx_rsp(&v->h, q.id, NETIF_RSP_OKAY);
		vif_tx_done(v, q.id);
		v->tx_served++;
		if (!(q.flags & NETTXF_more_data) && len == q.size)
			answer(v, f, len);
	}
	if (v->tx_served != tx0 || v->rx_delivered != rx0)
		nh_notify(&v->h);
	return n;
}

int vif_until_working(struct vif *v, unsigned tx_min, long ms)
{
	long t0 = attack_now_ms(), end = t0 + ms;

	for (unsigned i = 0; attack_now_ms() < end; i++) {
		vif_poll(v);
		/* Working: RX buffers posted and TX traffic seen, or a settling
		 * second passed without it (a quiet target that has finished
		 * its side of the handshake: it posts RX before Connected). */
		if (v->rx_seen - v->h.rxp >= 2 &&
		    (v->tx_reqs >= tx_min || attack_now_ms() - t0 >= VIF_SETTLE_MS))
			return 0;
		if (i % 20 == 19) { /* the store is shared: ask every 100 ms */
			int st = vif_fe_state(v);
			if (st < 0 || st >= 5)
				return -ENODEV;
		}
		usleep(5000);
	}
	return -ETIMEDOUT;
}

size_t vif_marker_frame(struct vif *v, uint8_t *f, size_t cap, const char *marker)
{
	size_t mlen = strlen(marker), len;

	if (cap < 60 || 42 + mlen > cap)
		return 0;
	memset(f, 0, 60);
	if (v->fe_mac_known)
		memcpy(f, v->fe_mac, 6);
	else
		memset(f, 0xff, 6);
	memcpy(f + 6, v->mac, 6);
	if (!v->fe_ip_known) {
		put16(f + 12, ETH_UMX);
		/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): frame bytes */
		memcpy(f + 14, marker, mlen);
		return 14 + mlen < 60 ? 60 : 14 + mlen;
	}
	/* ICMP echo request from the address the target asked for (or its
	 * neighbour's), so that a Linux target answers it: one answer per
	 * delivery. */
	len = 42 + mlen;
	put16(f + 12, ETH_IPV4);
	f[14] = 0x45;
	put16(f + 16, (uint16_t)(len - 14));
	f[22] = 64;
	f[23] = 1;
	if (v->peer_ip_known)
		memcpy(f + 26, v->peer_ip, 4);
	else
		memcpy(f + 26,
		       (uint8_t[]){v->fe_ip[0], v->fe_ip[1], v->fe_ip[2],
		                   (uint8_t)(v->fe_ip[3] ^ 1)},
		       4);
	memcpy(f + 30, v->fe_ip, 4);
	put16(f + 24, csum(f + 14, 20));
	f[34] = 8;
	put16(f + 38, 0x554d); /* "UM" */
	put16(f + 40, 1);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): frame bytes */
	memcpy(f + 42, marker, mlen);
	put16(f + 36, csum(f + 34, len - 34));
	return len < 60 ? 60 : len;
}
