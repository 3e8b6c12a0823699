/* SPDX-License-Identifier: MIT */
/* umxd started with UMXD_XS_TOOLSTACK_MEMORY=2 MiB: a toolstack client on
 * the xenstored socket that writes without end gets ENOSPC near 2 MiB and
 * umxd's memory stops growing; another toolstack client is refused while
 * the cap is reached; a domain's store service goes on; removing the nodes
 * lets the toolstack write (and connect) again. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#include "umx/internal/ctl.h"
#include "umx/xs.h"
#include "umx_test.h"

#define CAP (2u << 20)

static int domain_writes(void *arg)
{
	umx_conn *c;
	umx_xs *xs;
	char *v = NULL;
	unsigned nfds = 0;
	int fd = -1, ok;
	(void)arg;

	if (umx_conn_open_domain(&c) < 0 ||
	    umx_conn_call(c, UMX_CTL_XS_CONNECT, NULL, 0, NULL, 0, NULL, &fd, 1, &nfds) < 0 ||
	    nfds != 1 || umx_xs_open_fd(fd, &xs) < 0)
		return 10;
	if (umx_xs_write_str(xs, UMX_XS_NO_TX, "data/x", "still served") < 0 ||
	    umx_xs_read(xs, UMX_XS_NO_TX, "data/x", &v, NULL) < 0)
		return 11;
	ok = !strcmp(v, "still served");
	free(v);
	umx_xs_close(xs);
	return ok ? 0 : 12;
}

static int write_big(umx_xs *ts, unsigned i)
{
	static char val[4000];
	char path[32];

	memset(val, 'v', sizeof(val));
	snprintf(path, sizeof(path), "/big/%u", i);
	return umx_xs_write(ts, UMX_XS_NO_TX, path, val, sizeof(val));
}

static void test_toolstack_cap_from_umxd_option(void **state)
{
	struct umx_test_daemon d;
	char path[128], *rep = NULL, *v = NULL;
	umx_xs *ts, *ts2;
	long rss0, rss1;
	uint32_t domid;
	unsigned i;
	pid_t pid;
	int r = 0;
	(void)state;

	setenv("UMXD_XS_TOOLSTACK_MEMORY", "2097152", 1);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	unsetenv("UMXD_XS_TOOLSTACK_MEMORY");
	snprintf(path, sizeof(path), "%s/xenstored", d.dir);
	assert_int_equal(umx_xs_open_path(path, &ts), 0);
	assert_int_equal(umx_xs_request(ts, XS_CONTROL, UMX_XS_NO_TX, "quota", 6, &rep, NULL), 0);
	assert_non_null(strstr(rep, "toolstack-memory   2097152"));
	free(rep);
	rss0 = umx_test_rss_kib(d.pid);
	for (i = 0; i < 4 * CAP / 4000 && (r = write_big(ts, i)) == 0; i++)
		;
	assert_int_equal(r, -ENOSPC);
	assert_true(i > CAP / 4000 / 2);
	/* umxd holds about the cap, whatever the client asks for next. */
	for (unsigned k = 0; k < 1000; k++)
		assert_int_equal(write_big(ts, 100000 + k), -ENOSPC);
	rss1 = umx_test_rss_kib(d.pid);
	assert_true(rss0 > 0 && rss1 > 0 && rss1 - rss0 < 16 * 1024);
	/* At the cap, the toolstack gets no new connection. */
	assert_int_equal(umx_xs_open_path(path, &ts2), 0);
	assert_true(umx_xs_read(ts2, UMX_XS_NO_TX, "/big/0", &v, NULL) < 0);
	umx_xs_close(ts2);
	/* Domains are served. */
	assert_int_equal(umx_test_domain_fork(&d, "dom", domain_writes, NULL, &domid, &pid), 0);
	assert_int_equal(umx_test_domain_reap(&d, domid, pid), 0);
	/* Freeing brings the toolstack back. */
	assert_int_equal(umx_xs_rm(ts, UMX_XS_NO_TX, "/big"), 0);
	assert_int_equal(write_big(ts, 0), 0);
	assert_int_equal(umx_xs_open_path(path, &ts2), 0);
	assert_int_equal(umx_xs_read(ts2, UMX_XS_NO_TX, "/big/0", &v, NULL), 0);
	free(v);
	umx_xs_close(ts2);
	umx_xs_close(ts);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_toolstack_cap_from_umxd_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
