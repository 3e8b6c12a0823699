/* SPDX-License-Identifier: MIT */
/* vchan end of stream: an orderly close by either end is EOF for the other
 * after the data it sent, and writes then fail with -EPIPE; kill -9 of the
 * peer (seen through the unmap notify) is a cut-short stream, never an EOF:
 * a blocked reader gets the data that arrived, then -ECONNRESET; a blocked
 * writer gets -ECONNRESET (or the count written before); never a hang. A
 * server whose client dies before connecting gives up the same way. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "umx/internal/clock.h"
#include "umx/xs.h"
#include "vchan_util.h"

static int ready[2]; /* child -> test: "killable now" */

static int signal_ready(void)
{
	return write(ready[1], "r", 1) == 1 ? 0 : -1;
}

/* Start the pair, wait for @readies "killable now" signals and @settle_us
 * more so the survivor is blocked, then kill -9 end @victim (0 server,
 * 1 client): it must die by that signal and the survivor exit 0. */
static void kill_one_end(struct vpair *vp, int (*srv)(void *arg), int (*cli)(void *arg),
                         int readies, useconds_t settle_us, int victim)
{
	struct umx_test_daemon d;
	uint32_t dom[2];
	pid_t pid[2];
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	vt_start(&d, vp, srv, cli, dom, pid);
	for (int i = 0; i < readies; i++)
		assert_int_equal(read(ready[0], &c, 1), 1);
	usleep(settle_us);
	kill(pid[victim], SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, dom[victim], pid[victim]), 128 + SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, dom[!victim], pid[!victim]), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	close(ready[0]);
	close(ready[1]);
}

/* ---- orderly close by the client -------------------------------------- */

/* The store layout libxenvchan writes: <path>/ring-ref and
 * <path>/event-channel, decimal, perms ["n<server>", "r<client>"]. */
static int check_store(umx_xs *xs, umx_vchan *v, uint32_t client, bool present)
{
	static const char *const leaf[2] = {"ring-ref", "event-channel"};
	char node[96], want[2][16], *val;
	char **perms;
	unsigned n;

	snprintf(want[0], sizeof(want[0]), "%u", v ? umx_vchan_ring_ref(v) : 0);
	snprintf(want[1], sizeof(want[1]), "%u", v ? umx_vchan_port(v) : 0);
	for (int i = 0; i < 2; i++) {
		snprintf(node, sizeof(node), "data/vchan/%u/test/%s", client, leaf[i]);
		int r = umx_xs_read(xs, 0, node, &val, NULL);
		if (!present)
			return r == -ENOENT ? 0 : -1;
		if (r < 0 || strcmp(val, want[i]))
			return -1;
		free(val);
		if (umx_xs_get_perms(xs, 0, node, &perms, &n) < 0 || n != 2 || perms[0][0] != 'n' ||
		    perms[1][0] != 'r' || (uint32_t)atoi(perms[1] + 1) != client)
			return -1;
		free(perms);
	}
	return 0;
}

