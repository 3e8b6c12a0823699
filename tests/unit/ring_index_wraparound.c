/* SPDX-License-Identifier: MIT */
/* Proves the 32-bit indices wrap correctly: both roles started just below UINT32_MAX carry
 * thousands of entries across 0 intact, with full/empty and notify still right. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define NENT       16
#define RING_BYTES (64 + NENT * 16)
static _Alignas(64) unsigned char page[UMX_PAGE_SIZE];

struct ent {
	uint64_t seq, check;
};

static void run_from(uint32_t start)
{
	struct umx_ring f, b;
	struct umx_sring *s = (struct umx_sring *)page;
	memset(page, 0, sizeof(page));
	s->req_prod = s->rsp_prod = start;
	s->req_event = s->rsp_event = start + 1;
	assert_int_equal(umx_ring_attach(&f, UMX_RING_FRONT, page, RING_BYTES, 16, 16, start), 0);
	assert_int_equal(umx_ring_attach(&b, UMX_RING_BACK, page, RING_BYTES, 16, 16, start), 0);
	uint64_t sent = 0, served = 0, got = 0;
	unsigned wrapped = 0;
	for (int round = 0; round < 2000; round++) {
		bool notify, more;
		unsigned k = (unsigned)(round % (NENT + 3));
		for (unsigned i = 0; i < k; i++) {
			struct ent e = {.seq = sent, .check = ~sent};
			int rc = umx_ring_put(&f, &e);
			if (rc == -ENOSPC) {
				assert_int_equal(umx_ring_space(&f), 0);
				break;
			}
			assert_int_equal(rc, 0);
			sent++;
		}
		assert_int_equal(umx_ring_push(&f, &notify), 0);
		struct ent in[NENT + 1];
		int n = umx_ring_take(&b, in, NENT + 1);
		assert_true(n >= 0 && n <= NENT);
		for (int i = 0; i < n; i++) {
			assert_int_equal(in[i].seq, served);
			assert_int_equal(in[i].check, ~served);
			struct ent r = {.seq = served, .check = served * 3};
			assert_int_equal(umx_ring_put(&b, &r), 0);
			served++;
		}
		assert_int_equal(umx_ring_put(&b, &in[0]), -ENOSPC);
		assert_int_equal(umx_ring_push(&b, &notify), 0);
		assert_int_equal(umx_ring_final_check(&b, &more), 0);
		assert_false(more);
		n = umx_ring_take(&f, in, NENT + 1);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++, got++) {
			assert_int_equal(in[i].seq, got);
			assert_int_equal(in[i].check, got * 3);
		}
		assert_int_equal(umx_ring_final_check(&f, &more), 0);
		assert_false(more);
		assert_int_equal(umx_ring_space(&f), NENT);
		if (s->req_prod < start)
			wrapped = 1;
	}
	assert_int_equal(got, sent);
	assert_true(sent > 10000);
	assert_true(wrapped || start < UINT32_MAX - 20000u);
	assert_null(umx_ring_broken(&f));
	assert_null(umx_ring_broken(&b));
}

static void wraps_from_near_max(void **state)
{
	(void)state;
	run_from(UINT32_MAX - 5);
	run_from(UINT32_MAX);
	run_from(UINT32_MAX - NENT);
	run_from(0x7ffffff0u);
}

static void overrun_check_holds_across_wrap(void **state)
{
	(void)state;
	struct umx_ring b;
	struct umx_sring *s = (struct umx_sring *)page;
	struct ent out[NENT];
	const uint32_t start = UINT32_MAX - 2;
	memset(page, 0, sizeof(page));
	s->req_prod = start;
	assert_int_equal(umx_ring_attach(&b, UMX_RING_BACK, page, RING_BYTES, 16, 16, start), 0);
	s->req_prod = start + NENT + 1; /* numerically small, 17 ahead */
	assert_true(s->req_prod < start);
	assert_int_equal(umx_ring_take(&b, out, NENT), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(wraps_from_near_max),
	        cmocka_unit_test(overrun_check_holds_across_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
