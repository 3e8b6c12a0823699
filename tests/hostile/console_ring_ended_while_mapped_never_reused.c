/* SPDX-License-Identifier: MIT */
/* MSA02 on the console: the domain ends its console ring while the backend
 * still maps it. Ending reports -EBUSY, the reserved ref 0 stays taken (a
 * new primary console is refused with -EBUSY rather than handed the
 * mapped page), a secondary console gets a different, zeroed page that
 * the backend's stale mapping cannot reach, and once the backend unmaps,
 * the primary comes back on a zeroed page with none of the old bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../devices/console/cons_priv.h"
#include "console_util.h"
#include "umx/barrier.h"

static int step[2][2]; /* [0]: front -> back, [1]: back -> front */

static void say(int dir, char c)
{
	CHILD_CHECK(write(step[dir][1], &c, 1) == 1);
}

static char hear(int dir)
{
	char c = 0;

	CHILD_CHECK(read(step[dir][0], &c, 1) == 1);
	return c;
}

static int front_body(void *arg)
{
	struct cpair *cp = arg;
	umx_console *c, *c2, *again;
	umx_plat *p;
	char buf[64];
	int r;

	alarm(60);
	c = ct_front(cp, &p);
	CHILD_CHECK(umx_console_write(c, "SECRET-OLD", 10) == 10);
	CHILD_CHECK(hear(1) == 'm'); /* the backend maps it */
	CHILD_CHECK(umx_console_close(c) == -EBUSY);
	/* Ref 0 is still granted to the mapping: no new primary on it. */
	CHILD_CHECK(umx_console_front_open(p, 0, &again) == -EBUSY);
	/* A secondary gets another page, zeroed. */
	CHILD_CHECK_OK(umx_console_front_open(p, 1, &c2));
	CHILD_CHECK(umx_console_readable(c2) == 0);
	CHILD_CHECK(umx_console_write(c2, "NEW", 3) == 3);
	say(0, 's');
	CHILD_CHECK(hear(1) == 'u'); /* the backend unmapped the old ring */
	/* The deferred ref is reaped on the next share: the primary is back. */
	r = -EBUSY;
	for (int i = 0; i < 500 && r == -EBUSY; i++) {
		r = umx_console_front_open(p, 0, &again);
		if (r == -EBUSY)
			usleep(10000);
	}
	CHILD_CHECK_OK(r);
	CHILD_CHECK(umx_console_readable(again) == 0);
	CHILD_CHECK(umx_console_write(again, "FRESH", 5) == 5);
	say(0, 'p');
	CHILD_CHECK(hear(1) == 'd');
	CHILD_CHECK(umx_console_read(again, buf, sizeof(buf)) == 0);
	(void)umx_console_close(again);
	(void)umx_console_close(c2);
	umx_plat_close(p);
	return 0;
}

static int back_body(void *arg)
{
	struct cpair *cp = arg;
	umx_console *old, *sec, *fresh;
	struct xencons_interface *oi;
	umx_plat *p;
	char buf[64];
	int r;

	alarm(60);
	old = ct_back(cp, &p);
	oi = old->intf;
	say(1, 'm');
	CHILD_CHECK(hear(0) == 's');
	/* The old page is still ours to read: what was sent, nothing else. */
	r = umx_console_read(old, buf, sizeof(buf));
	CHILD_CHECK(r == 10 && !memcmp(buf, "SECRET-OLD", 10));
	/* Scribbling on the stale mapping reaches no live console. */
	memset(oi->in, 'X', sizeof(oi->in));
	umx_store_release32(&oi->in_prod, umx_load_relaxed32(&oi->in_prod) + 1000);
	sec = ct_back_connect(p, cp->front_dom, 1);
	CHILD_CHECK(sec->intf != old->intf);
	r = umx_console_read(sec, buf, sizeof(buf));
	CHILD_CHECK(r == 3 && !memcmp(buf, "NEW", 3));
	CHILD_CHECK_OK(umx_console_close(old));
	say(1, 'u');
	CHILD_CHECK(hear(0) == 'p');
	fresh = ct_back_connect(p, cp->front_dom, 0);
	r = umx_console_read(fresh, buf, sizeof(buf));
	CHILD_CHECK(r == 5 && !memcmp(buf, "FRESH", 5));
	for (unsigned i = 0; i < sizeof(fresh->intf->in); i++)
		CHILD_CHECK(fresh->intf->in[i] == 0); /* zeroed, not the X page */
	say(1, 'd');
	CHILD_CHECK_OK(umx_console_close(fresh));
	CHILD_CHECK_OK(umx_console_close(sec));
	umx_plat_close(p);
	return 0;
}

static int add_both(umx_xs *ts, const uint32_t *dom, void *user)
{
	int r = umx_console_toolstack_add(ts, dom[0], 0, dom[1]);

	(void)user;
	return r < 0 ? r : umx_console_toolstack_add(ts, dom[0], 1, dom[1]);
}

static void test_ended_while_mapped(void **state)
{
	static const char *const names[2] = {"front", "back"};
	int (*const fns[2])(void *) = {front_body, back_body};
	const int want[2] = {0, 0};
	struct cpair cp = {0};

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pipe(step[i]), 0);
	ct_run_n(&cp, 2, names, fns, want, add_both);
	for (int i = 0; i < 2; i++) {
		close(step[i][0]);
		close(step[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ended_while_mapped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
