/* SPDX-License-Identifier: MIT */
/* A domain killed (SIGKILL) in the middle of writing its console: the
 * backend learns it is gone (-EPIPE from the event its closing port
 * sends, or, when that event merged with its last data notify, from the
 * next quiet wait), still reads every byte that reached the ring, each
 * one right, then lets go without error; it never hangs waiting for
 * more. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "console_util.h"
#include "umx/internal/clock.h"

#define BEFORE_DEATH (100u << 10) /* bytes written before the kill */

static int front_body(void *arg)
{
	struct cpair *cp = arg;
	uint8_t buf[1500];
	uint64_t out = 0;
	umx_console *c;
	umx_plat *p;
	int r;

	alarm(60);
	c = ct_front(cp, &p);
	while (out < BEFORE_DEATH) {
		ct_fill(1, out, buf, sizeof(buf));
		CHILD_CHECK_OK(r = umx_console_write(c, buf, sizeof(buf)));
		out += (uint64_t)r;
		if (r == 0)
			CHILD_CHECK_OK(umx_console_wait(c, 5000));
	}
	/* Mid-write: a partial chunk is in the ring, the rest never comes. */
	ct_fill(1, out, buf, sizeof(buf));
	(void)umx_console_write(c, buf, 700);
	raise(SIGKILL);
	return 1;
}

static int back_body(void *arg)
{
	struct cpair *cp = arg;
	uint8_t buf[4096];
	uint64_t in = 0, deadline = umx_clock_ms() + 30000;
	umx_console *c;
	umx_plat *p;
	bool gone = false;
	int r;

	alarm(60);
	c = ct_back(cp, &p);
	while (!gone) {
		CHILD_CHECK(umx_clock_ms() < deadline);
		/* A slow reader: the writer fills the ring and waits. */
		r = umx_console_wait(c, 200);
		CHILD_CHECK(r >= 0 || r == -EPIPE);
		gone = r == -EPIPE;
		while ((r = umx_console_read(c, buf, 512)) > 0) {
			CHILD_CHECK(ct_check(1, in, buf, (size_t)r) < 0);
			in += (uint64_t)r;
		}
		CHILD_CHECK_OK(r);
	}
	/* What reached the ring before the kill: at least everything before
	 * the last chunk (the ring held it all), and nothing invented. */
	while ((r = umx_console_read(c, buf, sizeof(buf))) > 0) {
		CHILD_CHECK(ct_check(1, in, buf, (size_t)r) < 0);
		in += (uint64_t)r;
	}
	fprintf(stderr, "read %llu bytes of a domain killed after %u\n", (unsigned long long)in,
	        BEFORE_DEATH);
	CHILD_CHECK(in >= BEFORE_DEATH && in <= BEFORE_DEATH + 1500 + 700);
	CHILD_CHECK(umx_console_broken(c) == NULL);
	CHILD_CHECK_OK(umx_console_close(c));
	umx_plat_close(p);
	return 0;
}

static void test_killed_mid_write(void **state)
{
	struct cpair cp = {.devid = 0};

	(void)state;
	ct_run(&cp, front_body, 128 + SIGKILL, back_body, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_killed_mid_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
