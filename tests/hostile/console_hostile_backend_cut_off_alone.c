/* SPDX-License-Identifier: MIT */
/* A hostile console backend against the domain: in_prod past the ring,
 * in_prod going backwards, out_cons ahead of out_prod, indices racing under
 * a thread, and an event storm with no data. The domain's console to it
 * breaks with a logged reason (the storm is held masked instead), the
 * domain does not crash, and its other console, served by a good backend,
 * carries every byte both ways. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../devices/console/cons_priv.h"
#include "console_util.h"
#include "umx/internal/clock.h"

#define GOOD_TOTAL (256u << 10)

static enum ct_attack mode;
static struct ct_end end; /* domain -> backends: done */

/* Domain 0: primary to the hostile backend, secondary 1 to the good one. */
static int front_body(void *arg)
{
	struct cpair *cp = arg;
	struct umx_console_stats st;
	umx_console *ch, *cg;
	umx_plat *p;
	uint8_t buf[4096];
	uint64_t out = 0, in = 0, deadline;
	bool hostile_done = false;
	int r;

	alarm(60);
	ct_wait_go(cp, 0);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_console_front_open(p, 0, &ch));
	CHILD_CHECK_OK(umx_console_front_open(p, 1, &cg));
	deadline = umx_clock_ms() + 30000;
	while (out < GOOD_TOTAL || in < GOOD_TOTAL || !hostile_done) {
		umx_console *cs[2] = {ch, cg};

		CHILD_CHECK(umx_clock_ms() < deadline);
		(void)ct_dispatch(p, cs, 2, 100);
		if (out < GOOD_TOTAL) {
			size_t n = GOOD_TOTAL - out < sizeof(buf) ? GOOD_TOTAL - out : sizeof(buf);
			ct_fill(1, out, buf, n);
			CHILD_CHECK_OK(r = umx_console_write(cg, buf, n));
			out += (uint64_t)r;
		}
		while ((r = umx_console_read(cg, buf, sizeof(buf))) > 0) {
			CHILD_CHECK(ct_check(2, in, buf, (size_t)r) < 0);
			in += (uint64_t)r;
		}
		CHILD_CHECK_OK(r);
		if (!ch)
			continue;
		/* Output for the hostile one too, so out_cons is looked at. */
		(void)umx_console_write(ch, "o", 1);
		while ((r = umx_console_read(ch, buf, sizeof(buf))) > 0)
			;
		umx_console_stats_get(ch, &st);
		if (mode == CT_STORM ? st.holds > 0
		                     : r == -EPROTO || (mode == CT_RACE && out >= GOOD_TOTAL)) {
			if (mode != CT_STORM && mode != CT_RACE) {
				CHILD_CHECK(umx_console_broken(ch) != NULL);
				fprintf(stderr, "console to the hostile backend broke: %s\n",
				        umx_console_broken(ch));
			}
			/* It may keep the page mapped: then the grant stays. */
			r = umx_console_close(ch);
			CHILD_CHECK(r == 0 || r == -EBUSY);
			ch = NULL;
			hostile_done = true;
		}
	}
	CHILD_CHECK(umx_console_broken(cg) == NULL);
	ct_end_say(&end, 2);
	r = umx_console_close(cg);
	CHILD_CHECK(r == 0 || r == -EBUSY);
	umx_plat_close(p);
	return 0;
}

static int hostile_body(void *arg)
{
	struct cpair *cp = arg;
	umx_console *c;
	umx_plat *p;

	alarm(60);
	ct_wait_go(cp, 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	c = ct_back_connect(p, cp->dom[0], 0);
	CHILD_CHECK(umx_console_write(c, "hello", 5) == 5);
	ct_attack(p, c, mode, 5);
	ct_end_wait(&end);
	umx_plat_close(p);
	return 0;
}

static int good_back_body(void *arg)
{
	struct cpair *cp = arg;
	umx_console *c;
	umx_plat *p;

	alarm(60);
	ct_wait_go(cp, 2);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	c = ct_back_connect(p, cp->dom[0], 1);
	CHILD_CHECK_OK(ct_pump(c, 0, GOOD_TOTAL, GOOD_TOTAL, 2000));
	ct_end_wait(&end);
	CHILD_CHECK_OK(umx_console_close(c));
	umx_plat_close(p);
	return 0;
}

static int add_two(umx_xs *ts, const uint32_t *dom, void *user)
{
	int r = umx_console_toolstack_add(ts, dom[0], 0, dom[1]);

	(void)user;
	return r < 0 ? r : umx_console_toolstack_add(ts, dom[0], 1, dom[2]);
}

static void run(enum ct_attack m)
{
	static const char *const names[3] = {"front", "hostile", "good"};
	int (*const fns[3])(void *) = {front_body, hostile_body, good_back_body};
	const int want[3] = {0, 0, 0};
	struct cpair cp = {0};

	mode = m;
	ct_end_init(&end);
	ct_run_n(&cp, 3, names, fns, want, add_two);
	ct_end_fini(&end);
}

static void test_in_prod_overruns_ring(void **s)
{
	(void)s;
	run(CT_OVERRUN);
}
static void test_in_prod_goes_backwards(void **s)
{
	(void)s;
	run(CT_BACKWARDS);
}
static void test_out_cons_ahead_of_out_prod(void **s)
{
	(void)s;
	run(CT_CONS_AHEAD);
}
static void test_indices_racing(void **s)
{
	(void)s;
	run(CT_RACE);
}
static void test_event_storm_held(void **s)
{
	(void)s;
	run(CT_STORM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_in_prod_overruns_ring),
	        cmocka_unit_test(test_in_prod_goes_backwards),
	        cmocka_unit_test(test_out_cons_ahead_of_out_prod),
	        cmocka_unit_test(test_indices_racing),
	        cmocka_unit_test(test_event_storm_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
