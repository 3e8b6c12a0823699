/* SPDX-License-Identifier: MIT */
/* Proves a peer producer index more than RING_SIZE ahead of our consumer (or behind it) breaks the
 * ring, both roles. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define RING_BYTES (64 + 32 * 8) /* 32 entries of 8 bytes */
static _Alignas(64) unsigned char page[UMX_PAGE_SIZE];

static void setup(struct umx_ring *r, enum umx_ring_role role, uint32_t start)
{
	memset(page, 0, sizeof(page));
	struct umx_sring *s = (struct umx_sring *)page;
	s->req_prod = s->rsp_prod = start;
	assert_int_equal(umx_ring_attach(r, role, page, RING_BYTES, 8, 8, start), 0);
	assert_int_equal(umx_ring_size(r), 32);
}

static void front_rejects_rsp_prod_beyond_size(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[64];
	setup(&r, UMX_RING_FRONT, 0);
	struct umx_sring *s = (struct umx_sring *)page;
	/* Fill the ring legitimately so the response check alone is not what fires. */
	for (uint64_t i = 0; i < 32; i++)
		assert_int_equal(umx_ring_put(&r, &i), 0);
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	s->rsp_prod = 33;
	assert_int_equal(umx_ring_take(&r, out, 64), -EPROTO);
	assert_non_null(umx_ring_broken(&r));
	assert_non_null(strstr(umx_ring_broken(&r), "overruns"));
}

static void back_rejects_req_prod_beyond_size(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[64];
	setup(&r, UMX_RING_BACK, 0);
	struct umx_sring *s = (struct umx_sring *)page;
	s->req_prod = 32;
	assert_int_equal(umx_ring_take(&r, out, 64), 32);
	assert_null(umx_ring_broken(&r));
	setup(&r, UMX_RING_BACK, 0);
	s->req_prod = 33;
	assert_int_equal(umx_ring_take(&r, out, 64), -EPROTO);
	assert_non_null(strstr(umx_ring_broken(&r), "overruns"));
}

static void huge_and_behind_indices_rejected(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[4];
	const uint32_t bad[] = {0x80000000u, 0xffffffffu, 1000u, 33u};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup(&r, UMX_RING_BACK, 100);
		((struct umx_sring *)page)->req_prod = 100 + bad[i];
		assert_int_equal(umx_ring_take(&r, out, 4), -EPROTO);
		setup(&r, UMX_RING_BACK, 100);
		((struct umx_sring *)page)->req_prod = 100 - 1; /* behind cons */
		assert_int_equal(umx_ring_unconsumed(&r), -EPROTO);
		bool more = true;
		setup(&r, UMX_RING_BACK, 100);
		((struct umx_sring *)page)->req_prod = 100 + bad[i];
		assert_int_equal(umx_ring_final_check(&r, &more), -EPROTO);
		assert_false(more);
	}
}

static void overrun_after_wrap_detected(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[64];
	setup(&r, UMX_RING_BACK, UINT32_MAX - 3);
	((struct umx_sring *)page)->req_prod = (UINT32_MAX - 3) + 32u; /* wraps past 0: fine */
	assert_int_equal(umx_ring_take(&r, out, 64), 32);
	setup(&r, UMX_RING_BACK, UINT32_MAX - 3);
	((struct umx_sring *)page)->req_prod = (UINT32_MAX - 3) + 33u;
	assert_int_equal(umx_ring_take(&r, out, 64), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(front_rejects_rsp_prod_beyond_size),
	        cmocka_unit_test(back_rejects_req_prod_beyond_size),
	        cmocka_unit_test(huge_and_behind_indices_rejected),
	        cmocka_unit_test(overrun_after_wrap_detected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
