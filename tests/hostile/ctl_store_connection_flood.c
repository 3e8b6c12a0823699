/* SPDX-License-Identifier: MIT */
/* A domain asking for store connections without end gets -EMFILE past its
 * cap, keeps its other connections, and umxd's descriptors come back to
 * their baseline when it dies. */
#include <errno.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/internal/ctl.h"

#define ASKS 200

static int flood(void *arg)
{
	umx_conn *c;
	int ok = 0, refused = 0;
	(void)arg;
	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	for (int i = 0; i < ASKS; i++) {
		int fd = -1, r;
		unsigned nfds = 0;
		r = umx_conn_call(c, UMX_CTL_XS_CONNECT, NULL, 0, NULL, 0, NULL, &fd, 1, &nfds);
		if (r == 0 && nfds == 1)
			ok++; /* kept open on purpose */
		else if (r == -EMFILE)
			refused++;
		else
			CHILD_FAIL("XS_CONNECT failed other than with EMFILE");
	}
	CHILD_CHECK(ok == 64);
	CHILD_CHECK(refused == ASKS - 64);
	/* The domain's control connection still works. */
	{
		int fd = -1;
		unsigned nfds = 0;
		CHILD_CHECK(umx_conn_call(c, UMX_CTL_XS_CONNECT, NULL, 0, NULL, 0, NULL, &fd, 1,
		                          &nfds) == -EMFILE);
	}
	return 0;
}

static void test_store_connection_flood_is_capped(void **state)
{
	struct umx_test_daemon d;
	uint32_t domid;
	pid_t pid;
	int base;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	base = umx_test_count_fds(d.pid);
	assert_int_equal(umx_test_domain_fork(&d, "flood", flood, NULL, &domid, &pid), 0);
	assert_int_equal(umx_test_domain_reap(&d, domid, pid), 0);
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	assert_int_equal(umx_test_wait_fds(d.pid, base), base);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_store_connection_flood_is_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
