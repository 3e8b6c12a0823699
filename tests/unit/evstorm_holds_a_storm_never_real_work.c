/* SPDX-License-Identifier: MIT */
/* The event-storm limiter the device cores share (devices/common/evstorm.h):
 * past max spurious events in one window the source is held until the
 * window ends, and only then; events that bring work are never held; a
 * new window starts counting afresh; wait timeouts are cut to the hold. */
#include "umx_test.h"
#include "../../devices/common/evstorm.h"

#define W EVSTORM_WINDOW_MS

static void test_storm_is_held_until_window_end(void **state)
{
	struct evstorm s = {0};
	uint64_t t0 = 5000;
	(void)state;
	for (unsigned i = 0; i < 8; i++)
		assert_true(evstorm_event(&s, t0 + i, false, 8));
	assert_false(evstorm_held(&s));
	/* The ninth spurious event in the window starts the hold. */
	assert_false(evstorm_event(&s, t0 + 9, false, 8));
	assert_true(evstorm_held(&s));
	assert_int_equal(s.held_until, t0 + W);
	/* Still held: neither more events nor time short of the end release it. */
	assert_false(evstorm_event(&s, t0 + 10, true, 8));
	assert_false(evstorm_release(&s, t0 + W - 1));
	assert_true(evstorm_held(&s));
	/* At the window's end it is released, once. */
	assert_true(evstorm_release(&s, t0 + W));
	assert_false(evstorm_held(&s));
	assert_false(evstorm_release(&s, t0 + W + 1));
}

static void test_work_is_never_held(void **state)
{
	struct evstorm s = {0};
	(void)state;
	for (uint64_t t = 1000; t < 1000 + 10 * W; t++)
		assert_true(evstorm_event(&s, t, true, 0));
	assert_false(evstorm_held(&s));
}

static void test_new_window_counts_afresh(void **state)
{
	struct evstorm s = {0};
	uint64_t t0 = 200;
	(void)state;
	for (unsigned i = 0; i < 4; i++)
		assert_true(evstorm_event(&s, t0, false, 4));
	/* A fifth in the next window is the first of that window. */
	assert_true(evstorm_event(&s, t0 + W, false, 4));
	assert_int_equal(s.spurious, 1);
	assert_false(evstorm_held(&s));
}

static void test_timeout_cut_to_the_hold(void **state)
{
	struct evstorm s = {0};
	uint64_t t0 = 300;
	(void)state;
	assert_int_equal(evstorm_timeout(&s, t0, -1), -1);
	assert_int_equal(evstorm_timeout(&s, t0, 5000), 5000);
	assert_false(evstorm_event(&s, t0, false, 0));
	assert_int_equal(evstorm_timeout(&s, t0 + 30, -1), (int)W - 30);
	assert_int_equal(evstorm_timeout(&s, t0 + 30, 5000), (int)W - 30);
	assert_int_equal(evstorm_timeout(&s, t0 + 30, 10), 10);
	assert_int_equal(evstorm_timeout(&s, t0 + W + 7, -1), 0); /* overdue: now */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_storm_is_held_until_window_end),
	        cmocka_unit_test(test_work_is_never_held),
	        cmocka_unit_test(test_new_window_counts_afresh),
	        cmocka_unit_test(test_timeout_cut_to_the_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
