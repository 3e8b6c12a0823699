/* SPDX-License-Identifier: MIT */
/* The switch's software GSO (csum.c), what a port that did not negotiate
 * GSO gets: a 64 KiB TCPv4 or TCPv6 GSO frame becomes segments of exactly
 * gso_size payload bytes (the last one the rest), each with its IP length,
 * IPv4 id and header checksum, TCP sequence number and checksum right,
 * FIN/PSH only on the last and CWR only on the first; together their
 * payloads are the frame's. And net_gso_check() refuses every lie a
 * frontend can tell in its extra info. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "../../devices/net/net_priv.h"

static uint16_t sum(const uint8_t *p, size_t len, uint32_t acc)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* A GSO frame: Ethernet, IPv4 or IPv6, TCP (FIN|PSH|CWR|ACK), @payload
 * bytes; the checksum field holds garbage (a partial sum). */
static size_t gso_frame(uint8_t *f, bool v6, size_t payload)
{
	size_t l3 = 14, l4 = v6 ? 54 : 34, len = l4 + 20 + payload;

	memset(f, 0, len);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		f[l3] = 0x60;
		f[l3 + 4] = (uint8_t)((20 + payload) >> 8);
		f[l3 + 5] = (uint8_t)(20 + payload);
		f[l3 + 6] = 6;
		f[l3 + 7] = 64;
		f[l3 + 8] = 0xfd;
		f[l3 + 23] = 1;
		f[l3 + 24] = 0xfd;
		f[l3 + 39] = 2;
	} else {
		f[l3] = 0x45;
		f[l3 + 2] = (uint8_t)((40 + payload) >> 8);
		f[l3 + 3] = (uint8_t)(40 + payload);
		f[l3 + 4] = 0x12; /* id 0x1234 */
		f[l3 + 5] = 0x34;
		f[l3 + 8] = 64;
		f[l3 + 9] = 6;
		memcpy(f + l3 + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	}
	memcpy(f + l4 + 4, "\xff\xff\xf0\x00", 4); /* seq wraps during the frame */
	f[l4 + 12] = 0x50;
	f[l4 + 13] = 0x80 | 0x10 | 0x08 | 0x01; /* CWR ACK PSH FIN */
	f[l4 + 16] = 0xab;
	for (size_t i = 0; i < payload; i++)
		f[l4 + 20 + i] = (uint8_t)(i * 13 + 7);
	return len;
}

struct segs {
	bool v6;
	unsigned n;
	size_t mss, total, payload;
	uint8_t data[UMX_NET_FRAME_MAX];
	const uint8_t *orig;
	int bad;
};

static void seg_check(void *ctx, uint8_t *s, size_t len)
{
	struct segs *c = ctx;
	size_t l4 = c->v6 ? 54 : 34, chunk = len - l4 - 20;
	bool last = c->total + chunk == c->payload;
	uint32_t acc;

	if (chunk != (last ? c->payload - c->total : c->mss))
		c->bad |= 1;
	if (c->v6) {
		if (get16(s + 18) != 20 + chunk)
			c->bad |= 2;
		acc = sum(s + 22, 32, 0);
	} else {
		if (get16(s + 16) != 40 + chunk || get16(s + 18) != (uint16_t)(0x1234 + c->n) ||
		    sum(s + 14, 20, 0) != 0xffff)
			c->bad |= 4;
		acc = sum(s + 26, 8, 0);
	}
	if (sum(s + l4, len - l4, acc + 6 + (uint32_t)(len - l4)) != 0xffff)
		c->bad |= 8;
	if (get32(s + l4 + 4) != (uint32_t)(0xfffff000u + c->total))
		c->bad |= 16;
	if ((s[l4 + 13] & 0x09) != (last ? 0x09 : 0) || (s[l4 + 13] & 0x80) != (c->n ? 0 : 0x80) ||
	    !(s[l4 + 13] & 0x10))
		c->bad |= 32;
	memcpy(c->data + c->total, s + l4 + 20, chunk);
	c->total += chunk;
	c->n++;
}

static void segments(bool v6, size_t payload, uint16_t mss)
{
	static uint8_t f[UMX_NET_FRAME_MAX];
	static struct segs c;
	struct umx_net_meta m = {.flags = UMX_NET_F_CSUM_BLANK,
	                         .gso_size = mss,
	                         .gso_type = v6 ? UMX_NET_GSO_TCPV6 : UMX_NET_GSO_TCPV4};
	size_t len = gso_frame(f, v6, payload);

	memset(&c, 0, sizeof(c));
	c.v6 = v6;
	c.mss = mss;
	c.payload = payload;
	assert_null(net_gso_check(f, len, &m));
	assert_int_equal(net_gso_segment(f, len, &m, seg_check, &c), (payload + mss - 1) / mss);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.total, payload);
	assert_memory_equal(c.data, f + len - payload, payload);
}

static void tcpv4_64k_in_mss_segments(void **state)
{
	(void)state;
	segments(false, 65535 - 54, 1448);
	segments(false, 3000, 1000); /* exact multiple */
	segments(false, 100, 1448);  /* one segment */
}

static void tcpv6_64k_in_mss_segments(void **state)
{
	(void)state;
	segments(true, 65535 - 74, 1428);
	segments(true, 9001, UMX_NET_GSO_MIN_SIZE);
}

static void lies_are_refused(void **state)
{
	static uint8_t f[4096];
	struct umx_net_meta m = {
	        .flags = UMX_NET_F_CSUM_BLANK, .gso_size = 500, .gso_type = UMX_NET_GSO_TCPV4};
	size_t len = gso_frame(f, false, 2000);
	(void)state;

	assert_null(net_gso_check(f, len, &m));
	m.gso_size = UMX_NET_GSO_MIN_SIZE - 1;
	assert_non_null(net_gso_check(f, len, &m));
	m.gso_size = 500;
	m.gso_type = 3;
	assert_non_null(net_gso_check(f, len, &m));
	m.gso_type = UMX_NET_GSO_TCPV6;
	assert_non_null(net_gso_check(f, len, &m));
	m.gso_type = UMX_NET_GSO_TCPV4;
	m.flags = 0;
	assert_non_null(net_gso_check(f, len, &m));
	m.flags = UMX_NET_F_CSUM_BLANK;
	assert_non_null(net_gso_check(f, len - 1, &m)); /* IP length past the frame */
	assert_non_null(net_gso_check(f, len + 1, &m)); /* frame longer than IP says */
	f[34 + 12] = 0xf0;                              /* TCP header of 60: fine */
	assert_null(net_gso_check(f, len, &m));
	f[34 + 12] = 0x40; /* 16: below TCP's minimum */
	assert_non_null(net_gso_check(f, len, &m));
	f[34 + 12] = 0x50;
	f[23] = 17; /* UDP */
	assert_non_null(net_gso_check(f, len, &m));
	f[23] = 6;
	len = gso_frame(f, false, 0); /* no payload */
	assert_non_null(net_gso_check(f, len, &m));
	assert_int_equal(net_gso_segment(f, len, &m, seg_check, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(tcpv4_64k_in_mss_segments),
	        cmocka_unit_test(tcpv6_64k_in_mss_segments),
	        cmocka_unit_test(lies_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
