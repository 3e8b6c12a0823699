/* SPDX-License-Identifier: MIT */
/* Proves full/empty accounting: the front fills exactly RING_SIZE requests then -ENOSPC, space
 * returns as responses are taken; empty takes return 0. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define NENT       32
#define RING_BYTES (64 + NENT * 8)
static _Alignas(64) unsigned char page[UMX_PAGE_SIZE];

static void front_full_at_ring_size(void **state)
{
	(void)state;
	struct umx_ring r;
	struct umx_sring *s = (struct umx_sring *)page;
	uint64_t v, out[NENT];
	assert_int_equal(umx_ring_front_init(&r, page, RING_BYTES, 8, 8, true), 0);
	assert_int_equal(umx_ring_take(&r, out, NENT), 0);
	assert_int_equal(umx_ring_space(&r), NENT);
	for (v = 0; v < NENT; v++)
		assert_int_equal(umx_ring_put(&r, &v), 0);
	assert_int_equal(umx_ring_space(&r), 0);
	assert_int_equal(umx_ring_put(&r, &v), -ENOSPC);
	/* Unpublished requests do not free space; neither does pushing them. */
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	assert_int_equal(umx_ring_put(&r, &v), -ENOSPC);
	s->rsp_prod = 5;
	assert_int_equal(umx_ring_space(&r), 0); /* not yet consumed */
	assert_int_equal(umx_ring_take(&r, out, NENT), 5);
	assert_int_equal(umx_ring_space(&r), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(umx_ring_put(&r, &v), 0);
	assert_int_equal(umx_ring_put(&r, &v), -ENOSPC);
	assert_int_equal(umx_ring_take(&r, out, NENT), 0);
	assert_null(umx_ring_broken(&r));
}

static void back_empty_and_owed(void **state)
{
	(void)state;
	struct umx_ring r;
	struct umx_sring *s = (struct umx_sring *)page;
	uint64_t v = 0, out[NENT];
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	assert_int_equal(umx_ring_take(&r, out, NENT), 0);
	assert_int_equal(umx_ring_unconsumed(&r), 0);
	assert_int_equal(umx_ring_space(&r), 0);
	s->req_prod = NENT;
	assert_int_equal(umx_ring_take(&r, out, NENT), NENT);
	assert_int_equal(umx_ring_space(&r), NENT);
	for (int i = 0; i < NENT; i++)
		assert_int_equal(umx_ring_put(&r, &v), 0);
	assert_int_equal(umx_ring_put(&r, &v), -ENOSPC);
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	assert_int_equal(s->rsp_prod, (uint32_t)NENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(front_full_at_ring_size),
	        cmocka_unit_test(back_empty_and_owed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
