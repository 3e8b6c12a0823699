/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: blkfront's response handling on a fuzzer-controlled
 * ring, after real requests were submitted.
 *
 * Input: [flags:1 (bit 0: indirect)][nsub:1][nsub x (op:1, pages:1)]
 *        [nrsp:1][prod override:4][nrsp responses of 16 bytes]
 * The pool is heap memory of exactly the pages the frontend owns, so ASan
 * catches any copy past it. Invariants: every completion names a request
 * that was submitted, once; never more completions than submissions; once
 * broken, submit returns -EPROTO and nothing more completes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/blk/blk_priv.h"
#include "umx/log.h"
#include "fuzz_input.h"

#define SLOT 112u
#define MAXQ BLK_DETACHED_IDS

static uint8_t *pool;
static uint8_t bufs[MAXQ][UMX_BLK_FRONT_INDIRECT_SEGS * UMX_PAGE_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	uint8_t *ring = malloc(UMX_PAGE_SIZE);
	struct umx_blk_done done[MAXQ * 2];
	bool seen[MAXQ] = {false};
	umx_blkfront *bf;
	uint32_t flags, nsub, nrsp, prod, ok = 0;
	int n;

	if (!pool) {
		umx_log_set_level((enum umx_log_level)0);
		pool = malloc((size_t)BLK_DETACHED_IDS * (UMX_BLK_FRONT_INDIRECT_SEGS + 1) *
		              UMX_PAGE_SIZE);
		CHECK(pool != NULL);
	}
	CHECK(ring != NULL);
	flags = get(&in, 1);
	CHECK(blkfront_detached_new(ring, pool, flags & 1, &bf) == 0);
	nsub = get(&in, 1) % (MAXQ + 1);
	for (uint32_t i = 0; i < nsub; i++) {
		static const enum umx_blk_op ops[4] = {UMX_BLK_READ, UMX_BLK_WRITE, UMX_BLK_FLUSH,
		                                       UMX_BLK_DISCARD};
		struct umx_blk_info info;
		enum umx_blk_op op = ops[get(&in, 1) % 4];
		uint32_t pages;

		umx_blkfront_info(bf, &info);
		pages = 1 + get(&in, 1) % info.max_segs;
		struct umx_blk_req rq = {.op = op,
		                         .sector = (uint64_t)i * 256,
		                         .buf = bufs[i],
		                         .len = op == UMX_BLK_FLUSH ? 0 : pages * UMX_PAGE_SIZE,
		                         .cookie = i};
		if (umx_blkfront_submit(bf, &rq) == 0)
			ok |= 1u << i;
	}
	nrsp = get(&in, 1) % (MAXQ + 1);
	prod = get(&in, 4);
	for (uint32_t i = 0; i < nrsp; i++) {
		uint8_t *slot = ring + 64 + (i % MAXQ) * SLOT;
		size_t k = in.n < 16 ? in.n : 16;
		memset(slot, 0, 16);
		memcpy(slot, in.p, k);
		in.p += k;
		in.n -= k;
	}
	/* Mostly an honest producer index; sometimes a wild one. */
	if (!(prod & 0x80000000u))
		prod = nrsp;
	memcpy(ring + 8, &prod, 4);

	n = umx_blkfront_reap(bf, done, MAXQ * 2);
	if (n > 0) {
		CHECK((uint32_t)n <= nsub);
		for (int i = 0; i < n; i++) {
			CHECK(done[i].cookie < nsub && (ok & (1u << done[i].cookie)));
			CHECK(!seen[done[i].cookie]);
			seen[done[i].cookie] = true;
			CHECK(done[i].status == 0 || done[i].status == -EIO ||
			      done[i].status == -EOPNOTSUPP);
		}
	}
	if (umx_blkfront_broken(bf)) {
		struct umx_blk_req rq = {.op = UMX_BLK_READ, .buf = bufs[0], .len = 512};
		CHECK(umx_blkfront_submit(bf, &rq) == -EPROTO);
		CHECK(umx_blkfront_reap(bf, done, MAXQ * 2) == -EPROTO);
	}
	blkfront_detached_free(bf);
	free(ring);
	return 0;
}
