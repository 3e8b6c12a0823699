/* SPDX-License-Identifier: MIT */
/* A domain allocating ports until the per-domain cap gets -ENOSPC at
 * exactly UMX_EVT_PORTS_MAX while umxd holds a handful of descriptors for
 * them all (a port costs none); another domain is unaffected, a freed port
 * is allocatable again, and umxd's descriptors return to baseline after. */
#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "umx/internal/ctl.h"
#include "umx/evtchn.h"
#include "umx_test.h"

static int hog(void *arg)
{
	int *sync = arg;
	umx_evtchn *h;
	uint32_t n = 0;
	int p, last = 0;

	CHILD_CHECK_OK(umx_evtchn_open(&h));
	while ((p = umx_evtchn_alloc_unbound(h, UMX_EVTCHN_DOMID_SELF)) > 0) {
		last = p;
		n++;
	}
	CHILD_CHECK(p == -ENOSPC);
	CHILD_CHECK(n == UMX_EVT_PORTS_MAX);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)last) ==
	            -ENOSPC);
	char c = 1;
	CHILD_CHECK(write(sync[1], &c, 1) == 1);
	CHILD_CHECK(read(sync[0], &c, 1) == 1);
	/* A freed port is reusable. */
	CHILD_CHECK(umx_evtchn_unbind(h, (uint32_t)last) == 0);
	CHILD_CHECK(umx_evtchn_alloc_unbound(h, UMX_EVTCHN_DOMID_SELF) == last);
	umx_evtchn_close(h);
	return 0;
}

static int neighbour(void *arg)
{
	umx_evtchn *h;
	int p, q;
	(void)arg;

	CHILD_CHECK_OK(umx_evtchn_open(&h));
	p = umx_evtchn_alloc_unbound(h, UMX_EVTCHN_DOMID_SELF);
	q = umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)p);
	CHILD_CHECK(p > 0);
	CHILD_CHECK(q > 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)p) == 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	umx_evtchn_close(h);
	return 0;
}

static void test_port_exhaustion(void **state)
{
	struct umx_test_daemon d;
	int to_hog[2], from_hog[2], sync[2], base;
	uint32_t a, b;
	pid_t pa, pb;
	char c;
	(void)state;

	assert_int_equal(pipe(to_hog), 0);
	assert_int_equal(pipe(from_hog), 0);
	sync[0] = to_hog[0];
	sync[1] = from_hog[1];
	assert_int_equal(umx_test_daemon_start(&d), 0);
	base = umx_test_count_fds(d.pid);
	assert_int_equal(umx_test_domain_fork(&d, "hog", hog, sync, &a, &pa), 0);
	assert_int_equal(read(from_hog[0], &c, 1), 1);
	/* A port costs umxd no descriptor: the hog's UMX_EVT_PORTS_MAX ports,
	 * all with one peer (itself), share one bucket (a memfd and an
	 * eventfd); its connection and grant table are the rest. */
	int held = umx_test_count_fds(d.pid);
	fprintf(stderr, "umxd: %d descriptors before the hog, %d with its %u ports\n", base, held,
	        UMX_EVT_PORTS_MAX);
	assert_true(held <= base + 8);
	assert_int_equal(umx_test_domain_fork(&d, "neighbour", neighbour, NULL, &b, &pb), 0);
	assert_int_equal(umx_test_domain_reap(&d, b, pb), 0);
	assert_int_equal(write(to_hog[1], &c, 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, a, pa), 0);
	assert_int_equal(umx_test_wait_fds(d.pid, base), base);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_port_exhaustion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
