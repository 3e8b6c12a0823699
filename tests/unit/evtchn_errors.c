/* SPDX-License-Identifier: MIT */
/* Bad event-channel requests fail with Xen's errors and leave the
 * connection usable: unknown domain, port out of range, a port offered to
 * someone else, double bind, close of an unknown port. A malformed payload
 * is a protocol violation and does drop the connection. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "umx/evtchn.h"
#include "umx_test.h"

#include "umx/internal/ctl.h"
static int errors(void *arg)
{
	uint32_t other = *(uint32_t *)arg;
	umx_evtchn *h;
	umx_conn *c;
	int p, q;

	CHILD_CHECK_OK(umx_evtchn_open(&h));
	CHILD_CHECK(umx_evtchn_alloc_unbound(h, 9999) == -ESRCH);
	CHILD_CHECK(umx_evtchn_alloc_unbound(h, 0) == -ESRCH);
	CHILD_CHECK(umx_evtchn_alloc_unbound(h, 0xffffffffu) == -ESRCH);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, 9999, 1) == -ESRCH);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, 0) == -EINVAL);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, UMX_EVT_PORTS_MAX + 1) ==
	            -EINVAL);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, 0xffffffffu) == -EINVAL);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, other, 1) == -EINVAL);
	/* Offered to the bystander, not to us. */
	p = umx_evtchn_alloc_unbound(h, other);
	CHILD_CHECK(p > 0);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)p) == -EINVAL);
	/* Double bind. */
	p = umx_evtchn_alloc_unbound(h, UMX_EVTCHN_DOMID_SELF);
	q = umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)p);
	CHILD_CHECK(p > 0);
	CHILD_CHECK(q > 0);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)p) == -EINVAL);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)q) == -EINVAL);
	/* Close of what we do not hold. */
	CHILD_CHECK(umx_evtchn_unbind(h, 777) == -EINVAL);
	CHILD_CHECK(umx_evtchn_unbind(h, 0) == -EINVAL);
	CHILD_CHECK(umx_evtchn_unbind(h, 0xffffffffu) == -EINVAL);
	CHILD_CHECK(umx_evtchn_notify(h, 777) == -EINVAL);
	/* Still connected and working. */
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)p) == 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	/* Garbage: a short payload ends the connection. */
	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	uint32_t half = 1;
	CHILD_CHECK(umx_conn_call(c, UMX_CTL_EVT_CLOSE, &half, sizeof(half), NULL, 0, NULL, NULL, 0,
	                          NULL) == -ECONNRESET);
	umx_conn_close(c);
	umx_evtchn_close(h);
	return 0;
}

static void test_errors(void **state)
{
	struct umx_test_daemon d;
	uint32_t a, b;
	pid_t pa, pb;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "bystander", umx_test_domain_idle, NULL, &b, &pb),
	                 0);
	assert_int_equal(umx_test_domain_fork(&d, "errors", errors, &b, &a, &pa), 0);
	assert_int_equal(umx_test_domain_reap(&d, a, pa), 0);
	kill(pb, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, b, pb), 128 + SIGKILL);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
