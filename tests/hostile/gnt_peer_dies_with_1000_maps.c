/* SPDX-License-Identifier: MIT */
/* A mapper killed with 1000 maps outstanding: afterwards umxd's descriptor
 * count and memory are back near their baseline and the granter can end
 * access on every ref. */
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "gnt_util.h"
#include "umx_test.h"

#define NMAPS 1000u

struct ctx {
	struct gnt_pipes p;
	int to_parent[2];
	int from_parent[2];
};

static int mapper(void *arg)
{
	struct ctx *x = arg;
	struct gnt_refs_msg msg;
	umx_gnt_map *m[NMAPS];
	umx_conn *c;
	umx_gnt *g;
	uint32_t i;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(gnt_read_all(x->p.g2m[0], &msg, sizeof(msg)));
	/* 1000 separate mappings (handles), over 16 regions. */
	for (i = 0; i < NMAPS; i++)
		CHILD_CHECK_OK(
		        umx_gnt_map_refs(g, msg.granter, 1, &msg.refs[i], 0, NULL, NULL, &m[i]));
	CHILD_CHECK_OK(gnt_ack(x->to_parent[1], 'M'));
	for (;;)
		pause();
}

static int granter(void *arg)
{
	struct ctx *x = arg;
	struct gnt_refs_msg msg = {0};
	struct timespec ts = {0, 1000000};
	umx_gnt_share *s;
	umx_conn *c;
	umx_gnt *g;
	uint32_t i;
	int r;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, x->p.peer, NMAPS, 0, &s));
	msg.granter = umx_conn_domid(c);
	msg.count = NMAPS;
	for (i = 0; i < NMAPS; i++)
		msg.refs[i] = umx_gnt_share_ref(s, i);
	CHILD_CHECK_OK(gnt_ack(x->to_parent[1], 'S'));
	CHILD_CHECK_OK(gnt_wait(x->from_parent[0], NULL));
	CHILD_CHECK_OK(gnt_write_all(x->p.g2m[1], &msg, sizeof(msg)));
	CHILD_CHECK_OK(gnt_wait(x->from_parent[0], NULL)); /* the mapper is dead */
	r = umx_gnt_end_access(g, s);
	for (i = 0; r != 0 && i < 5000; i++) {
		nanosleep(&ts, NULL);
		r = umx_gnt_reap(g);
	}
	CHILD_CHECK(r == 0);
	return gnt_done(c, g);
}

static void test_peer_dies_with_1000_maps(void **state)
{
	struct umx_test_daemon d;
	struct umx_ctl_domain_info info[4];
	struct ctx x;
	uint32_t dm, dg;
	pid_t pm, pg;
	int fds0, fds1, fds2, n, i;
	long rss0, rss1, rss2;
	uint8_t b;
	(void)state;

	assert_int_equal(gnt_pipes_init(&x.p), 0);
	assert_int_equal(pipe(x.to_parent), 0);
	assert_int_equal(pipe(x.from_parent), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "mapper", mapper, &x, &dm, &pm), 0);
	x.p.peer = dm;
	assert_int_equal(umx_test_domain_fork(&d, "granter", granter, &x, &dg, &pg), 0);
	assert_int_equal(gnt_wait(x.to_parent[0], &b), 0);
	assert_int_equal(b, 'S');
	fds0 = umx_test_count_fds(d.pid);
	rss0 = umx_test_rss_kib(d.pid);
	assert_int_equal(gnt_ack(x.from_parent[1], 'G'), 0);
	assert_int_equal(gnt_wait(x.to_parent[0], &b), 0);
	assert_int_equal(b, 'M');
	fds1 = umx_test_count_fds(d.pid);
	rss1 = umx_test_rss_kib(d.pid);
	n = umx_domain_list(d.ts, 0, info, 4);
	assert_int_equal(n, 2);
	assert_int_equal(info[0].pages_mapped, NMAPS);
	assert_int_equal(info[1].grants_active, NMAPS);
	kill(pm, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, dm, pm), 128 + SIGKILL);
	/* umxd notices the death on its own loop round. */
	for (i = 0; i < 500; i++) {
		n = umx_domain_list(d.ts, dg, info, 1);
		if (n == 1 && info[0].grants_active == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(info[0].grants_active, 0);
	fds2 = umx_test_count_fds(d.pid);
	rss2 = umx_test_rss_kib(d.pid);
	printf("umxd fds %d -> %d -> %d, rss KiB %ld -> %ld -> %ld\n", fds0, fds1, fds2, rss0, rss1,
	       rss2);
	assert_true(fds2 <= fds0);
	assert_true(rss2 <= rss0 + 2048);
	assert_int_equal(gnt_ack(x.from_parent[1], 'K'), 0);
	assert_int_equal(umx_test_domain_reap(&d, dg, pg), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	gnt_pipes_close(&x.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_peer_dies_with_1000_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
