/* SPDX-License-Identifier: MIT */
/* Two domains: alloc-unbound + bind-interdomain, notify both ways, pending
 * names the port, 100 notifies while masked are one event after unmask;
 * and a loopback channel within one domain (DOMID_SELF). */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "evtchn_util.h"

static int side_a(void *arg)
{
	struct evt_pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_b;
	int p;

	evt_a_offer(pp, &h, &domid_b, &p);
	CHILD_CHECK(umx_test_get_u32(pp->to_a[0]) != 0xffffffffu); /* B bound */
	CHILD_CHECK(umx_test_evtchn_wait(h) == p);                 /* B -> A */
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)p) == 0);
	CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)p) == 0);
	CHILD_CHECK(umx_test_get_u32(pp->to_a[0]) == 1); /* B holds its port masked */
	for (int i = 0; i < 100; i++)
		CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)p) == 0);
	umx_test_put_u32(pp->to_b[1], 2);
	CHILD_CHECK(umx_test_get_u32(pp->to_a[0]) == 3);
	umx_evtchn_close(h);
	return 0;
}

static int side_b(void *arg)
{
	struct evt_pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_a, rport;
	int q;

	/* Includes the check that a binder's new port starts pending (Xen). */
	evt_b_bind(pp, &h, &domid_a, &rport, &q);
	umx_test_put_u32(pp->to_a[1], (uint32_t)q);
	CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q); /* A -> B */
	umx_test_put_u32(pp->to_a[1], 1);          /* masked now */
	CHILD_CHECK(umx_test_get_u32(pp->to_b[0]) == 2);
	CHILD_CHECK(umx_evtchn_pending(h) == -EAGAIN); /* still masked */
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_evtchn_pending(h) == -EAGAIN); /* coalesced into one */
	umx_test_put_u32(pp->to_a[1], 3);
	umx_evtchn_close(h);
	return 0;
}

static int loopback(void *arg)
{
	umx_evtchn *h;
	int p, q;
	(void)arg;

	CHILD_CHECK_OK(umx_evtchn_open(&h));
	p = umx_evtchn_alloc_unbound(h, UMX_EVTCHN_DOMID_SELF);
	q = umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)p);
	CHILD_CHECK(p > 0);
	CHILD_CHECK(q > 0);
	CHILD_CHECK(p != q);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	CHILD_CHECK(umx_evtchn_unmask(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)p) == 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q);
	CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_test_evtchn_wait(h) == p);
	umx_evtchn_close(h);
	return 0;
}

static void test_two_domains(void **state)
{
	struct evt_pair x;
	(void)state;

	evt_pair_start(&x, "a", side_a, "b", side_b);
	evt_pair_finish(&x);
}

static void test_loopback(void **state)
{
	struct umx_test_daemon d;
	uint32_t a;
	pid_t pa;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "loop", loopback, NULL, &a, &pa), 0);
	assert_int_equal(umx_test_domain_reap(&d, a, pa), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_two_domains),
	        cmocka_unit_test(test_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
