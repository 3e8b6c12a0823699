/* SPDX-License-Identifier: MIT */
/*
 * Completing a checksum a frontend left blank (NETTXF_csum_blank).
 *
 * Linux's xen-netfront offloads TCP/UDP checksums to the backend: it sends
 * segments whose checksum field holds only the pseudo-header sum and sets
 * NETTXF_csum_blank. A switch that hands such a frame to a peer that
 * checks checksums (lwIP, Linux without the flag) must complete it first,
 * or every TCP segment is dropped while ping still works. The frame is our
 * private copy, but its contents come from the peer: every length is
 * checked against the frame before it is used.
 *
 * Also here: the checks of a GSO frame a frontend sends (its extra info
 * against its headers) and the software segmentation of one towards a port
 * that did not negotiate GSO, as Linux's tcp_gso_segment does it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net_priv.h"

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* The L3/L4 layout of @frame, every length checked against @len. */
struct l4loc {
	size_t l3, l4, l4len; /* offsets; L4 bytes the IP header covers */
	uint8_t proto;
	bool v6;
};

static int l4_locate(const uint8_t *frame, size_t len, struct l4loc *o)
{
	size_t l3 = UMX_NET_ETH_HLEN;
	uint16_t type;

	if (len < UMX_NET_ETH_HLEN)
		return -EINVAL;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	if (type == 0x8100) { /* one 802.1Q tag */
		if (len < UMX_NET_ETH_HLEN + 4)
			return -EINVAL;
		type = (uint16_t)(frame[16] << 8 | frame[17]);
		l3 += 4;
	}
	o->l3 = l3;
	if (type == 0x0800) {
		size_t ihl, tot;
		if (len < l3 + 20 || (frame[l3] >> 4) != 4)
			return -EINVAL;
		ihl = (size_t)(frame[l3] & 0xf) * 4;
		tot = (size_t)frame[l3 + 2] << 8 | frame[l3 + 3];
		if (ihl < 20 || tot < ihl || l3 + tot > len)
			return -EINVAL;
		if ((frame[l3 + 6] & 0x3f) || frame[l3 + 7]) /* a fragment */
			return -EINVAL;
		o->proto = frame[l3 + 9];
		o->l4 = l3 + ihl;
		o->l4len = tot - ihl;
		o->v6 = false;
	} else if (type == 0x86dd) {
		size_t plen;
		if (len < l3 + 40 || (frame[l3] >> 4) != 6)
			return -EINVAL;
		plen = (size_t)frame[l3 + 4] << 8 | frame[l3 + 5];
		o->proto = frame[l3 + 6]; /* no extension headers: those stay as they are */
		o->l4 = l3 + 40;
		o->l4len = plen;
		if (o->l4 + o->l4len > len)
			return -EINVAL;
		o->v6 = true;
	} else {
		return -EINVAL;
	}
	if (o->proto != 6 && o->proto != 17)
		return -EINVAL;
	if (o->l4len < (o->proto == 6 ? 20u : 8u))
		return -EINVAL;
	return 0;
}

int net_csum_fill(uint8_t *frame, size_t len)
{
	struct l4loc o;
	size_t off;
	uint32_t acc;
	uint16_t c;

	if (l4_locate(frame, len, &o) < 0)
		return -EINVAL;
	off = o.proto == 6 ? 16 : 6;
	acc = o.v6 ? sum16(frame + o.l3 + 8, 32, 0) : sum16(frame + o.l3 + 12, 8, 0);
	acc += o.proto + (uint32_t)o.l4len;
	frame[o.l4 + off] = frame[o.l4 + off + 1] = 0;
	acc = sum16(frame + o.l4, o.l4len, acc);
	c = fold(acc);
	if (o.proto == 17 && c == 0)
		c = 0xffff; /* UDP: 0 means "no checksum" */
	frame[o.l4 + off] = (uint8_t)(c >> 8);
	frame[o.l4 + off + 1] = (uint8_t)c;
	return 0;
}

int umx_net_csum_offsets(const void *frame, size_t len, unsigned *start, unsigned *offset,
                         unsigned *hdr_len)
{
	const uint8_t *f = frame;
	struct l4loc o;
	size_t h;

	if (l4_locate(f, len, &o) < 0)
		return -EINVAL;
	h = o.proto == 6 ? (size_t)(f[o.l4 + 12] >> 4) * 4 : 8;
	if (h < (o.proto == 6 ? 20u : 8u) || h > o.l4len)
		return -EINVAL;
	*start = (unsigned)o.l4;
	*offset = o.proto == 6 ? 16 : 6;
	*hdr_len = (unsigned)(o.l4 + h);
	return 0;
}