static int srv_reads_to_eof(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v;
	umx_xs *xs;
	uint8_t buf[5000];
	size_t got = 0;
	int r;

	alarm(20);
	CHILD_CHECK((v = vt_server(vp)));
	CHILD_CHECK_OK(umx_xs_open(&xs));
	CHILD_CHECK_OK(check_store(xs, v, vp->client_domid, true));
	while ((r = umx_vchan_read(v, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)r;
	CHILD_CHECK(r == 0);
	CHILD_CHECK(got == 3000);
	CHILD_CHECK(vt_check(7, 0, buf, got) < 0);
	CHILD_CHECK(umx_vchan_is_open(v) == 0);
	CHILD_CHECK(umx_vchan_died(v) == NULL); /* an orderly close */
	CHILD_CHECK(umx_vchan_write(v, buf, 1) == -EPIPE);
	CHILD_CHECK(umx_vchan_send(v, buf, 1) == -EPIPE);
	CHILD_CHECK(umx_vchan_read(v, buf, 1) == 0);
	CHILD_CHECK(umx_vchan_recv(v, buf, 1) == 0); /* EOF is sticky */
	umx_vchan_close(v);
	CHILD_CHECK_OK(
	        check_store(xs, NULL, vp->client_domid, false)); /* the server's path is gone */
	umx_xs_close(xs);
	return 0;
}

static int cli_writes_and_closes(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v;
	uint8_t buf[3000];

	alarm(20);
	CHILD_CHECK((v = vt_client(vp)));
	vt_fill(7, 0, buf, sizeof(buf));
	CHILD_CHECK(umx_vchan_write(v, buf, sizeof(buf)) == (int)sizeof(buf));
	umx_vchan_close(v);
	return 0;
}

static void test_orderly_close_is_eof(void **state)
{
	struct vpair vp = {.left_min = 8192, .right_min = 8192};
	(void)state;

	vt_run(&vp, srv_reads_to_eof, cli_writes_and_closes);
}

/* ---- kill -9 of the client while the server is blocked reading -------- */

static int cli_writes_then_hangs(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v;
	uint8_t buf[1000];

	CHILD_CHECK((v = vt_client(vp)));
	vt_fill(9, 0, buf, sizeof(buf));
	CHILD_CHECK(umx_vchan_write(v, buf, sizeof(buf)) == (int)sizeof(buf));
	signal_ready();
	for (;;)
		pause();
}

static int srv_blocked_reader(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v;
	uint8_t buf[2000];
	size_t got = 0;
	int r;

	alarm(20); /* a hang fails the test */
	CHILD_CHECK((v = vt_server(vp)));
	while ((r = umx_vchan_read(v, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)r;
	/* What arrived is delivered, then the cut is an error, not EOF. */
	CHILD_CHECK(r == -ECONNRESET);
	CHILD_CHECK(got == 1000);
	CHILD_CHECK(vt_check(9, 0, buf, got) < 0);
	CHILD_CHECK(umx_vchan_died(v) != NULL);
	CHILD_CHECK(strstr(umx_vchan_died(v), "client domain") != NULL);
	CHILD_CHECK(umx_vchan_read(v, buf, 1) == -ECONNRESET); /* sticky */
	CHILD_CHECK(umx_vchan_write(v, buf, 1) == -ECONNRESET);
	umx_vchan_close(v);
	return 0;
}

static void test_client_killed_is_reset_for_reader(void **state)
{
	struct vpair vp = {.left_min = 1024, .right_min = 2048};
	(void)state;

	/* Ready once the client wrote; then let the server block in read. */
	kill_one_end(&vp, srv_blocked_reader, cli_writes_then_hangs, 1, 100000, 1);
}

/* ---- kill -9 of the server while the client is blocked writing -------- */

static int srv_never_reads(void *arg)
{
	struct vpair *vp = arg;
	umx_vchan *v;

	CHILD_CHECK((v = vt_server(vp)));
	signal_ready();
	for (;;)
		pause();
}

static int cli_blocked_writer(void *arg)
{
	struct vpair *vp = arg;
	static uint8_t buf[1 << 20];
	umx_vchan *v;
	int r;

	alarm(20);
	CHILD_CHECK((v = vt_client(vp)));
	signal_ready();
	r = umx_vchan_write(v, buf, sizeof(buf)); /* far more than the ring */
	CHILD_CHECK(r == -ECONNRESET || (r >= 0 && (size_t)r < sizeof(buf)));
	CHILD_CHECK(umx_vchan_is_open(v) == 0);
	CHILD_CHECK(umx_vchan_died(v) != NULL);
	CHILD_CHECK(umx_vchan_send(v, buf, 1) == -ECONNRESET);
	/* A packet receive when the peer died: the error, not EOF, not a hang. */
	CHILD_CHECK(umx_vchan_recv(v, buf, 16) == -ECONNRESET);
	umx_vchan_close(v);
	return 0;
}

static void test_server_killed_fails_blocked_writer(void **state)
{
	struct vpair vp = {.left_min = 16384, .right_min = 16384};
	(void)state;

	/* Ready twice: server up, client connected; then the client blocks
	 * on the full ring. */
	kill_one_end(&vp, srv_never_reads, cli_blocked_writer, 2, 200000, 0);
}

/* ---- the client dies before it ever connects -------------------------- */

static int srv_waits_for_dead_client(void *arg)
{
	struct vpair *vp = arg;
	uint64_t t0 = umx_clock_ms();
	uint8_t buf[16];
	umx_vchan *v;
	int r;

	alarm(20); /* waiting forever fails the test */
	CHILD_CHECK((v = vt_server(vp)));
	CHILD_CHECK(umx_vchan_is_open(v) == 2);
	signal_ready();
	r = umx_vchan_read(v, buf, sizeof(buf)); /* blocks until it gives up */
	CHILD_CHECK(r == -ECONNRESET);
	CHILD_CHECK(umx_vchan_died(v) != NULL);
	CHILD_CHECK(strstr(umx_vchan_died(v), "before connecting") != NULL);
	CHILD_CHECK(umx_clock_ms() - t0 < 15000);
	umx_vchan_close(v);
	return 0;
}

static void test_server_gives_up_on_client_dead_before_connecting(void **state)
{
	struct vpair vp = {.left_min = 1024, .right_min = 2048};
	struct umx_test_daemon d;
	uint32_t sdom, cdom;
	pid_t spid, cpid;
	char c;
	(void)state;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	/* The client's domain exists (the server names it), then dies. */
	assert_int_equal(umx_test_domain_fork(&d, "cli", umx_test_domain_idle, NULL, &cdom, &cpid),
	                 0);
	vp.client_domid = cdom;
	assert_int_equal(
	        umx_test_domain_fork(&d, "srv", srv_waits_for_dead_client, &vp, &sdom, &spid), 0);
	assert_int_equal(read(ready[0], &c, 1), 1);
	kill(cpid, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, cdom, cpid), 128 + SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, sdom, spid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	close(ready[0]);
	close(ready[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_orderly_close_is_eof),
	        cmocka_unit_test(test_client_killed_is_reset_for_reader),
	        cmocka_unit_test(test_server_killed_fails_blocked_writer),
	        cmocka_unit_test(test_server_gives_up_on_client_dead_before_connecting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
