/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the ring consumer on a fuzzer-controlled shared page.
 *
 * Input: [role|sizes: 4 bytes][start index: 4][page contents: bytes]
 * then a script of operations, some of which let the "peer" rewrite an
 * index or an entry between our calls. Invariants checked (abort = crash):
 * counts within max and ring size, entries copied exactly as they were in
 * the slots at the time of the call, no response taken before its request
 * was pushed, broken is sticky. The page and every output buffer are
 * heap-allocated at their exact size, so ASan catches any overrun.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "umx/log.h"
#include "umx/ring.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		umx_log_set_level(UMX_LOG_ERR);
		quiet = true;
	}
	struct in in = {data, size};
	uint32_t cfg = get(&in, 4);
	enum umx_ring_role role = (cfg & 1) ? UMX_RING_BACK : UMX_RING_FRONT;
	size_t req_sz = ((cfg >> 8) & 63) + 1, rsp_sz = ((cfg >> 16) & 63) + 1;
	size_t slot = req_sz > rsp_sz ? req_sz : rsp_sz;
	size_t bytes = UMX_SRING_HDR_SIZE + slot * (((cfg >> 24) & 127) + 1) + ((cfg >> 1) & 63);
	uint32_t start = get(&in, 4);

	unsigned char *page = malloc(bytes);
	CHECK(page);
	for (size_t i = 0; i < bytes; i++)
		page[i] = (unsigned char)get(&in, 1);
	struct umx_ring r;
	CHECK(umx_ring_attach(&r, role, page, bytes, req_sz, rsp_sz, start) == 0);
	uint32_t nent = umx_ring_size(&r);
	CHECK(nent && !(nent & (nent - 1)) && UMX_SRING_HDR_SIZE + nent * slot <= bytes);
	size_t in_sz = role == UMX_RING_FRONT ? rsp_sz : req_sz;
	struct umx_sring *s = (struct umx_sring *)page;
	uint64_t taken = 0, pushed = 0, put = 0;
	bool was_broken = false;

	for (int ops = 0; in.n && ops < 4096; ops++) {
		uint32_t op = get(&in, 1);
		int rc = 0;
		bool flag;
		switch (op % 8) {
		case 0:
		case 1: {
			unsigned max = get(&in, 1) % 70;
			unsigned char *out = malloc(max * in_sz + 1);
			/* Expected copy: the slots as they are now (single-threaded). */
			unsigned char *want = malloc(max * in_sz + 1);
			CHECK(out && want);
			for (unsigned i = 0; i < max; i++)
				memcpy(want + i * in_sz,
				       s->ring + ((r.cons + i) & (nent - 1)) * slot, in_sz);
			rc = umx_ring_take(&r, out, max);
			CHECK(rc == -EPROTO ||
			      (rc >= 0 && (unsigned)rc <= max && (uint32_t)rc <= nent));
			if (rc > 0) {
				CHECK(memcmp(out, want, (size_t)rc * in_sz) == 0);
				taken += (unsigned)rc;
			}
			free(out);
			free(want);
			break;
		}
		case 2:
			rc = umx_ring_final_check(&r, &flag);
			CHECK(rc == 0 || rc == -EPROTO);
			CHECK(rc == 0 || !flag);
			break;
		case 3: {
			unsigned char e[64];
			memset(e, (int)op, sizeof(e));
			rc = umx_ring_put(&r, e);
			CHECK(rc == 0 || rc == -ENOSPC || rc == -EPROTO);
			put += rc == 0;
			if (get(&in, 1) & 1) {
				int prc = umx_ring_push(&r, &flag);
				CHECK(prc == 0 || prc == -EPROTO);
				if (prc == 0)
					pushed = put;
				if (rc != -EPROTO)
					rc = prc;
			}
			break;
		}
		case 4: {
			/* The peer rewrites one index. */
			uint32_t *f[] = {&s->req_prod, &s->req_event, &s->rsp_prod, &s->rsp_event};
			uint32_t which = get(&in, 1) & 3, mode = get(&in, 1);
			uint32_t v = get(&in, 4);
			*f[which] = (mode & 1) ? *f[which] + (v & 0x3f) : v;
			break;
		}
		case 5: {
			/* The peer rewrites entry bytes. */
			size_t off = get(&in, 2) % (bytes - UMX_SRING_HDR_SIZE);
			s->ring[off] = (unsigned char)get(&in, 1);
			break;
		}
		case 6:
			rc = umx_ring_unconsumed(&r);
			CHECK(rc == -EPROTO || (rc >= 0 && (uint32_t)rc <= nent));
			break;
		default:
			rc = umx_ring_space(&r);
			CHECK(rc == -EPROTO || (rc >= 0 && (uint32_t)rc <= nent));
			break;
		}
		/* Sticky: once broken, every call fails and the reason stays. */
		if (was_broken)
			CHECK(rc == -EPROTO || op % 8 == 4 || op % 8 == 5);
		if (umx_ring_broken(&r))
			was_broken = true;
		/* The front never takes more responses than requests it pushed;
		 * the back never owes more responses than the ring holds. */
		if (role == UMX_RING_FRONT)
			CHECK(taken <= pushed);
		else
			CHECK(taken - put <= nent);
	}
	if (was_broken) {
		unsigned char one[64];
		CHECK(umx_ring_take(&r, one, 1) == -EPROTO);
		CHECK(umx_ring_broken(&r) != NULL);
	}
	free(page);
	return 0;
}
