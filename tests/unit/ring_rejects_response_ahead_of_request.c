/* SPDX-License-Identifier: MIT */
/* Proves the front rejects responses to requests it never published (rsp_prod ahead of req_prod).
 */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define RING_BYTES (64 + 32 * 8) /* 32 entries of 8 bytes */
static _Alignas(64) unsigned char page[UMX_PAGE_SIZE];

static void rejects_more_responses_than_requests(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[32];
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_front_init(&r, page, RING_BYTES, 8, 8, true), 0);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(umx_ring_put(&r, &i), 0);
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	s->rsp_prod = 3;
	assert_int_equal(umx_ring_take(&r, out, 32), 3);
	s->rsp_prod = 4; /* one response more than requests issued */
	assert_int_equal(umx_ring_take(&r, out, 32), -EPROTO);
	assert_non_null(strstr(umx_ring_broken(&r), "ahead of requests"));
}

static void rejects_responses_to_unpublished_requests(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[32];
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_front_init(&r, page, RING_BYTES, 8, 8, true), 0);
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(umx_ring_put(&r, &i), 0);
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	uint64_t five = 5;
	assert_int_equal(umx_ring_put(&r, &five), 0); /* put, not pushed */
	s->rsp_prod = 5;
	assert_int_equal(umx_ring_take(&r, out, 32), -EPROTO);
}

static void rejects_response_ahead_across_wrap(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[32];
	struct umx_sring *s = (struct umx_sring *)page;
	memset(page, 0, sizeof(page));
	const uint32_t start = UINT32_MAX - 1;
	s->req_prod = s->rsp_prod = start;
	assert_int_equal(umx_ring_attach(&r, UMX_RING_FRONT, page, RING_BYTES, 8, 8, start), 0);
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(umx_ring_put(&r, &i), 0);
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	assert_int_equal(s->req_prod, 2u);
	s->rsp_prod = 2;
	assert_int_equal(umx_ring_take(&r, out, 32), 4);
	s->rsp_prod = 3;
	assert_int_equal(umx_ring_take(&r, out, 32), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(rejects_more_responses_than_requests),
	        cmocka_unit_test(rejects_responses_to_unpublished_requests),
	        cmocka_unit_test(rejects_response_ahead_across_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
