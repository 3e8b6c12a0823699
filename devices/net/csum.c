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
 */
#include <errno.h>
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

int net_csum_fill(uint8_t *frame, size_t len)
{
	size_t l3 = UMX_NET_ETH_HLEN, l4, l4len, off;
	uint16_t type;
	uint32_t acc = 0;
	uint8_t proto;
	uint16_t c;

	if (len < UMX_NET_ETH_HLEN)
		return -EINVAL;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	if (type == 0x8100) { /* one 802.1Q tag */
		if (len < UMX_NET_ETH_HLEN + 4)
			return -EINVAL;
		type = (uint16_t)(frame[16] << 8 | frame[17]);
		l3 += 4;
	}
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
		proto = frame[l3 + 9];
		l4 = l3 + ihl;
		l4len = tot - ihl;
		acc = sum16(frame + l3 + 12, 8, 0); /* source and destination */
	} else if (type == 0x86dd) {
		size_t plen;
		if (len < l3 + 40 || (frame[l3] >> 4) != 6)
			return -EINVAL;
		plen = (size_t)frame[l3 + 4] << 8 | frame[l3 + 5];
		proto = frame[l3 + 6]; /* no extension headers: those stay as they are */
		l4 = l3 + 40;
		l4len = plen;
		if (l4 + l4len > len)
			return -EINVAL;
		acc = sum16(frame + l3 + 8, 32, 0);
	} else {
		return -EINVAL;
	}
	if (proto == 6)
		off = 16;
	else if (proto == 17)
		off = 6;
	else
		return -EINVAL;
	if (l4len < off + 2 || l4len > 0xffff)
		return -EINVAL;
	acc += proto + (uint32_t)l4len;
	frame[l4 + off] = frame[l4 + off + 1] = 0;
	acc = sum16(frame + l4, l4len, acc);
	c = fold(acc);
	if (proto == 17 && c == 0)
		c = 0xffff; /* UDP: 0 means "no checksum" */
	frame[l4 + off] = (uint8_t)(c >> 8);
	frame[l4 + off + 1] = (uint8_t)c;
	return 0;
}
