/* SPDX-License-Identifier: MIT */
/* Console bytes cross both ways byte for byte: 1 MiB out and 256 KiB in
 * through the primary console (ring granted at the reserved ref 0) and a
 * secondary one, in chunks of every size so each ring wraps at every
 * offset; a full ring takes exactly its size (2048 out, 1024 in) and no
 * more, and drains whole; the store holds Xen's layout. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "console_util.h"
#include "umx/xs.h"

#define OUT_TOTAL (1u << 20)
#define IN_TOTAL  (256u << 10)

static int sync_pipe[2][2]; /* front -> back "full", back -> front "drained" */

static int front_body(void *arg)
{
	struct cpair *cp = arg;
	uint8_t buf[4096];
	umx_plat *p;
	umx_xs *xs;
	char path[96], *v;
	umx_console *c;
	int r;

	alarm(60);
	c = ct_front(cp, &p);
	/* Xen's layout: ring-ref, port, backend-id, type under console/. */
	CHILD_CHECK_OK(umx_xs_open(&xs));
	snprintf(path, sizeof(path), "%s/port", cp->devid ? "device/console/1" : "console");
	CHILD_CHECK_OK(umx_xs_read(xs, 0, path, &v, NULL));
	CHILD_CHECK((uint32_t)atoi(v) == umx_console_port(c));
	free(v);
	snprintf(path, sizeof(path), "%s/type", cp->devid ? "device/console/1" : "console");
	CHILD_CHECK_OK(umx_xs_read(xs, 0, path, &v, NULL));
	CHILD_CHECK(!strcmp(v, "xenconsoled"));
	free(v);
	umx_xs_close(xs);

	/* A full out ring takes exactly 2048 bytes. */
	ct_fill(9, 0, buf, sizeof(buf));
	CHILD_CHECK(umx_console_write(c, buf, sizeof(buf)) == UMX_CONSOLE_OUT_SIZE);
	CHILD_CHECK(umx_console_writable(c) == 0);
	CHILD_CHECK(umx_console_write(c, buf, 1) == 0);
	CHILD_CHECK(write(sync_pipe[0][1], "f", 1) == 1);
	/* Wait for the back to fill the in ring and drain ours. */
	CHILD_CHECK(read(sync_pipe[1][0], buf, 1) == 1);
	CHILD_CHECK(umx_console_writable(c) == UMX_CONSOLE_OUT_SIZE);
	CHILD_CHECK(umx_console_readable(c) == UMX_CONSOLE_IN_SIZE);
	r = umx_console_read(c, buf, sizeof(buf));
	CHILD_CHECK(r == UMX_CONSOLE_IN_SIZE);
	CHILD_CHECK(ct_check(10, 0, buf, (size_t)r) < 0);

	CHILD_CHECK_OK(ct_pump(c, 1, OUT_TOTAL, IN_TOTAL, 3000));
	CHILD_CHECK(umx_console_broken(c) == NULL);
	/* Let the back see the last bytes before the ring goes. */
	CHILD_CHECK(read(sync_pipe[1][0], buf, 1) == 1);
	r = umx_console_close(c);
	CHILD_CHECK(r == 0 || r == -EBUSY);
	umx_plat_close(p);
	return 0;
}

static int back_body(void *arg)
{
	struct cpair *cp = arg;
	uint8_t buf[4096];
	struct umx_console_stats st;
	umx_console *c;
	umx_plat *p;
	int r;

	alarm(60);
	c = ct_back(cp, &p);
	CHILD_CHECK(read(sync_pipe[0][0], buf, 1) == 1);
	CHILD_CHECK(umx_console_readable(c) == UMX_CONSOLE_OUT_SIZE);
	/* The in ring takes exactly 1024. */
	ct_fill(10, 0, buf, sizeof(buf));
	CHILD_CHECK(umx_console_write(c, buf, sizeof(buf)) == UMX_CONSOLE_IN_SIZE);
	CHILD_CHECK(umx_console_write(c, buf, 1) == 0);
	r = umx_console_read(c, buf, sizeof(buf));
	CHILD_CHECK(r == UMX_CONSOLE_OUT_SIZE);
	CHILD_CHECK(ct_check(9, 0, buf, (size_t)r) < 0);
	CHILD_CHECK(umx_console_readable(c) == 0);
	CHILD_CHECK(write(sync_pipe[1][1], "d", 1) == 1);

	CHILD_CHECK_OK(ct_pump(c, 0, IN_TOTAL, OUT_TOTAL, 3000));
	umx_console_stats_get(c, &st);
	CHILD_CHECK(st.bytes_read == OUT_TOTAL + UMX_CONSOLE_OUT_SIZE);
	CHILD_CHECK(st.bytes_written == IN_TOTAL + UMX_CONSOLE_IN_SIZE);
	CHILD_CHECK(umx_console_broken(c) == NULL);
	CHILD_CHECK(write(sync_pipe[1][1], "e", 1) == 1);
	CHILD_CHECK_OK(umx_console_close(c));
	umx_plat_close(p);
	return 0;
}

static void run(uint32_t devid)
{
	struct cpair cp = {.devid = devid};

	for (int i = 0; i < 2; i++)
		assert_int_equal(pipe(sync_pipe[i]), 0);
	ct_run(&cp, front_body, 0, back_body, 0);
	for (int i = 0; i < 2; i++) {
		close(sync_pipe[i][0]);
		close(sync_pipe[i][1]);
	}
}

static void test_primary(void **state)
{
	(void)state;
	run(UMX_CONSOLE_PRIMARY);
}

static void test_secondary(void **state)
{
	(void)state;
	run(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_primary),
	        cmocka_unit_test(test_secondary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
