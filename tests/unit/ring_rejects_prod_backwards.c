/* SPDX-License-Identifier: MIT */
/* Proves a peer producer index that moves backwards (retracting entries already announced) breaks
 * the ring. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define RING_BYTES (64 + 32 * 8) /* 32 entries of 8 bytes */
static _Alignas(64) unsigned char page[UMX_PAGE_SIZE];

static void back_rejects_req_prod_retreat(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[4];
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	s->req_prod = 10;
	assert_int_equal(umx_ring_take(&r, out, 4), 4); /* saw 10, consumed 4 */
	s->req_prod = 8;                                /* still >= cons, but went back */
	assert_int_equal(umx_ring_take(&r, out, 4), -EPROTO);
	assert_non_null(strstr(umx_ring_broken(&r), "backwards"));
}

static void front_rejects_rsp_prod_retreat(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[2];
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_front_init(&r, page, RING_BYTES, 8, 8, true), 0);
	for (uint64_t i = 0; i < 6; i++)
		assert_int_equal(umx_ring_put(&r, &i), 0);
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	s->rsp_prod = 6;
	assert_int_equal(umx_ring_unconsumed(&r), 6);
	s->rsp_prod = 5;
	assert_int_equal(umx_ring_take(&r, out, 2), -EPROTO);
}

static void same_prod_twice_is_fine(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[8];
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	s->req_prod = 5;
	assert_int_equal(umx_ring_take(&r, out, 2), 2);
	assert_int_equal(umx_ring_take(&r, out, 2), 2);
	assert_int_equal(umx_ring_take(&r, out, 8), 1);
	assert_int_equal(umx_ring_take(&r, out, 8), 0);
	assert_null(umx_ring_broken(&r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(back_rejects_req_prod_retreat),
	        cmocka_unit_test(front_rejects_rsp_prod_retreat),
	        cmocka_unit_test(same_prod_twice_is_fine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
