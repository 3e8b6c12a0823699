/* SPDX-License-Identifier: MIT */
/* A delivered port stays masked until unmasked; notifies coalesce while
 * pending or masked; masking one port leaves the others deliverable. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "umx/evtchn.h"
#include "umx_test.h"

static int masking(void *arg)
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
	/* Five notifies before anyone looks: one event. */
	for (int i = 0; i < 5; i++)
		umx_evtchn_notify(h, (uint32_t)p);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_evtchn_pending(h) == -EAGAIN);
	/* Delivered -> masked: a further notify is held back... */
	umx_evtchn_notify(h, (uint32_t)p);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	umx_evtchn_notify(h, (uint32_t)p);
	CHILD_CHECK(umx_evtchn_pending(h) == -EAGAIN);
	/* ...while another port still delivers. */
	umx_evtchn_notify(h, (uint32_t)q);
	CHILD_CHECK(umx_test_evtchn_wait(h) == p);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)p) == 0);
	/* Unmask delivers what arrived while masked, exactly once. */
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_evtchn_pending(h) == -EAGAIN);
	/* Unmask of a port that is not ours. */
	CHILD_CHECK(umx_evtchn_unmask(h, 999) == -EINVAL);
	CHILD_CHECK(umx_evtchn_unmask(h, 0) == -EINVAL);
	CHILD_CHECK(umx_evtchn_unmask(h, 1u << 20) == -EINVAL);
	umx_evtchn_close(h);
	return 0;
}

static void test_mask_unmask(void **state)
{
	struct umx_test_daemon d;
	uint32_t a;
	pid_t pa;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "mask", masking, NULL, &a, &pa), 0);
	assert_int_equal(umx_test_domain_reap(&d, a, pa), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mask_unmask),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
