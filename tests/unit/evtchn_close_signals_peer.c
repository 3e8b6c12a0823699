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
	int p, r, rc;

	if ((rc = evt_a_offer(pp, &h, &domid_b, &p)) != 0)
		return rc;
	q = umx_test_get_u32(pp->to_a[0]); /* B bound q */
	if (umx_evtchn_unbind(h, (uint32_t)p))
		return 12;
	if (umx_test_get_u32(pp->to_a[0]) != 1) /* B saw the event */
		return 13;
	/* B's port is unbound towards us now: bind to it again. */
	r = umx_evtchn_bind_interdomain(h, domid_b, q);
	if (r <= 0)
		return 14;
	if (umx_test_evtchn_wait(h) != r || umx_evtchn_unmask(h, (uint32_t)r))
		return 15;
	umx_test_put_u32(pp->to_b[1], 2);
	if (umx_test_evtchn_wait(h) != r) /* B notified through its old q */
		return 16;
	/* Unbound twice: the port is gone. */
	if (umx_evtchn_unbind(h, (uint32_t)r) || umx_evtchn_unbind(h, (uint32_t)r) != -EINVAL)
		return 17;
	umx_test_put_u32(pp->to_b[1], 3);
	umx_evtchn_close(h);
	return 0;
}

static int side_b(void *arg)
{
	struct evt_pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_a, rport;
	int q, rc;

	if ((rc = evt_b_bind(pp, &h, &domid_a, &rport, &q)) != 0)
		return rc;
	umx_test_put_u32(pp->to_a[1], (uint32_t)q);
	if (umx_test_evtchn_wait(h) != q || umx_evtchn_unmask(h, (uint32_t)q)) /* A closed */
		return 22;
	/* A third party may not take it: it is offered to A only — and a
	 * bind to our own q from ourselves is refused too. */
	if (umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)q) != -EINVAL)
		return 23;
	umx_test_put_u32(pp->to_a[1], 1);
	if (umx_test_get_u32(pp->to_b[0]) != 2)
		return 24;
	if (umx_evtchn_notify(h, (uint32_t)q))
		return 25;
	if (umx_test_get_u32(pp->to_b[0]) != 3)
		return 26;
	/* A unbound r: we hear of it. */
	if (umx_test_evtchn_wait(h) != q)
		return 27;
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
