/* SPDX-License-Identifier: MIT */
/* Two domains: alloc-unbound + bind-interdomain, notify both ways, pending
 * names the port, 100 notifies while masked are one event after unmask;
 * and a loopback channel within one domain (DOMID_SELF). */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "umx/evtchn.h"
#include "umx_test.h"

struct pipes {
	int to_a[2], to_b[2];
};

static int side_a(void *arg)
{
	struct pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_b = umx_test_get_u32(pp->to_a[0]);
	int p;

	if (umx_evtchn_open(&h) < 0)
		return 10;
	p = umx_evtchn_bind_unbound_port(h, domid_b);
	if (p <= 0)
		return 11;
	umx_test_put_u32(pp->to_b[1], (uint32_t)p);
	if (umx_test_get_u32(pp->to_a[0]) == 0xffffffffu) /* B bound */
		return 12;
	if (umx_test_evtchn_wait(h) != p) /* B -> A */
		return 13;
	if (umx_evtchn_unmask(h, (uint32_t)p) || umx_evtchn_notify(h, (uint32_t)p))
		return 14;
	if (umx_test_get_u32(pp->to_a[0]) != 1) /* B holds its port masked */
		return 15;
	for (int i = 0; i < 100; i++)
		if (umx_evtchn_notify(h, (uint32_t)p))
			return 16;
	umx_test_put_u32(pp->to_b[1], 2);
	if (umx_test_get_u32(pp->to_a[0]) != 3)
		return 17;
	umx_evtchn_close(h);
	return 0;
}

static int side_b(void *arg)
{
	struct pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_a = umx_test_get_u32(pp->to_b[0]);
	uint32_t rport = umx_test_get_u32(pp->to_b[0]);
	int q;

	if (umx_evtchn_open(&h) < 0)
		return 20;
	q = umx_evtchn_bind_interdomain(h, domid_a, rport);
	if (q <= 0)
		return 21;
	/* A binder's new port starts pending (Xen). */
	if (umx_test_evtchn_wait(h) != q || umx_evtchn_unmask(h, (uint32_t)q))
		return 22;
	umx_test_put_u32(pp->to_a[1], (uint32_t)q);
	if (umx_evtchn_notify(h, (uint32_t)q))
		return 23;
	if (umx_test_evtchn_wait(h) != q) /* A -> B */
		return 24;
	umx_test_put_u32(pp->to_a[1], 1); /* masked now */
	if (umx_test_get_u32(pp->to_b[0]) != 2)
		return 25;
	if (umx_evtchn_pending(h) != -EAGAIN) /* still masked */
		return 26;
	if (umx_evtchn_unmask(h, (uint32_t)q) || umx_test_evtchn_wait(h) != q)
		return 27;
	if (umx_evtchn_unmask(h, (uint32_t)q) || umx_evtchn_pending(h) != -EAGAIN)
		return 28; /* coalesced into one */
	umx_test_put_u32(pp->to_a[1], 3);
	umx_evtchn_close(h);
	return 0;
}

static int loopback(void *arg)
{
	umx_evtchn *h;
	int p, q;
	(void)arg;

	if (umx_evtchn_open(&h) < 0)
		return 30;
	p = umx_evtchn_bind_unbound_port(h, UMX_EVTCHN_DOMID_SELF);
	q = umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)p);
	if (p <= 0 || q <= 0 || p == q)
		return 31;
	if (umx_test_evtchn_wait(h) != q || umx_evtchn_unmask(h, (uint32_t)q))
		return 32;
	if (umx_evtchn_notify(h, (uint32_t)p) || umx_test_evtchn_wait(h) != q)
		return 33;
	if (umx_evtchn_notify(h, (uint32_t)q) || umx_test_evtchn_wait(h) != p)
		return 34;
	umx_evtchn_close(h);
	return 0;
}

static void test_two_domains(void **state)
{
	struct umx_test_daemon d;
	struct pipes pp;
	uint32_t a, b;
	pid_t pa, pb;
	(void)state;

	assert_int_equal(pipe(pp.to_a), 0);
	assert_int_equal(pipe(pp.to_b), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "a", side_a, &pp, &a, &pa), 0);
	assert_int_equal(umx_test_domain_fork(&d, "b", side_b, &pp, &b, &pb), 0);
	umx_test_put_u32(pp.to_a[1], b);
	umx_test_put_u32(pp.to_b[1], a);
	assert_int_equal(umx_test_domain_reap(&d, a, pa), 0);
	assert_int_equal(umx_test_domain_reap(&d, b, pb), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
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
