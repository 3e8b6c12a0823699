/* SPDX-License-Identifier: MIT */
/* Unmap notify (gntdev/gntalloc): umxd clears the byte and signals the
 * port when a mapping goes away by explicit unmap and when the mapper is
 * killed with SIGKILL; a share's notify fires when the share ends. */
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <time.h>

#include "gnt_util.h"
#include "umx/evtchn.h"
#include "umx_test.h"

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	struct umx_gnt_notify n;
	umx_gnt_map *m;
	umx_evtchn *e;
	umx_conn *c;
	umx_gnt *g;
	int port;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_evtchn_open(&e));
	CHILD_CHECK_OK(gnt_read_all(p->g2m[0], &msg, sizeof(msg)));
	port = umx_evtchn_bind_interdomain(e, msg.granter, msg.flags);
	CHILD_CHECK(port > 0);
	n.flags = UMX_GNT_NOTIFY_BYTE | UMX_GNT_NOTIFY_EVENT;
	n.offset = 100;
	n.port = (uint32_t)port;
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, msg.refs, 0, &n, NULL, &m));
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	CHILD_CHECK_OK(umx_gnt_unmap(g, m));
	/* Map again with a notify at another byte, then get killed. */
	n.offset = 200;
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, msg.refs, 0, &n, NULL, &m));
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 2));
	for (;;)
		pause();
}

/* Wait up to 5 s for an event on @port; 0 when it came. */
static int wait_event(umx_evtchn *e, int port, int tries)
{
	struct pollfd pfd = {.fd = umx_evtchn_fd(e), .events = POLLIN};
	int i, r;

	for (i = 0; i < tries; i++) {
		r = umx_evtchn_pending(e);
		if (r == port) {
			umx_evtchn_unmask(e, (umx_evtchn_port_t)port);
			return 0;
		}
		poll(&pfd, 1, 10);
	}
	return -1;
}

static int wait_zero(volatile char *b)
{
	struct timespec ts = {0, 1000000};
	int i;

	for (i = 0; i < 5000 && *b; i++)
		nanosleep(&ts, NULL);
	return *b ? -1 : 0;
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *s;
	umx_evtchn *e;
	umx_conn *c;
	umx_gnt *g;
	struct umx_gnt_copy_seg seg;
	uint32_t frame;
	int16_t st;
	char *va;
	int port;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_evtchn_open(&e));
	port = umx_evtchn_alloc_unbound(e, p->peer);
	CHILD_CHECK(port > 0);
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, &s));
	va = umx_gnt_share_addr(s);
	va[100] = va[200] = va[300] = 1;
	msg.granter = umx_conn_domid(c);
	msg.count = 1;
	msg.flags = (uint32_t)port;
	msg.refs[0] = umx_gnt_share_ref(s, 0);
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
	CHILD_CHECK(va[100] == 1);   /* nothing happens while mapped */
	(void)umx_evtchn_pending(e); /* drop a bind-time event, if any */
	umx_evtchn_unmask(e, (umx_evtchn_port_t)port);
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->m2g[0], NULL));
	/* The mapper unmapped (explicitly) and mapped again. */
	CHILD_CHECK(va[100] == 0);
	/* ...and the event: umxd notifies the remote end of the mapper's
	 * port, as Linux's notify_remote_via_evtchn does. */
	CHILD_CHECK_OK(wait_event(e, port, 2000));
	CHILD_CHECK(va[200] == 1);
	kill((pid_t)p->arg, SIGKILL);
	CHILD_CHECK_OK(wait_zero(va + 200));
	/* On death the port closes too, so an event arrives either way. */
	CHILD_CHECK_OK(wait_event(e, port, 500));
	/* gntalloc side: a share's notify fires when the share ends. */
	CHILD_CHECK_OK(umx_gnt_share_set_notify(
	        g, s, &(struct umx_gnt_notify){UMX_GNT_NOTIFY_BYTE, 300, 0}));
	CHILD_CHECK(va[300] == 1);
	frame = umx_gnt_share_frame(s, 0);
	CHILD_CHECK(umx_gnt_end_access(g, s) == 0);
	/* The share is unmapped from us now: read the byte through a copy of
	 * our own frame into a page of another pool. */
	CHILD_CHECK_OK(umx_gnt_share_pages(g, 999, 1, 0, &s));
	((char *)umx_gnt_share_addr(s))[0] = 1;
	memset(&seg, 0, sizeof(seg));
	seg.source.ref_or_frame = frame;
	seg.source.offset = 300;
	seg.dest.ref_or_frame = umx_gnt_share_frame(s, 0);
	seg.len = 1;
	CHILD_CHECK_OK(umx_gnt_copy(g, 1, &seg, &st));
	CHILD_CHECK(st == 0);
	CHILD_CHECK(((char *)umx_gnt_share_addr(s))[0] == 0);
	umx_gnt_close(g);
	umx_evtchn_close(e);
	umx_conn_close(c);
	return 0;
}

static void test_unmap_notify(void **state)
{
	struct umx_test_daemon d;
	struct gnt_pipes p;
	uint32_t dm, dg;
	pid_t pm, pg;
	(void)state;

	assert_int_equal(gnt_pipes_init(&p), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "mapper", mapper, &p, &dm, &pm), 0);
	p.peer = dm;
	p.arg = (uint32_t)pm;
	assert_int_equal(umx_test_domain_fork(&d, "granter", granter, &p, &dg, &pg), 0);
	assert_int_equal(umx_test_domain_reap(&d, dg, pg), 0);
	assert_int_equal(umx_test_domain_reap(&d, dm, pm), 128 + SIGKILL);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	gnt_pipes_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unmap_notify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
