/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: netback's request handling (TX chains and RX delivery)
 * on fuzzer-controlled rings.
 *
 * Input: [ntx:1][prod override:4][ntx TX requests of 12 bytes]
 *        [nrx:1][nrx RX requests of 8 bytes][frame length:2]
 * Grant refs 0..3 name heap pages of exactly 4096 bytes (others fail to
 * map), so ASan catches any read or write past a page. Invariants: frames
 * handed to the switch are 14..65535 bytes; the backend never answers more
 * requests than the frontend produced; broken is sticky.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/net/net_priv.h"
#include "umx/log.h"
#include "fuzz_input.h"

#define NPAGES 4u

static uint8_t *pages[NPAGES];
static volatile uint32_t sink_sum;

static void *page(void *ctx, uint32_t gref, bool writable)
{
	(void)ctx;
	(void)writable;
	return gref < NPAGES ? pages[gref] : NULL;
}

static void sink(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	CHECK(len >= UMX_NET_ETH_HLEN && len <= UMX_NET_FRAME_MAX);
	for (size_t i = 0; i < len; i++)
		sink_sum += frame[i];
}

static void get_bytes(struct in *in, void *out, size_t n)
{
	size_t k = n < in->n ? n : in->n;
	memset(out, 0, n);
	memcpy(out, in->p, k);
	in->p += k;
	in->n -= k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	uint8_t *tx = malloc(UMX_PAGE_SIZE), *rx = malloc(UMX_PAGE_SIZE);
	struct nb_vif *v;
	uint32_t ntx, nrx, prod, len;
	const char *broken;

	if (!pages[0]) {
		umx_log_set_level((enum umx_log_level)0);
		for (unsigned i = 0; i < NPAGES; i++) {
			pages[i] = malloc(UMX_PAGE_SIZE);
			memset(pages[i], (int)(0x40 + i), UMX_PAGE_SIZE);
		}
	}
	if (!tx || !rx)
		abort();
	memset(tx, 0, UMX_PAGE_SIZE);
	memset(rx, 0, UMX_PAGE_SIZE);
	ntx = get(&in, 1);
	prod = get(&in, 4);
	for (uint32_t i = 0; i < ntx; i++)
		get_bytes(&in, tx + 64 + (i % NET_RING_SZ) * 12, 12);
	/* Mostly an honest producer index; sometimes a wild one. */
	if (!(prod & 0x80000000u))
		prod = ntx;
	memcpy(tx, &prod, 4);
	nrx = get(&in, 1);
	for (uint32_t i = 0; i < nrx; i++)
		get_bytes(&in, rx + 64 + i * 8, 8);
	memcpy(rx, &nrx, 4);
	len = get(&in, 2);

	CHECK(netback_detached_new(tx, rx, page, sink, NULL, &v) == 0);
	for (int round = 0; round < 8; round++) {
		int r = netback_detached_tx(v, UMX_NET_BUDGET);
		if (r <= 0)
			break;
	}
	broken = netback_detached_broken(v);
	if (!broken) {
		uint32_t rsp_prod;
		memcpy(&rsp_prod, tx + 8, 4);
		CHECK(rsp_prod <= prod);
	}
	if (len && len <= NPAGES * UMX_PAGE_SIZE) {
		uint8_t *frame = malloc(len);
		memset(frame, 0x5a, len);
		int r = netback_detached_rx(v, frame, len);
		CHECK(r == 0 || r == -EAGAIN || r == -EPROTO);
		free(frame);
	}
	if (broken)
		CHECK(netback_detached_tx(v, 1) == -EPROTO);
	netback_detached_free(v);
	free(tx);
	free(rx);
	return 0;
}
