/* SPDX-License-Identifier: MIT */
/* kill -9 of a domain: the peer's bound port gets an event, and the dead
 * domain's ports are gone (no bind to them, no port count). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "evtchn_util.h"

static int victim(void *arg)
{
	struct evt_pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_b;
	int p;

	evt_a_offer(pp, &h, &domid_b, &p);
	pause();
	return 0;
}

static int survivor(void *arg)
{
	struct evt_pipes *pp = arg;
	umx_evtchn *h;
	uint32_t domid_a, rport;
	int q;

	evt_b_bind(pp, &h, &domid_a, &rport, &q);
	umx_test_put_u32(pp->to_parent[1], 1);
	CHILD_CHECK(umx_test_evtchn_wait(h) == q); /* the victim died */
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, domid_a, rport) == -ESRCH);
	/* Notifying a port whose peer is gone is harmless. */
	CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)q) == 0);
	CHILD_CHECK(umx_evtchn_unbind(h, (uint32_t)q) == 0);
	umx_evtchn_close(h);
	return 0;
}

static void test_peer_death(void **state)
{
	struct umx_ctl_domain_info info[4];
	struct evt_pair x;
	(void)state;

	evt_pair_start(&x, "victim", victim, "survivor", survivor);
	assert_int_equal(umx_test_get_u32(x.pp.to_parent[0]), 1);
	assert_int_equal(umx_domain_list(x.d.ts, x.a, info, 1), 1);
	assert_int_equal(info[0].ports, 1);
	kill(x.pa, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&x.d, x.a, x.pa), 128 + SIGKILL);
	assert_int_equal(umx_test_domain_reap(&x.d, x.b, x.pb), 0);
	assert_int_equal(umx_test_daemon_stop(&x.d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_peer_death),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
