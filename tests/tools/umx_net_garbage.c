/* SPDX-License-Identifier: MIT */
/*
 * umx_net_garbage — a hostile domain for the slirp and TAP tests: sends
 * malformed Ethernet frames through its vif (broadcast and to slirp's
 * gateway MAC): random bytes, IPv4 with lying header and total lengths,
 * TCP with bad data offsets and flag soup, UDP to DHCP/DNS with lying
 * lengths, bogus ARP, truncated ICMP, IPv6 junk, minimum and maximum size
 * frames. Deterministic for a --seed. Exits 0 once all are sent.
 *
 *   umx run -- umx_net_garbage [--count N] [--seed S] [--handle H]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx/net.h"
#include "umx/platform.h"
#include "prog.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Build one malformed frame into @f; its length. */
static size_t make(uint8_t *f, const uint8_t src[6], unsigned kind)
{
	static const uint8_t gw_mac[6] = {0x52, 0x55, 10, 0, 2, 2}; /* slirp's */
	size_t len = 14 + rnd() % 1501;
	uint8_t *ip = f + 14;

	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)rnd();
	memcpy(f, (rnd() & 1) ? gw_mac : (const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 6);
	memcpy(f + 6, src, 6);
	switch (kind % 9) {
	case 0: /* random ethertype and bytes */
		break;
	case 1: /* IPv4 with lying IHL / total length / fragments */
		put16(f + 12, 0x0800);
		if (len < 34)
			len = 34;
		ip[0] = (uint8_t)(0x40 | (rnd() % 16));
		put16(ip + 2, (uint16_t)rnd());
		put16(ip + 6, (uint16_t)rnd()); /* flags + fragment offset */
		ip[9] = (uint8_t)(rnd() % 3 == 0 ? 6 : rnd() % 2 ? 17 : 1);
		memcpy(ip + 12, (const uint8_t[]){10, 0, 2, 15}, 4);
		memcpy(ip + 16, (const uint8_t[]){10, 0, 2, (uint8_t)(2 + rnd() % 2)}, 4);
		break;
	case 2: /* TCP: bad data offset, flag soup, to the host's ports */
	case 3: /* UDP to DHCP/DNS with lying lengths */
		put16(f + 12, 0x0800);
		if (len < 14 + 20 + 20)
			len = 14 + 20 + 20;
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(rnd() % 3 ? len - 14 : rnd()));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = kind % 9 == 2 ? 6 : 17;
		memcpy(ip + 12, (const uint8_t[]){10, 0, 2, 15}, 4);
		memcpy(ip + 16, (const uint8_t[]){10, 0, 2, (uint8_t)(2 + rnd() % 2)}, 4);
		if (kind % 9 == 2) {
			put16(ip + 22, (uint16_t)(rnd() % 3 ? 80 : rnd()));
			ip[32] = (uint8_t)((rnd() % 16) << 4);
			ip[33] = (uint8_t)rnd();
		} else {
			put16(ip + 22, rnd() % 2 ? 67 : 53);
			put16(ip + 24, (uint16_t)rnd()); /* UDP length */
		}
		break;
	case 4: /* ARP with bad sizes and opcodes */
		put16(f + 12, 0x0806);
		if (len < 42)
			len = 42;
		put16(ip, rnd() % 2 ? 1 : (uint16_t)rnd());
		put16(ip + 2, 0x0800);
		ip[4] = (uint8_t)(rnd() % 2 ? 6 : rnd());
		ip[5] = (uint8_t)(rnd() % 2 ? 4 : rnd());
		put16(ip + 6, (uint16_t)(rnd() % 4));
		memcpy(ip + 24, (const uint8_t[]){10, 0, 2, 2}, 4);
		break;
	case 5: /* truncated ICMP */
		put16(f + 12, 0x0800);
		len = 14 + 20 + rnd() % 8;
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + rnd() % 200));
		ip[8] = 64;
		ip[9] = 1;
		memcpy(ip + 12, (const uint8_t[]){10, 0, 2, 15}, 4);
		memcpy(ip + 16, (const uint8_t[]){10, 0, 2, 2}, 4);
		break;
	case 6: /* IPv6 junk */
		put16(f + 12, 0x86dd);
		ip[0] = 0x60;
		break;
	case 7: /* minimum frame: the header alone */
		len = 14;
		put16(f + 12, rnd() % 2 ? 0x0800 : 0x0806);
		break;
	case 8: /* over the MTU: up to a 9000-byte jumbo */
		len = 1515 + rnd() % 7500;
		for (size_t i = 14; i < len; i++)
			f[i] = (uint8_t)rnd();
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		break;
	}
	return len;
}

static int opt_seed(const char *arg, void *dst)
{
	char *end;

	errno = 0;
	*(uint64_t *)dst = strtoull(arg, &end, 0) | 1; /* xorshift: never 0 */
	return errno || end == arg || *end ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	static uint8_t f[9100];
	unsigned long count = 20000, sent = 0, full = 0;
	unsigned handle = 0;
	const struct prog_opt opts[] = {
	        PROG_OPT("count", PROG_ULONG, &count),
	        PROG_OPT_FN("seed", opt_seed, &rng),
	        PROG_OPT("handle", PROG_UINT, &handle),
	        PROG_OPT_END,
	};
	umx_plat *p = NULL;
	umx_netfront *nf = NULL;
	uint8_t mac[6];
	int r;

	if (prog_parse("umx_net_garbage", argc, argv, opts,
	               "usage: umx_net_garbage [--count N] [--seed S] [--handle H]\n") < 0)
		return 2;
	if (prog_platform_open("umx_net_garbage", &p) < 0)
		return 1;
	/* Waits for the toolstack to attach the vif, too. */
	if ((r = umx_netfront_open(p, handle, 30000, &nf)) < 0) {
		fprintf(stderr, "umx_net_garbage: vif %u: %s\n", handle, strerror(-r));
		umx_plat_close(p);
		return 1;
	}
	umx_netfront_mac(nf, mac);
	for (unsigned long i = 0; i < count; i++) {
		size_t len = make(f, mac, (unsigned)i);

		while ((r = umx_netfront_send(nf, f, len)) == -EAGAIN) {
			full++;
			umx_netfront_wait(nf, 10);
		}
		if (r == 0)
			sent++;
		/* Drain what comes back (replies, floods) so our RX ring flows. */
		for (int k = 0; k < 64; k++) {
			int n = umx_netfront_recv(nf, f, sizeof(f));

			if (n < 0 && n != -EMSGSIZE)
				break;
		}
	}
	fprintf(stderr, "umx_net_garbage: sent %lu of %lu malformed frames (ring full %lu)\n", sent,
	        count, full);
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}
