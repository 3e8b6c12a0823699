/* SPDX-License-Identifier: MIT */
/* 1000 domains started and killed at random points: afterwards umxd's
 * descriptor count is back at its baseline and its memory has not grown
 * beyond allocator noise. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "umx_test.h"

static int child_hello_then(void *arg)
{
	umx_conn *c;
	int mode = (int)(intptr_t)arg;
	if (mode == 0)
		return 0; /* die before saying anything */
	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	if (mode == 1)
		return 0; /* exit with the connection open */
	pause();          /* wait for kill -9 */
	return 0;
}

static void test_1000_domains_leave_nothing(void **state)
{
	struct umx_test_daemon d;
	int base_fds;
	long base_rss;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	/* Warm up allocator pools before taking the baseline. */
	for (int i = 0; i < 20; i++) {
		uint32_t domid;
		pid_t pid;
		char name[16];
		snprintf(name, sizeof(name), "warm-%d", i);
		assert_int_equal(umx_test_domain_fork(&d, name, child_hello_then,
		                                      (void *)(intptr_t)1, &domid, &pid),
		                 0);
		assert_int_equal(umx_test_domain_reap(&d, domid, pid), 0);
	}
	/* Disconnects are handled asynchronously: wait until the warm-up
	 * domains are all gone before counting. */
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	base_fds = umx_test_count_fds(d.pid);
	base_rss = umx_test_rss_kib(d.pid);
	assert_true(base_fds > 0 && base_rss > 0);

	for (int i = 0; i < 1000; i++) {
		uint32_t domid;
		pid_t pid;
		int mode = i % 3;
		char name[16];
		/* Names are unique among live domains, and a killed one may
		 * not have been noticed dead yet. */
		snprintf(name, sizeof(name), "churn-%d", i);
		assert_int_equal(umx_test_domain_fork(&d, name, child_hello_then,
		                                      (void *)(intptr_t)mode, &domid, &pid),
		                 0);
		if (mode == 2) {
			/* Let it connect sometimes, not always. */
			if (i % 2)
				usleep(200);
			kill(pid, SIGKILL);
		}
		umx_test_domain_reap(&d, domid, pid);
	}
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	assert_int_equal(umx_test_wait_fds(d.pid, base_fds), base_fds);
	/* ASan's quarantine holds freed memory for a while; 16 MiB is far
	 * below what 1000 leaked domains (grant tables alone: 16 KiB each
	 * plus their buffers) would cost. */
	print_message("umxd rss: %ld KiB before, %ld KiB after\n", base_rss,
	              umx_test_rss_kib(d.pid));
	assert_true(umx_test_rss_kib(d.pid) - base_rss < 16 * 1024);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_1000_domains_leave_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
