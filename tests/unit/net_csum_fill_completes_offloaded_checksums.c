/* SPDX-License-Identifier: MIT */
/* A frame whose TCP/UDP checksum a frontend left blank (NETTXF_csum_blank,
 * as Linux's netfront sends) is completed to a valid checksum for IPv4,
 * IPv6 and VLAN-tagged frames; hostile lengths are refused without
 * touching anything outside the frame. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "../../devices/net/net_priv.h"

static uint16_t ip_sum(const uint8_t *p, size_t len, uint32_t acc)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Ethernet + IPv4 + TCP with @payload bytes, checksum field garbage. */
static size_t tcp4(uint8_t *f, size_t payload)
{
	size_t tot = 20 + 20 + payload;
	memset(f, 0, 14 + tot);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)(tot >> 8);
	f[17] = (uint8_t)tot;
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, "\x0a\x09\x00\x01\x0a\x09\x00\x02", 8);
	f[14 + 20 + 12] = 0x50;
	f[14 + 20 + 16] = 0x12; /* the partial sum Linux leaves: anything */
	f[14 + 20 + 17] = 0x34;
	for (size_t i = 0; i < payload; i++)
		f[14 + 40 + i] = (uint8_t)(i * 7 + 3);
	return 14 + tot;
}

static int tcp4_valid(const uint8_t *f, size_t len)
{
	size_t l4len = len - 34;
	uint32_t acc = ip_sum(f + 26, 8, 0) + 6 + (uint32_t)l4len;
	return ip_sum(f + 34, l4len, acc) == 0xffff;
}

static void test_ipv4_tcp_even_and_odd(void **state)
{
	uint8_t f[2048];
	(void)state;
	for (size_t payload = 0; payload < 1460; payload += 181) {
		size_t len = tcp4(f, payload);
		assert_false(tcp4_valid(f, len));
		assert_int_equal(net_csum_fill(f, len), 0);
		assert_true(tcp4_valid(f, len));
	}
}

static void test_vlan_and_udp_and_ipv6(void **state)
{
	uint8_t f[2048], g[2048];
	size_t len = tcp4(f, 100);
	uint32_t acc;
	(void)state;

	/* VLAN tag inserted after the MACs. */
	memcpy(g, f, 12);
	g[12] = 0x81;
	g[13] = 0x00;
	g[14] = 0x00;
	g[15] = 0x05;
	memcpy(g + 16, f + 12, len - 12);
	assert_int_equal(net_csum_fill(g, len + 4), 0);
	memmove(g + 12, g + 16, len - 12);
	assert_true(tcp4_valid(g, len));

	/* UDP over IPv6: the checksum covers the 40-byte-address pseudo header. */
	memset(f, 0, sizeof(f));
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 8 + 11; /* payload length */
	f[20] = 17;
	f[21] = 64;
	for (int i = 0; i < 32; i++)
		f[22 + i] = (uint8_t)(i + 1);
	f[54 + 5] = 8 + 11;
	memcpy(f + 62, "hello world", 11);
	assert_int_equal(net_csum_fill(f, 14 + 40 + 19), 0);
	acc = ip_sum(f + 22, 32, 0) + 17 + 19;
	assert_int_equal(ip_sum(f + 54, 19, acc), 0xffff);
}

static void test_hostile_lengths_refused(void **state)
{
	uint8_t f[256 + 64];
	size_t len;
	(void)state;

	/* Guard bytes after the frame must never change. */
	len = tcp4(f, 10);
	memset(f + len, 0xa5, 64);
	f[16] = 0xff; /* IPv4 total length beyond the frame */
	assert_int_equal(net_csum_fill(f, len), -EINVAL);
	len = tcp4(f, 10);
	f[14] = 0x4f; /* IHL 60 bytes: past the end */
	assert_int_equal(net_csum_fill(f, len), -EINVAL);
	len = tcp4(f, 0);
	assert_int_equal(net_csum_fill(f, 14 + 20 + 10), -EINVAL); /* TCP header cut */
	len = tcp4(f, 10);
	f[23] = 1; /* ICMP: not ours to touch */
	assert_int_equal(net_csum_fill(f, len), -EINVAL);
	len = tcp4(f, 10);
	f[20] = 0x20; /* a fragment */
	assert_int_equal(net_csum_fill(f, len), -EINVAL);
	assert_int_equal(net_csum_fill(f, 10), -EINVAL);
	for (int i = 0; i < 64; i++)
		assert_int_equal(f[len + (size_t)i], 0xa5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ipv4_tcp_even_and_odd),
	        cmocka_unit_test(test_vlan_and_udp_and_ipv6),
	        cmocka_unit_test(test_hostile_lengths_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
