/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: blkback's request parser and its service of what it
 * accepts, on a fuzzer-controlled ring, over a 64 KiB memfd disk.
 *
 * Input: [sector size: 1 (even 512, odd 4096)][nreq:1][prod override:4]
 *        [nreq requests of 112 bytes]
 * Grant refs 0..3 name heap pages of exactly 4096 bytes (others fail to
 * map), so ASan catches any access past a page; they serve as indirect
 * pages too. Invariants: the backend
 * answers at most the requests produced, in order, each with the id and
 * operation of its request, a known status and zero padding; a sector past
 * the disk is never read or written (the file never grows); broken is sticky.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../devices/blk/blk_priv.h"
#include "umx/log.h"
#include "fuzz_input.h"

#define NPAGES     4u
#define DISK_BYTES 65536u
#define SLOT       112u
#define NSLOTS     32u

static uint8_t *pages[NPAGES];
static int disk = -1;

static void *page(void *ctx, uint32_t gref, bool writable)
{
	(void)ctx;
	(void)writable;
	return gref < NPAGES ? pages[gref] : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	uint8_t *ring = malloc(UMX_PAGE_SIZE);
	uint32_t ss, nreq, prod, rsp_prod;
	struct bb_vbd *v;
	struct stat st;

	if (disk < 0) {
		umx_log_set_level((enum umx_log_level)0);
		for (unsigned i = 0; i < NPAGES; i++) {
			pages[i] = malloc(UMX_PAGE_SIZE);
			memset(pages[i], (int)(0x40 + i), UMX_PAGE_SIZE);
		}
		disk = memfd_create("blk-fuzz", MFD_CLOEXEC);
		CHECK(disk >= 0 && ftruncate(disk, DISK_BYTES) == 0);
	}
	CHECK(ring != NULL);
	memset(ring, 0, UMX_PAGE_SIZE);
	ss = get(&in, 1) & 1 ? 4096 : 512;
	nreq = get(&in, 1) % (NSLOTS + 1);
	prod = get(&in, 4);
	for (uint32_t i = 0; i < nreq; i++) {
		size_t k = in.n < SLOT ? in.n : SLOT;
		memcpy(ring + 64 + i * SLOT, in.p, k);
		in.p += k;
		in.n -= k;
	}
	/* Mostly an honest producer index; sometimes a wild one. */
	if (!(prod & 0x80000000u))
		prod = nreq;
	memcpy(ring, &prod, 4);

	CHECK(blkback_detached_new(ring, disk, DISK_BYTES / 512, ss, page, NULL, &v) == 0);
	for (int round = 0; round < 4; round++)
		if (blkback_detached_run(v, UMX_BLK_BUDGET) <= 0)
			break;
	memcpy(&rsp_prod, ring + 8, 4);
	if (!blkback_detached_broken(v)) {
		CHECK(rsp_prod <= prod && rsp_prod <= nreq);
	} else {
		CHECK(blkback_detached_run(v, 1) == -EPROTO);
	}
	/* Responses overwrite their requests' slots: compare with the input. */
	for (uint32_t i = 0; i < rsp_prod && i < nreq; i++) {
		const uint8_t *slot = ring + 64 + i * SLOT;
		const uint8_t *req = data + 6 + (size_t)i * SLOT;
		struct blkif_response r;
		uint64_t id = 0;
		uint8_t op = 0;

		memcpy(&r, slot, sizeof(r));
		uint8_t tmp[16] = {0};

		if (6 + (size_t)i * SLOT < size) {
			size_t have = size - 6 - (size_t)i * SLOT;
			memcpy(tmp, req, have < 16 ? have : 16);
		}
		memcpy(&id, tmp + 8, 8);
		/* An indirect request is answered with the operation it served. */
		op = tmp[0] == BLKIF_OP_INDIRECT ? tmp[1] : tmp[0];
		CHECK(r.id == id && r.operation == op);
		CHECK(r.status == BLKIF_RSP_OKAY || r.status == BLKIF_RSP_ERROR ||
		      r.status == BLKIF_RSP_EOPNOTSUPP);
		CHECK(slot[9] == 0 && slot[12] == 0 && slot[13] == 0 && slot[14] == 0 &&
		      slot[15] == 0);
		for (unsigned b = 16; b < SLOT; b++)
			CHECK(slot[b] == 0);
	}
	CHECK(fstat(disk, &st) == 0 && st.st_size == DISK_BYTES);
	blkback_detached_free(v);
	free(ring);
	return 0;
}
