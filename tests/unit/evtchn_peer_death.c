/* SPDX-License-Identifier: MIT */
/* kill -9 of a domain: the peer's bound port gets an event, and the dead
 * domain's ports are gone (no bind to them, no port count). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "umx/evtchn.h"
#include "umx_test.h"

struct pipes {
	int to_a[2], to_b[2], to_parent[2];
};

static int victim(void *arg)
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
	pause();
	return 0;
}

static int survivor(void *arg)
{
	struct pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_a = umx_test_get_u32(pp->to_b[0]);
	uint32_t rport = umx_test_get_u32(pp->to_b[0]);
	int q;

	if (umx_evtchn_open(&h) < 0)
		return 20;
	q = umx_evtchn_bind_interdomain(h, domid_a, rport);
	if (q <= 0 || umx_test_evtchn_wait(h) != q || umx_evtchn_unmask(h, (uint32_t)q))
		return 21;
	umx_test_put_u32(pp->to_parent[1], 1);
	if (umx_test_evtchn_wait(h) != q) /* the victim died */
		return 22;
	if (umx_evtchn_bind_interdomain(h, domid_a, rport) != -ESRCH)
		return 23;
	/* Notifying a port whose peer is gone is harmless. */
	if (umx_evtchn_notify(h, (uint32_t)q) || umx_evtchn_unbind(h, (uint32_t)q))
		return 24;
	umx_evtchn_close(h);
	return 0;
}

static void test_peer_death(void **state)
{
	struct umx_test_daemon d;
	struct pipes pp;
	struct umx_ctl_domain_info info[4];
	uint32_t a, b;
	pid_t pa, pb;
	(void)state;

	assert_int_equal(pipe(pp.to_a), 0);
	assert_int_equal(pipe(pp.to_b), 0);
	assert_int_equal(pipe(pp.to_parent), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "victim", victim, &pp, &a, &pa), 0);
	assert_int_equal(umx_test_domain_fork(&d, "survivor", survivor, &pp, &b, &pb), 0);
	umx_test_put_u32(pp.to_a[1], b);
	umx_test_put_u32(pp.to_b[1], a);
	assert_int_equal(umx_test_get_u32(pp.to_parent[0]), 1);
	assert_int_equal(umx_domain_list(d.ts, a, info, 1), 1);
	assert_int_equal(info[0].ports, 1);
	kill(pa, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, a, pa), 128 + SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, b, pb), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_peer_death),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
