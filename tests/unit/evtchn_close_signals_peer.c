/* SPDX-License-Identifier: MIT */
/* Closing one end signals the other, whose port becomes unbound towards the
 * closer (Xen semantics): the closer can bind to it again, and the old
 * notify path reaches the new binding. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "evtchn_util.h"

static int side_a(void *arg)
{
	struct evt_pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_b;
	uint32_t q;
	int p, r;

	evt_a_offer(pp, &h, &domid_b, &p);
	q = umx_test_get_u32(pp->to_a[0]); /* B bound q */
	CHILD_CHECK(umx_evtchn_unbind(h, (uint32_t)p) == 0);
	CHILD_CHECK(umx_test_get_u32(pp->to_a[0]) == 1); /* B saw the event */
	/* B's port is unbound towards us now: bind to it again. */
	r = umx_evtchn_bind_interdomain(h, domid_b, q);
	CHILD_CHECK(r > 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == r);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)r) == 0);
	umx_test_put_u32(pp->to_b[1], 2);
	CHILD_CHECK(umx_test_evtchn_wait(h) == r); /* B notified through its old q */
	/* Unbound twice: the port is gone. */
	CHILD_CHECK(umx_evtchn_unbind(h, (uint32_t)r) == 0);
	CHILD_CHECK(umx_evtchn_unbind(h, (uint32_t)r) == -EINVAL);
	umx_test_put_u32(pp->to_b[1], 3);
	umx_evtchn_close(h);
	return 0;
}

static int side_b(void *arg)
{
	struct evt_pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_a, rport;
	int q;

	evt_b_bind(pp, &h, &domid_a, &rport, &q);
	umx_test_put_u32(pp->to_a[1], (uint32_t)q);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0); /* A closed */
	/* A third party may not take it: it is offered to A only — and a
	 * bind to our own q from ourselves is refused too. */
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)q) == -EINVAL);
	umx_test_put_u32(pp->to_a[1], 1);
	CHILD_CHECK(umx_test_get_u32(pp->to_b[0]) == 2);
	CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_test_get_u32(pp->to_b[0]) == 3);
	/* A unbound r: we hear of it. */
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	umx_evtchn_close(h);
	return 0;
}

static void test_close_signals_peer(void **state)
{
	struct evt_pair x;
	(void)state;

	evt_pair_start(&x, "a", side_a, "b", side_b);
	evt_pair_finish(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_close_signals_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
