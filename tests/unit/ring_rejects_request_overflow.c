/* SPDX-License-Identifier: MIT */
/* Proves the back rejects requests beyond its response space (RING_REQUEST_PROD_OVERFLOW) and stops
 * taking at RING_REQUEST_CONS_OVERFLOW. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define RING_BYTES (64 + 32 * 8) /* 32 entries of 8 bytes */
static _Alignas(64) unsigned char page[UMX_PAGE_SIZE];

static void take_stops_where_responses_would_not_fit(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[64];
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	s->req_prod = 32;
	assert_int_equal(umx_ring_take(&r, out, 64), 32);
	assert_int_equal(umx_ring_space(&r), 32); /* 32 responses owed */
	/* Answer 10: only then may 10 more requests be taken. */
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(umx_ring_put(&r, &i), 0);
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	s->req_prod = 42;
	assert_int_equal(umx_ring_unconsumed(&r), 10);
	assert_int_equal(umx_ring_take(&r, out, 64), 10);
	assert_null(umx_ring_broken(&r));
}

static void rejects_requests_beyond_response_space(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[64];
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	s->req_prod = 20;
	assert_int_equal(umx_ring_take(&r, out, 64), 20);
	/* No responses yet: the front may have at most 32 requests outstanding,
	 * so req_prod 33 is a lie even though prod - cons (13) looks fine. */
	s->req_prod = 33;
	assert_int_equal(umx_ring_take(&r, out, 64), -EPROTO);
	assert_non_null(strstr(umx_ring_broken(&r), "overflows response space"));
}

static void back_cannot_answer_more_than_taken(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[4], v = 7;
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	assert_int_equal(umx_ring_put(&r, &v), -ENOSPC);
	s->req_prod = 2;
	assert_int_equal(umx_ring_take(&r, out, 4), 2);
	assert_int_equal(umx_ring_put(&r, &v), 0);
	assert_int_equal(umx_ring_put(&r, &v), 0);
	assert_int_equal(umx_ring_put(&r, &v), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(take_stops_where_responses_would_not_fit),
	        cmocka_unit_test(rejects_requests_beyond_response_space),
	        cmocka_unit_test(back_cannot_answer_more_than_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
