/* SPDX-License-Identifier: MIT */
/* One backend serves many consoles at once: five domains, each with its
 * primary console and two secondaries (15 consoles), every console
 * carrying its own stream both ways, all checked byte for byte, with
 * output taken fairly (a bounded read per console per round); every
 * secondary's frontend ends its handshake in Connected (XenbusState 4). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "console_util.h"
#include "umx/internal/clock.h"

#define NFRONT 5
#define NCONS  3
#define TOTAL  (64u << 10)

static int done_pipe[2];

static int front_body(void *arg)
{
	struct cpair *cp = arg;
	umx_console *c[NCONS];
	umx_plat *p;
	uint8_t buf[2048];
	uint64_t out[NCONS] = {0}, in[NCONS] = {0};
	uint64_t deadline = umx_clock_ms() + 60000;
	unsigned done = 0;
	int r;

	alarm(90);
	ct_wait_go(cp, cp->self);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	for (unsigned i = 0; i < NCONS; i++)
		CHILD_CHECK_OK(umx_console_front_open(p, i, &c[i]));
	while (done < NCONS) {
		CHILD_CHECK(umx_clock_ms() < deadline);
		(void)ct_dispatch(p, c, NCONS, 100);
		done = 0;
		for (unsigned i = 0; i < NCONS; i++) {
			uint32_t seed = umx_plat_domid(p) * 16 + i;
			if (out[i] < TOTAL) {
				size_t n =
				        TOTAL - out[i] < sizeof(buf) ? TOTAL - out[i] : sizeof(buf);
				ct_fill(seed, out[i], buf, n);
				CHILD_CHECK_OK(r = umx_console_write(c[i], buf, n));
				out[i] += (uint64_t)r;
			}
			while ((r = umx_console_read(c[i], buf, sizeof(buf))) > 0) {
				CHILD_CHECK(ct_check(seed + 1000, in[i], buf, (size_t)r) < 0);
				in[i] += (uint64_t)r;
			}
			CHILD_CHECK_OK(r);
			done += out[i] == TOTAL && in[i] == TOTAL;
		}
	}
	/* The backend said Connected and notified before any byte moved:
	 * the event that carried it has been handled. */
	for (unsigned i = 1; i < NCONS; i++)
		CHILD_CHECK(ct_front_state(p, i) == 4 /* XenbusStateConnected */);
	CHILD_CHECK(read(done_pipe[0], buf, 1) == 1);
	for (unsigned i = 0; i < NCONS; i++)
		(void)umx_console_close(c[i]);
	umx_plat_close(p);
	return 0;
}

static int back_body(void *arg)
{
	struct cpair *cp = arg;
	umx_console *c[NFRONT * NCONS];
	uint64_t out[NFRONT * NCONS] = {0}, in[NFRONT * NCONS] = {0};
	uint64_t deadline = umx_clock_ms() + 60000;
	uint8_t buf[2048];
	umx_plat *p;
	unsigned done = 0;
	int r;

	alarm(90);
	ct_wait_go(cp, 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	for (unsigned f = 0; f < NFRONT; f++)
		for (unsigned i = 0; i < NCONS; i++)
			c[f * NCONS + i] = ct_back_connect(p, cp->dom[f ? f + 1 : 0], i);
	while (done < NFRONT * NCONS) {
		CHILD_CHECK(umx_clock_ms() < deadline);
		(void)ct_dispatch(p, c, NFRONT * NCONS, 100);
		done = 0;
		for (unsigned k = 0; k < NFRONT * NCONS; k++) {
			uint32_t seed = umx_console_peer(c[k]) * 16 + umx_console_devid(c[k]);
			/* Fair: one bounded read per console per round. */
			CHILD_CHECK_OK(r = umx_console_read(c[k], buf, 512));
			CHILD_CHECK(ct_check(seed, in[k], buf, (size_t)r) < 0);
			in[k] += (uint64_t)r;
			if (out[k] < TOTAL) {
				size_t n = TOTAL - out[k] < 512 ? TOTAL - out[k] : 512;
				ct_fill(seed + 1000, out[k], buf, n);
				CHILD_CHECK_OK(r = umx_console_write(c[k], buf, n));
				out[k] += (uint64_t)r;
			}
			done += out[k] == TOTAL && in[k] == TOTAL;
		}
	}
	CHILD_CHECK(write(done_pipe[1], "dddddddddd", NFRONT) == NFRONT);
	for (unsigned k = 0; k < NFRONT * NCONS; k++)
		CHILD_CHECK_OK(umx_console_close(c[k]));
	umx_plat_close(p);
	return 0;
}

/* Domain 1 is the backend; 0 and 2.. are the fronts. */
static int add_all(umx_xs *ts, const uint32_t *dom, void *user)
{
	(void)user;
	for (unsigned f = 0; f < NFRONT; f++)
		for (unsigned i = 0; i < NCONS; i++) {
			int r = umx_console_toolstack_add(ts, dom[f ? f + 1 : 0], i, dom[1]);
			if (r < 0)
				return r;
		}
	return 0;
}

static void test_many(void **state)
{
	static const char *const names[NFRONT + 1] = {"f0", "back", "f1", "f2", "f3", "f4"};
	int (*const fns[NFRONT + 1])(void *) = {front_body, back_body,  front_body,
	                                        front_body, front_body, front_body};
	const int want[NFRONT + 1] = {0};
	struct cpair cp = {0};

	(void)state;
	assert_int_equal(pipe(done_pipe), 0);
	ct_run_n(&cp, NFRONT + 1, names, fns, want, add_all);
	close(done_pipe[0]);
	close(done_pipe[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
