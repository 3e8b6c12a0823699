/* SPDX-License-Identifier: MIT */
/* Hostile/dying peer: umxd is SIGKILLed under open drop-in libxenstore
 * handles inside a domain. A thread blocked in xs_read_watch returns NULL,
 * xs_fileno() becomes readable (so a poller wakes), and every later call
 * fails with Xen's convention (NULL/false/XBT_NULL + errno) — no hang
 * (an alarm would kill the domain), no crash, xs_close returns. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenstore.h>

#include "compat_util.h"
#include "umx_test.h"

static void *L;
#define XS(fn) COMPAT_SYM(L, fn)

struct io {
	int to_parent, from_parent;
};

static int dead_errno(int e)
{
	return e == EPIPE || e == ECONNRESET || e == EBADF;
}

static void *blocked_reader(void *arg)
{
	unsigned n;

	return XS(xs_read_watch)((struct xs_handle *)arg, &n);
}

static int domain(void *arg)
{
	struct io *io = arg;
	struct xs_handle *plain, *watching;
	pthread_t t;
	void *res = (void *)1;
	char **v, c;
	unsigned n;
	int fd;

	alarm(30); /* a hang is a failure (SIGALRM), not a stuck ctest */
	CHILD_CHECK((L = compat_lib("libxenstore.so.4")));
	CHILD_CHECK((plain = XS(xs_open)(0)));
	CHILD_CHECK((watching = XS(xs_open)(0)));
	CHILD_CHECK(XS(xs_write)(plain, XBT_NULL, "data/x", "1", 1));
	CHILD_CHECK(XS(xs_watch)(watching, "data", "T"));
	CHILD_CHECK((v = XS(xs_read_watch)(watching, &n))); /* the initial event */
	free(v);
	CHILD_CHECK((fd = XS(xs_fileno)(watching)) >= 0);
	CHILD_CHECK(compat_readable(fd, 0) == 0);
	CHILD_CHECK(pthread_create(&t, NULL, blocked_reader, watching) == 0);
	usleep(100 * 1000); /* let it block */
	CHILD_CHECK(write(io->to_parent, "r", 1) == 1);
	CHILD_CHECK(read(io->from_parent, &c, 1) == 1); /* umxd is dead now */

	CHILD_CHECK(pthread_join(t, &res) == 0);
	CHILD_CHECK(res == NULL);
	CHILD_CHECK(compat_readable(fd, 5000) == 1);
	errno = 0;
	CHILD_CHECK(XS(xs_check_watch)(watching) == NULL && dead_errno(errno));
	errno = 0;
	CHILD_CHECK(XS(xs_read_watch)(watching, &n) == NULL && dead_errno(errno));
	errno = 0;
	CHILD_CHECK(XS(xs_read)(plain, XBT_NULL, "data/x", &n) == NULL && dead_errno(errno));
	errno = 0;
	CHILD_CHECK(XS(xs_read)(plain, XBT_NULL, "data/x", &n) == NULL && dead_errno(errno));
	errno = 0;
	CHILD_CHECK(!XS(xs_write)(plain, XBT_NULL, "data/x", "2", 1) && dead_errno(errno));
	errno = 0;
	CHILD_CHECK(XS(xs_transaction_start)(plain) == XBT_NULL && dead_errno(errno));
	errno = 0;
	CHILD_CHECK(!XS(xs_watch)(watching, "data/y", "U") && dead_errno(errno));
	errno = 0;
	CHILD_CHECK(XS(xs_directory)(watching, XBT_NULL, "data", &n) == NULL && dead_errno(errno));
	XS(xs_close)(watching);
	XS(xs_close)(plain);
	/* A new handle cannot connect: NULL with errno, no crash. */
	errno = 0;
	CHILD_CHECK(XS(xs_open)(0) == NULL && errno != 0);
	return 0;
}

static void umxd_death_fails_calls_with_errno_and_wakes_watchers(void **state)
{
	struct umx_test_daemon d;
	int up[2], down[2], status;
	struct io io;
	uint32_t domid;
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	io = (struct io){up[1], down[0]};
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "victim", domain, &io, &domid, &pid), 0);
	close(up[1]);
	close(down[0]);
	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(kill(d.pid, SIGKILL), 0);
	assert_int_equal(waitpid(d.pid, &status, 0), d.pid);
	d.pid = 0; /* umx_test_daemon_stop now only cleans up */
	assert_int_equal(write(down[1], "k", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	umx_test_daemon_stop(&d);
	close(up[0]);
	close(down[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(umxd_death_fails_calls_with_errno_and_wakes_watchers),
	};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
