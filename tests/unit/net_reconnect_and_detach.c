/* SPDX-License-Identifier: MIT */
/* The xenbus life cycle: a frontend closes (Closing → Closed, the backend
 * follows to Closed and unmaps), reopens (Initialising → the backend's
 * InitWait → Connected) and exchanges frames again; then the toolstack
 * detaches the other vif: the switch drops that port and its frontend sees
 * the link go down. */
#include "umx_test.h"
#include "net_util.h"

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct ctx {
	int go[2], a_done[2], b_got[2], detached[2], b_ready[2];
};

static void frame(uint8_t *f, int tag)
{
	memset(f, 0, 60);
	memcpy(f, bcast, 6);
	f[6] = 2;
	f[11] = 0x0a;
	net_put16(f + 12, 0x88b5);
	f[14] = (uint8_t)tag;
}

static int dom_a(void *arg)
{
	struct ctx *c = arg;
	uint8_t f[60];
	umx_plat *p;
	umx_netfront *nf;
	char ch;

	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK(read(c->b_ready[0], &ch, 1) == 1);
	for (int round = 1; round <= 2; round++) {
		CHILD_CHECK_OK(umx_netfront_open(p, 0, 10000, &nf));
		frame(f, round);
		CHILD_CHECK_OK(umx_netfront_send(nf, f, 60));
		CHILD_CHECK(read(c->b_got[0], &ch, 1) == 1);
		CHILD_CHECK(ch == round);
		umx_netfront_close(nf);
	}
	umx_plat_close(p);
	CHILD_CHECK(write(c->a_done[1], "d", 1) == 1);
	return 0;
}

static int dom_b(void *arg)
{
	struct ctx *c = arg;
	uint8_t got[UMX_NET_FRAME_MAX], want[60];
	umx_plat *p;
	umx_netfront *nf;
	char ch;

	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netfront_open(p, 0, 10000, &nf));
	CHILD_CHECK(write(c->b_ready[1], "r", 1) == 1);
	for (char round = 1; round <= 2; round++) {
		int r = net_recv_timeout(nf, got, sizeof(got), 10000);
		frame(want, round);
		CHILD_CHECK(r == 60);
		CHILD_CHECK(memcmp(got, want, 60) == 0);
		CHILD_CHECK(write(c->b_got[1], &round, 1) == 1);
	}
	CHILD_CHECK(read(c->detached[0], &ch, 1) == 1);
	for (int i = 0; i < 50 && umx_netfront_link_up(nf); i++)
		umx_netfront_wait(nf, 100);
	CHILD_CHECK(umx_netfront_link_up(nf) == 0);
	CHILD_CHECK(umx_netfront_send(nf, want, 60) == -ENOTCONN);
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

static void test_net_reconnect_and_detach(void **state)
{
	struct umx_test_daemon d;
	struct umx_net_port ports[UMX_NET_PORTS_MAX];
	struct net_sw sw;
	struct ctx c;
	uint32_t sdom, adom, bdom;
	pid_t spid, apid, bpid;
	umx_xs *xs;
	char ch;
	int n;
	(void)state;

	assert_int_equal(pipe(c.go) | pipe(c.a_done) | pipe(c.b_got) | pipe(c.detached) |
	                         pipe(c.b_ready),
	                 0);
	net_switch_start(&d, &sw, &sdom, &spid);
	assert_int_equal(umx_test_domain_fork(&d, "a", dom_a, &c, &adom, &apid), 0);
	assert_int_equal(umx_test_domain_fork(&d, "b", dom_b, &c, &bdom, &bpid), 0);
	assert_int_equal(net_attach(adom, sdom, 0x0a), 0);
	assert_int_equal(net_attach(bdom, sdom, 0x0b), 0);
	assert_int_equal(write(c.go[1], "gg", 2), 2);
	assert_int_equal(read(c.a_done[0], &ch, 1), 1);
	/* The toolstack takes B's vif away. */
	assert_int_equal(umx_xs_open(&xs), 0);
	assert_int_equal(umx_net_detach(xs, bdom, sdom, 0), 0);
	umx_xs_close(xs);
	assert_int_equal(write(c.detached[1], "x", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, adom, apid), 0);
	assert_int_equal(umx_test_domain_reap(&d, bdom, bpid), 0);
	n = net_sw_stop(&sw, ports);
	assert_int_equal(n, 1);
	assert_int_equal(ports[0].front_domid, adom);
	assert_string_equal(ports[0].reason, "");
	assert_int_equal(ports[0].rx_frames, 2);
	net_switch_finish(&d, sdom, spid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_net_reconnect_and_detach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
