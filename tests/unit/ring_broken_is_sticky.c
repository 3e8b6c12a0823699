/* SPDX-License-Identifier: MIT */
/* Proves a broken ring stays broken: every entry point returns -EPROTO, the first reason is kept,
 * only re-init clears it. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/ring.h"

#define RING_BYTES (64 + 32 * 8)
static _Alignas(64) unsigned char page[UMX_PAGE_SIZE];

static void assert_all_calls_fail(struct umx_ring *r)
{
	uint64_t out[4], v = 1;
	bool flag = true;
	assert_int_equal(umx_ring_take(r, out, 4), -EPROTO);
	assert_int_equal(umx_ring_unconsumed(r), -EPROTO);
	assert_int_equal(umx_ring_put(r, &v), -EPROTO);
	assert_int_equal(umx_ring_space(r), -EPROTO);
	assert_int_equal(umx_ring_push(r, &flag), -EPROTO);
	assert_false(flag);
	flag = true;
	assert_int_equal(umx_ring_final_check(r, &flag), -EPROTO);
	assert_false(flag);
}

static void broken_by_peer_stays_broken(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t out[4];
	struct umx_sring *s = (struct umx_sring *)page;
	assert_int_equal(umx_ring_back_init(&r, page, RING_BYTES, 8, 8, true), 0);
	s->req_prod = 1000;
	assert_int_equal(umx_ring_take(&r, out, 4), -EPROTO);
	const char *why = umx_ring_broken(&r);
	assert_non_null(why);
	char saved[sizeof(r.reason)];
	strcpy(saved, why);
	/* The peer "repairs" the index: still broken, same reason. */
	s->req_prod = 1;
	for (int i = 0; i < 3; i++)
		assert_all_calls_fail(&r);
	assert_string_equal(umx_ring_broken(&r), saved);
	/* Producer side does not touch the page once broken. */
	uint32_t before = s->rsp_prod;
	uint64_t v = 9;
	assert_int_equal(umx_ring_put(&r, &v), -EPROTO);
	assert_int_equal(umx_ring_push(&r, NULL), -EPROTO);
	assert_int_equal(s->rsp_prod, before);
}

static void mark_broken_first_reason_wins(void **state)
{
	(void)state;
	struct umx_ring r;
	assert_int_equal(umx_ring_front_init(&r, page, RING_BYTES, 8, 8, true), 0);
	assert_null(umx_ring_broken(&r));
	assert_int_equal(umx_ring_mark_broken(&r, "bad id %u", 77u), -EPROTO);
	assert_int_equal(umx_ring_mark_broken(&r, "second"), -EPROTO);
	assert_string_equal(umx_ring_broken(&r), "bad id 77");
	assert_all_calls_fail(&r);
}

static void reinit_clears_broken(void **state)
{
	(void)state;
	struct umx_ring r;
	uint64_t v = 3, out;
	assert_int_equal(umx_ring_front_init(&r, page, RING_BYTES, 8, 8, true), 0);
	umx_ring_mark_broken(&r, "x");
	assert_int_equal(umx_ring_front_init(&r, page, RING_BYTES, 8, 8, true), 0);
	assert_null(umx_ring_broken(&r));
	assert_int_equal(umx_ring_put(&r, &v), 0);
	assert_int_equal(umx_ring_push(&r, NULL), 0);
	((struct umx_sring *)page)->rsp_prod = 1;
	assert_int_equal(umx_ring_take(&r, &out, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(broken_by_peer_stays_broken),
	        cmocka_unit_test(mark_broken_first_reason_wins),
	        cmocka_unit_test(reinit_clears_broken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
