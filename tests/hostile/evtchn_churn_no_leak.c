/* SPDX-License-Identifier: MIT */
/* Thousands of alloc/bind/notify/close cycles, then 200 domains killed with
 * ports bound to a long-lived peer (which hears each death): umxd's
 * descriptor count returns to its baseline. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "umx/internal/ctl.h"
#include "umx/evtchn.h"
#include "umx_test.h"

#define CYCLES  3000
#define VICTIMS 200

struct pipes {
	int to_peer[2];   /* parent -> peer: victim domid, 0 = quit */
	int to_victim[2]; /* peer -> victim: the port offered to it */
	int to_parent[2]; /* victim: bound; peer: saw the death */
};

static int peer(void *arg)
{
	struct pipes *pp = arg;
	umx_evtchn *h;
	uint32_t v;

	CHILD_CHECK_OK(umx_evtchn_open(&h));
	for (int i = 0; i < CYCLES; i++) {
		int p = umx_evtchn_alloc_unbound(h, UMX_EVTCHN_DOMID_SELF);
		int q = umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)p);
		CHILD_CHECK(p > 0);
		CHILD_CHECK(q > 0);
		CHILD_CHECK(umx_evtchn_notify(h, (uint32_t)p) == 0);
		while (umx_evtchn_pending(h) > 0)
			;
		/* Close either end first, and sometimes leave one unbound. */
		uint32_t first = (uint32_t)(i & 1 ? p : q), second = (uint32_t)(i & 1 ? q : p);
		CHILD_CHECK(umx_evtchn_unbind(h, first) == 0);
		CHILD_CHECK(umx_evtchn_unbind(h, second) == 0);
	}
	while ((v = umx_test_get_u32(pp->to_peer[0])) != 0 && v != 0xffffffffu) {
		int p = umx_evtchn_alloc_unbound(h, v);
		CHILD_CHECK(p > 0);
		umx_test_put_u32(pp->to_victim[1], (uint32_t)p);
		int e;
		while ((e = umx_test_evtchn_wait(h)) != p) {
			CHILD_CHECK_OK(e);
			umx_evtchn_unmask(h, (uint32_t)e);
		}
		CHILD_CHECK(umx_evtchn_unbind(h, (uint32_t)p) == 0);
		umx_test_put_u32(pp->to_parent[1], 2);
	}
	umx_evtchn_close(h);
	return 0;
}

static int victim(void *arg)
{
	struct pipes *pp = arg;
	uint32_t peer_domid = umx_test_get_u32(pp->to_victim[0]);
	uint32_t port = umx_test_get_u32(pp->to_victim[0]);
	umx_evtchn *h;
	int q, p;

	CHILD_CHECK_OK(umx_evtchn_open(&h));
	q = umx_evtchn_bind_interdomain(h, peer_domid, port);
	p = umx_evtchn_alloc_unbound(h, UMX_EVTCHN_DOMID_SELF);
	CHILD_CHECK(q > 0);
	CHILD_CHECK(p > 0);
	CHILD_CHECK(umx_evtchn_bind_interdomain(h, UMX_EVTCHN_DOMID_SELF, (uint32_t)p) > 0);
	umx_test_put_u32(pp->to_parent[1], 1);
	pause();
	return 0;
}

static void test_churn_no_leak(void **state)
{
	struct umx_test_daemon d;
	struct pipes pp;
	uint32_t l, v;
	pid_t pl, pv;
	int base;
	(void)state;

	assert_int_equal(pipe(pp.to_peer), 0);
	assert_int_equal(pipe(pp.to_victim), 0);
	assert_int_equal(pipe(pp.to_parent), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	base = umx_test_count_fds(d.pid);
	assert_true(base > 0);
	assert_int_equal(umx_test_domain_fork(&d, "peer", peer, &pp, &l, &pl), 0);
	for (int i = 0; i < VICTIMS; i++) {
		assert_int_equal(umx_test_domain_fork(&d, "victim", victim, &pp, &v, &pv), 0);
		/* The victim learns the peer's domid and its port from the pipe. */
		umx_test_put_u32(pp.to_victim[1], l);
		umx_test_put_u32(pp.to_peer[1], v);
		assert_int_equal(umx_test_get_u32(pp.to_parent[0]), 1);
		kill(pv, SIGKILL);
		assert_int_equal(umx_test_domain_reap(&d, v, pv), 128 + SIGKILL);
		assert_int_equal(umx_test_get_u32(pp.to_parent[0]), 2);
	}
	umx_test_put_u32(pp.to_peer[1], 0);
	assert_int_equal(umx_test_domain_reap(&d, l, pl), 0);
	assert_int_equal(umx_test_wait_fds(d.pid, base), base);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_churn_no_leak),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
