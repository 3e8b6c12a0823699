/* SPDX-License-Identifier: MIT */
/* Proves take() copies at most max entries (never past the caller's buffer), at most RING_SIZE, and
 * in order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define NENT       32
#define RING_BYTES (64 + NENT * 8)
static _Alignas(64) unsigned char page[UMX_PAGE_SIZE];

static void take_never_exceeds_max(void **state)
{
	(void)state;
	struct umx_ring r;
	struct umx_sring *s = (struct umx_sring *)page;
	uint64_t *slots = (uint64_t *)s->ring;
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	for (unsigned i = 0; i < NENT; i++)
		slots[i] = 1000 + i;
	s->req_prod = NENT;
	uint64_t expect = 1000;
	for (unsigned max = 0; max <= 7; max++) {
		/* Exactly-sized heap buffer: ASan catches one entry too many. */
		uint64_t *out = max ? malloc(max * sizeof(*out)) : NULL;
		int n = umx_ring_take(&r, out, max);
		assert_true(n >= 0 && (unsigned)n <= max);
		for (int i = 0; i < n; i++)
			assert_int_equal(out[i], expect++);
		free(out);
	}
	assert_int_equal(expect, 1000 + 28);
}

static void take_never_exceeds_ring_size(void **state)
{
	(void)state;
	struct umx_ring r;
	struct umx_sring *s = (struct umx_sring *)page;
	uint64_t out[4 * NENT];
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	s->req_prod = NENT;
	assert_int_equal(umx_ring_take(&r, out, 4 * NENT), NENT);
	/* Nothing answered: no more may be taken even if announced. */
	assert_int_equal(umx_ring_take(&r, out, 4 * NENT), 0);
}

static void mixed_sizes_copy_only_entry_size(void **state)
{
	(void)state;
	/* req 12 bytes, rsp 20 bytes: slot 20; the back copies 12 per entry. */
	struct umx_ring r;
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_back_init(&r, page, UMX_PAGE_SIZE, 12, 20, true), 0);
	assert_int_equal(umx_ring_size(&r), 128);
	for (unsigned i = 0; i < 128; i++)
		memset(s->ring + i * 20, (int)i, 20);
	s->req_prod = 5;
	unsigned char *out = malloc(3 * 12);
	assert_int_equal(umx_ring_take(&r, out, 3), 3);
	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = 0; j < 12; j++)
			assert_int_equal(out[i * 12 + j], i);
	free(out);
	/* A response fills its whole 20-byte slot. */
	unsigned char rsp[20];
	memset(rsp, 0xee, sizeof(rsp));
	assert_int_equal(umx_ring_put(&r, rsp), 0);
	assert_memory_equal(s->ring, rsp, 20);
}

static void put_zeroes_tail_of_larger_slot(void **state)
{
	(void)state;
	/* req 12 bytes, rsp 20: a request leaves no stale bytes in its slot. */
	struct umx_ring r;
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_front_init(&r, page, UMX_PAGE_SIZE, 12, 20, true), 0);
	memset(s->ring, 0x5a, 20);
	unsigned char req[12];
	memset(req, 0x11, sizeof(req));
	assert_int_equal(umx_ring_put(&r, req), 0);
	assert_memory_equal(s->ring, req, 12);
	for (unsigned j = 12; j < 20; j++)
		assert_int_equal(s->ring[j], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(take_never_exceeds_max),
	        cmocka_unit_test(take_never_exceeds_ring_size),
	        cmocka_unit_test(mixed_sizes_copy_only_entry_size),
	        cmocka_unit_test(put_zeroes_tail_of_larger_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
