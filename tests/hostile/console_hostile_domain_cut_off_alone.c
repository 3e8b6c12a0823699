/* SPDX-License-Identifier: MIT */
/* A hostile domain against the console backend: out_prod past the ring,
 * out_prod going backwards, in_cons ahead of in_prod, indices racing under
 * a thread, and an event storm with no data. One backend serves it and a
 * well-behaved domain at once: the hostile console breaks with a logged
 * reason (or, for the storm, is held masked) and is cut off alone; every
 * byte of the good domain arrives; the backend neither crashes nor
 * spins, and gives back every descriptor it took. */
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
static struct ct_end end; /* backend -> domains: done */

static int good_body(void *arg)
{
	struct cpair *cp = arg;
	umx_plat *p;
	umx_console *c;

	alarm(60);
	c = ct_front(cp, &p);
	CHILD_CHECK_OK(ct_pump(c, 1, GOOD_TOTAL, 0, 2000));
	ct_end_wait(&end);
	(void)umx_console_close(c);
	umx_plat_close(p);
	return 0;
}

static int hostile_body(void *arg)
{
	struct cpair *cp = arg;
	uint8_t buf[100];
	umx_console *c;
	umx_plat *p;

	alarm(60);
	ct_wait_go(cp, 2);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_console_front_open(p, 0, &c));
	ct_fill(3, 0, buf, sizeof(buf));
	CHILD_CHECK(umx_console_write(c, buf, sizeof(buf)) == (int)sizeof(buf));
	ct_attack(p, c, mode, sizeof(buf));
	ct_end_wait(&end);
	umx_plat_close(p); /* the console is the backend's problem: not closed */
	return 0;
}

static int back_body(void *arg)
{
	struct cpair *cp = arg;
	struct umx_console_stats st;
	umx_console *cg, *ch;
	umx_plat *p;
	uint8_t buf[4096];
	uint64_t good = 0, deadline;
	int base_fds, r;
	bool hostile_done = false;

	alarm(60);
	ct_wait_go(cp, 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	base_fds = umx_test_count_fds(getpid());
	cg = ct_back_connect(p, cp->dom[0], 0);
	ch = ct_back_connect(p, cp->dom[2], 0);
	deadline = umx_clock_ms() + 30000;
	while (good < GOOD_TOTAL || !hostile_done) {
		umx_console *cs[2] = {cg, ch};

		CHILD_CHECK(umx_clock_ms() < deadline);
		(void)ct_dispatch(p, cs, 2, 100);
		while ((r = umx_console_read(cg, buf, sizeof(buf))) > 0) {
			CHILD_CHECK(ct_check(1, good, buf, (size_t)r) < 0);
			good += (uint64_t)r;
		}
		CHILD_CHECK_OK(r);
		if (!ch)
			continue;
		/* Keyboard input for the hostile one too, so the writer side
		 * looks at in_cons. */
		(void)umx_console_write(ch, "k", 1);
		while ((r = umx_console_read(ch, buf, sizeof(buf))) > 0)
			;
		umx_console_stats_get(ch, &st);
		if (mode == CT_STORM ? st.holds > 0 && good >= GOOD_TOTAL
		                     : r == -EPROTO || (mode == CT_RACE && good >= GOOD_TOTAL)) {
			if (mode != CT_STORM && mode != CT_RACE) {
				CHILD_CHECK(r == -EPROTO);
				CHILD_CHECK(umx_console_broken(ch) != NULL);
				fprintf(stderr, "hostile console broke: %s\n",
				        umx_console_broken(ch));
			}
			if (mode == CT_STORM)
				CHILD_CHECK(st.spurious > CONS_STORM_EVENTS);
			CHILD_CHECK_OK(umx_console_close(ch));
			ch = NULL;
			hostile_done = true;
		}
	}
	CHILD_CHECK(umx_console_broken(cg) == NULL);
	CHILD_CHECK_OK(umx_console_close(cg));
	/* Every event channel and mapping descriptor given back. */
	CHILD_CHECK(umx_test_wait_fds(getpid(), base_fds) == base_fds);
	ct_end_say(&end, 2);
	umx_plat_close(p);
	return 0;
}

static int add_two(umx_xs *ts, const uint32_t *dom, void *user)
{
	int r = umx_console_toolstack_add(ts, dom[0], 0, dom[1]);

	(void)user;
	return r < 0 ? r : umx_console_toolstack_add(ts, dom[2], 0, dom[1]);
}

static void run(enum ct_attack m)
{
	static const char *const names[3] = {"good", "back", "hostile"};
	int (*const fns[3])(void *) = {good_body, back_body, hostile_body};
	const int want[3] = {0, 0, 0};
	struct cpair cp = {0};

	mode = m;
	ct_end_init(&end);
	ct_run_n(&cp, 3, names, fns, want, add_two);
	ct_end_fini(&end);
}

static void test_out_prod_overruns_ring(void **s)
{
	(void)s;
	run(CT_OVERRUN);
}
static void test_out_prod_goes_backwards(void **s)
{
	(void)s;
	run(CT_BACKWARDS);
}
static void test_in_cons_ahead_of_in_prod(void **s)
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
	        cmocka_unit_test(test_out_prod_overruns_ring),
	        cmocka_unit_test(test_out_prod_goes_backwards),
	        cmocka_unit_test(test_in_cons_ahead_of_in_prod),
	        cmocka_unit_test(test_indices_racing),
	        cmocka_unit_test(test_event_storm_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