const char *net_gso_check(const uint8_t *frame, size_t len, const struct umx_net_meta *m)
{
	struct l4loc o;
	size_t th, payload;

	if (m->gso_type != UMX_NET_GSO_TCPV4 && m->gso_type != UMX_NET_GSO_TCPV6)
		return "GSO type unknown";
	if (m->gso_size < UMX_NET_GSO_MIN_SIZE)
		return "GSO size below TCP's minimum segment";
	if (!(m->flags & UMX_NET_F_CSUM_BLANK))
		return "GSO frame without checksum offload";
	if (l4_locate(frame, len, &o) < 0 || o.proto != 6)
		return "GSO frame is not TCP over IPv4/IPv6 with consistent lengths";
	if (o.v6 != (m->gso_type == UMX_NET_GSO_TCPV6))
		return "GSO type does not match the frame's IP version";
	if (o.l4 + o.l4len != len)
		return "GSO frame length differs from its IP length";
	th = (size_t)(frame[o.l4 + 12] >> 4) * 4;
	if (th < 20 || th > o.l4len)
		return "GSO frame's TCP header length is out of bounds";
	payload = o.l4len - th;
	if (payload == 0)
		return "GSO frame without payload";
	return NULL;
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int net_gso_segment(const uint8_t *frame, size_t len, const struct umx_net_meta *m,
                    void (*emit)(void *ctx, uint8_t *seg, size_t len), void *ctx)
{
	static uint8_t seg[UMX_NET_FRAME_MAX];
	struct l4loc o;
	size_t th, hdr, payload, mss = m->gso_size;
	uint32_t seq;
	uint16_t id = 0;
	unsigned n = 0;

	if (net_gso_check(frame, len, m) || l4_locate(frame, len, &o) < 0)
		return -EINVAL;
	th = (size_t)(frame[o.l4 + 12] >> 4) * 4;
	hdr = o.l4 + th;
	payload = len - hdr;
	seq = (uint32_t)frame[o.l4 + 4] << 24 | (uint32_t)frame[o.l4 + 5] << 16 |
	      (uint32_t)frame[o.l4 + 6] << 8 | frame[o.l4 + 7];
	if (!o.v6)
		id = (uint16_t)(frame[o.l3 + 4] << 8 | frame[o.l3 + 5]);
	for (size_t off = 0; off < payload; off += mss, n++) {
		size_t chunk = payload - off < mss ? payload - off : mss;
		bool last = off + chunk == payload;
		uint32_t s = seq + (uint32_t)off;

		memcpy(seg, frame, hdr);
		memcpy(seg + hdr, frame + hdr + off, chunk);
		if (o.v6) {
			put16(seg + o.l3 + 4, th + chunk);
		} else {
			uint32_t acc;
			put16(seg + o.l3 + 2, o.l4 - o.l3 + th + chunk);
			put16(seg + o.l3 + 4, (uint16_t)(id + n));
			seg[o.l3 + 10] = seg[o.l3 + 11] = 0;
			acc = sum16(seg + o.l3, o.l4 - o.l3, 0);
			put16(seg + o.l3 + 10, fold(acc));
		}
		seg[o.l4 + 4] = (uint8_t)(s >> 24);
		seg[o.l4 + 5] = (uint8_t)(s >> 16);
		seg[o.l4 + 6] = (uint8_t)(s >> 8);
		seg[o.l4 + 7] = (uint8_t)s;
		/* FIN and PSH end the whole: only the last segment keeps them;
		 * CWR only the first (as Linux's tcp_gso_segment). */
		if (!last)
			seg[o.l4 + 13] &= (uint8_t)~0x09;
		if (off)
			seg[o.l4 + 13] &= (uint8_t)~0x80;
		(void)net_csum_fill(seg, hdr + chunk);
		emit(ctx, seg, hdr + chunk);
	}
	return (int)n;
}

void net_gso_extra(const struct umx_net_meta *m, struct netif_extra_info *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->type = XEN_NETIF_EXTRA_TYPE_GSO;
	ex->u.gso.size = m->gso_size;
	ex->u.gso.type = m->gso_type;
}
