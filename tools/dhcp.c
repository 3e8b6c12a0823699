/* SPDX-License-Identifier: MIT */
/*
 * The wire half of umx run --net's DHCP client (dhcp.h). Replies come from
 * whatever is on the switch: every length is checked against what was
 * received before it is used, offsets never leave the frame, and a reply
 * that is not exactly what the client asked for is ignored.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "dhcp.h"

#define ETH_HLEN   14u
#define IP_HLEN    20u
#define UDP_HLEN   8u
#define BOOTP_HLEN 236u /* up to the magic cookie */
#define COOKIE     0x63825363u

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t dhcp_build(uint8_t *buf, int type, const uint8_t mac[6], uint32_t xid,
                  const struct dhcp_lease *l)
{
	uint8_t *ip = buf + ETH_HLEN, *udp = ip + IP_HLEN, *b = udp + UDP_HLEN, *o;
	size_t blen, len;

	memset(buf, 0, DHCP_FRAME_MAX);
	memset(buf, 0xff, 6);
	memcpy(buf + 6, mac, 6);
	put16(buf + 12, 0x0800);
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	put32(b + 4, xid);
	put16(b + 10, 0x8000); /* broadcast: we have no address to answer to */
	memcpy(b + 28, mac, 6);
	put32(b + BOOTP_HLEN, COOKIE);
	o = b + BOOTP_HLEN + 4;
	*o++ = 53;
	*o++ = 1;
	*o++ = (uint8_t)type;
	*o++ = 61; /* client identifier: the MAC, as most clients send */
	*o++ = 7;
	*o++ = 1;
	memcpy(o, mac, 6);
	o += 6;
	if (type == DHCP_REQUEST && l) {
		*o++ = 50;
		*o++ = 4;
		memcpy(o, l->addr, 4);
		o += 4;
		*o++ = 54;
		*o++ = 4;
		memcpy(o, l->server, 4);
		o += 4;
	}
	*o++ = 55; /* what we use: mask, router, DNS, lease time, server */
	*o++ = 5;
	*o++ = 1;
	*o++ = 3;
	*o++ = 6;
	*o++ = 51;
	*o++ = 54;
	*o++ = 255;
	blen = (size_t)(o - b);
	if (blen < 300 - UDP_HLEN - IP_HLEN) /* BOOTP's minimum message */
		blen = 300 - UDP_HLEN - IP_HLEN;
	len = IP_HLEN + UDP_HLEN + blen;
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)len);
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4); /* from 0.0.0.0 to 255.255.255.255 */
	put16(ip + 10, ip_csum(ip, IP_HLEN));
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, (unsigned)(UDP_HLEN + blen));
	/* UDP checksum 0: none, as IPv4 allows. */
	return ETH_HLEN + len;
}

static int mask_prefix(const uint8_t *m)
{
	uint32_t v = get32(m);
	int n = 0;
	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	/* Contiguous, and leaves room for hosts. */
	if (n < 1 || n > 30 || (n < 32 && (v << n) != 0))
		return -EINVAL;
	return n;
}

int dhcp_parse(const uint8_t *f, size_t len, const uint8_t mac[6], uint32_t xid,
               struct dhcp_lease *l)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t *ip, *udp, *b;
	size_t ihl, tot, ulen, blen, i;
	int type = -1, prefix = -1;
	struct dhcp_lease n = {0};
	bool have_server = false;

	if (len < ETH_HLEN + IP_HLEN + UDP_HLEN + BOOTP_HLEN + 4 || get16(f + 12) != 0x0800 ||
	    (memcmp(f, mac, 6) != 0 && memcmp(f, bcast, 6) != 0))
		return -EINVAL;
	ip = f + ETH_HLEN;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = get16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < IP_HLEN || tot < ihl + UDP_HLEN || tot > len - ETH_HLEN ||
	    ip[9] != 17 || (get16(ip + 6) & 0x3fff)) /* a fragment */
		return -EINVAL;
	udp = ip + ihl;
	ulen = get16(udp + 4);
	if (get16(udp) != 67 || get16(udp + 2) != 68 || ulen < UDP_HLEN || ulen > tot - ihl)
		return -EINVAL;
	b = udp + UDP_HLEN;
	blen = ulen - UDP_HLEN;
	if (blen < BOOTP_HLEN + 4 || b[0] != 2 || b[1] != 1 || b[2] != 6 || get32(b + 4) != xid ||
	    memcmp(b + 28, mac, 6) != 0 || get32(b + BOOTP_HLEN) != COOKIE)
		return -EINVAL;
	memcpy(n.addr, b + 16, 4);
	for (i = BOOTP_HLEN + 4; i < blen;) {
		uint8_t code = b[i], olen;
		const uint8_t *v;

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255)
			break;
		if (i + 2 > blen || i + 2 + b[i + 1] > blen)
			return -EINVAL;
		olen = b[i + 1];
		v = b + i + 2;
		switch (code) {
		case 53:
			if (olen != 1)
				return -EINVAL;
			type = v[0];
			break;
		case 1:
			if (olen != 4 || (prefix = mask_prefix(v)) < 0)
				return -EINVAL;
			break;
		case 3:
			if (olen < 4 || olen % 4)
				return -EINVAL;
			memcpy(n.router, v, 4);
			break;
		case 6:
			if (olen < 4 || olen % 4)
				return -EINVAL;
			memcpy(n.dns, v, 4);
			break;
		case 51:
			if (olen != 4)
				return -EINVAL;
			n.lease_s = get32(v);
			break;
		case 54:
			if (olen != 4)
				return -EINVAL;
			memcpy(n.server, v, 4);
			have_server = true;
			break;
		default: /* options we did not ask for are skipped */
			break;
		}
		i += 2u + olen;
	}
	if (type == DHCP_NAK)
		return have_server ? DHCP_NAK : -EINVAL;
	if (type != DHCP_OFFER && type != DHCP_ACK)
		return -EINVAL;
	/* An address we can use: not 0/8, loopback, multicast or above; a
	 * mask; the server that offered it, to ask it back. */
	if (!have_server || prefix < 0 || n.addr[0] == 0 || n.addr[0] == 127 || n.addr[0] >= 224)
		return -EINVAL;
	/* The host part is neither all zeros nor all ones. */
	{
		uint32_t host = get32(n.addr) & (0xffffffffu >> prefix);
		if (host == 0 || host == (0xffffffffu >> prefix))
			return -EINVAL;
	}
	n.prefix = (uint8_t)prefix;
	*l = n;
	return type;
}
