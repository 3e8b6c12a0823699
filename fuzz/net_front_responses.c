/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: netfront's response handling (TX completions, RX
 * frames) on fuzzer-controlled rings and RX pages.
 *
 * Input: [frames:1][ntx:1][ntx TX responses of 4 bytes][nrx:1]
 *        [nrx RX responses of 8 bytes][prod flags:1][RX page bytes...]
 * The frontend first sends (frames % 8) frames of mixed sizes and posts a
 * full RX ring. Invariants: TX ids in flight never exceed what was sent and
 * never go "negative"; a frame delivered is 14..cap bytes, a GSO one
 * consistent with its headers (the frontend takes every offload, so RX
 * extra info is parsed); once broken,
 * every call says -EPROTO. ASan sees any read past a pool page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/net/net_priv.h"
#include "umx/log.h"
#include "fuzz_input.h"

static void get_bytes(struct in *in, void *out, size_t n)
{
	size_t k = n < in->n ? n : in->n;
	memset(out, 0, n);
	memcpy(out, in->p, k);
	in->p += k;
	in->n -= k;
}

static uint8_t *tx_pool, *rx_pool;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[3 * UMX_PAGE_SIZE];
	struct in in = {data, size};
	uint8_t *tx = malloc(UMX_PAGE_SIZE), *rx = malloc(UMX_PAGE_SIZE), *buf;
	struct umx_net_stats st;
	umx_netfront *nf;
	uint32_t nframes, ntx, nrx, flags, slots = 0;
	size_t cap;

	if (!tx_pool) {
		umx_log_set_level((enum umx_log_level)0);
		tx_pool = malloc((size_t)NET_TX_IDS * UMX_PAGE_SIZE);
		rx_pool = malloc((size_t)NET_RX_IDS * UMX_PAGE_SIZE);
		memset(frame, 0xab, sizeof(frame));
	}
	if (!tx || !rx)
		abort();
	memset(tx, 0, UMX_PAGE_SIZE);
	memset(rx, 0, UMX_PAGE_SIZE);
	memset(rx_pool, 0, (size_t)NET_RX_IDS * UMX_PAGE_SIZE);
	CHECK(netfront_detached_new(tx, rx, tx_pool, rx_pool, &nf) == 0);

	nframes = get(&in, 1) % 8;
	for (uint32_t i = 0; i < nframes; i++) {
		size_t len = i % 3 == 2 ? 2 * UMX_PAGE_SIZE + 100 : 60 + i * 100;
		CHECK(umx_netfront_send(nf, frame, len) == 0);
		slots += (uint32_t)((len + UMX_PAGE_SIZE - 1) / UMX_PAGE_SIZE);
	}
	ntx = get(&in, 1);
	for (uint32_t i = 0; i < ntx; i++)
		get_bytes(&in, tx + 64 + (i % NET_RING_SZ) * 12, 4);
	nrx = get(&in, 1);
	for (uint32_t i = 0; i < nrx; i++)
		get_bytes(&in, rx + 64 + (i % NET_RING_SZ) * 8, 8);
	flags = get(&in, 1);
	/* Honest producer indices unless asked otherwise. */
	uint32_t tprod = flags & 1 ? ntx + 300 : ntx, rprod = flags & 2 ? nrx + 300 : nrx;
	memcpy(tx + 8, &tprod, 4);
	memcpy(rx + 8, &rprod, 4);
	/* The RX pages hold whatever the backend wrote. */
	for (unsigned pg = 0; pg < 4 && in.n; pg++)
		get_bytes(&in, rx_pool + (size_t)pg * UMX_PAGE_SIZE,
		          in.n < UMX_PAGE_SIZE ? in.n : UMX_PAGE_SIZE);

	int r = netfront_reap_tx(nf);
	umx_netfront_stats(nf, &st);
	CHECK(st.tx_inflight <= slots);
	cap = (flags & 4) ? 100 : UMX_NET_FRAME_MAX;
	buf = malloc(cap);
	for (int i = 0; i < 300; i++) {
		struct umx_net_meta m;
		/* Odd rounds take offloads (GSO extra info, partial checksums):
		 * a GSO frame passed up always matches its headers. */
		r = (i & 1) ? umx_netfront_recv_meta(nf, buf, cap, &m)
		            : umx_netfront_recv(nf, buf, cap);
		if (r > 0)
			CHECK(r >= (int)UMX_NET_ETH_HLEN && (size_t)r <= cap);
		if (r > 0 && (i & 1) && m.gso_size)
			CHECK(net_gso_check(buf, (size_t)r, &m) == NULL);
		else if (r <= 0 && r != -EMSGSIZE)
			break;
	}
	if (umx_netfront_broken(nf)) {
		CHECK(umx_netfront_send(nf, frame, 60) == -EPROTO);
		CHECK(umx_netfront_recv(nf, buf, cap) == -EPROTO);
	}
	umx_netfront_stats(nf, &st);
	CHECK(st.tx_inflight <= slots && st.rx_posted <= NET_RX_IDS);
	free(buf);
	umx_netfront_close(nf);
	free(tx);
	free(rx);
	return 0;
}
