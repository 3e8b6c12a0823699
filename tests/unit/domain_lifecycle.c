/* SPDX-License-Identifier: MIT */
/* A domain gets a domid and its identity from its connection; list, wait,
 * destroy and kill -9 all leave umxd consistent. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umx_test.h"

static int child_says_hello(void *arg)
{
	uint32_t want = *(uint32_t *)arg;
	umx_conn *c;
	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	CHILD_CHECK(umx_conn_domid(c) == want);
	/* A domain may not act as the toolstack. */
	CHILD_CHECK(umx_domain_destroy(c, want) == -EPERM);
	umx_conn_close(c);
	return 7;
}

static void test_domain_identity_and_exit_status(void **state)
{
	struct umx_test_daemon d;
	uint32_t domid;
	pid_t pid;
	int st = 0;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	/* The child learns its domid from umxd, not from us: we pass our
	 * expectation only to compare. */
	assert_int_equal(umx_test_domain_fork(&d, "hello", child_says_hello, &domid, &domid, &pid),
	                 0);
	assert_true(domid >= 1);
	assert_int_equal(umx_test_domain_reap(&d, domid, pid), 7);
	assert_int_equal(umx_domain_wait(d.ts, domid, &st), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static void test_kill9_and_destroy(void **state)
{
	struct umx_test_daemon d;
	struct umx_ctl_domain_info info[8];
	uint32_t a, b;
	pid_t pa, pb;
	int n;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "a", umx_test_domain_idle, NULL, &a, &pa), 0);
	assert_int_equal(umx_test_domain_fork(&d, "b", umx_test_domain_idle, NULL, &b, &pb), 0);
	assert_int_not_equal(a, b);
	n = umx_domain_list(d.ts, 0, info, 8);
	assert_int_equal(n, 2);
	assert_string_equal(info[0].name, "a");
	assert_int_equal(info[0].pid, pa);

	kill(pa, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, a, pa), 128 + SIGKILL);
	assert_int_equal(umx_domain_destroy(d.ts, b), 0);
	assert_int_equal(umx_test_domain_reap(&d, b, pb), 128 + SIGKILL);
	assert_int_equal(umx_domain_destroy(d.ts, b), -ESRCH);

	/* Both gone: their domids are free and the list is empty. */
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_domain_identity_and_exit_status),
	        cmocka_unit_test(test_kill9_and_destroy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
