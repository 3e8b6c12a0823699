/* SPDX-License-Identifier: MIT */
/* MSA02: ending access to a page the peer still maps reports -EBUSY, the
 * page is never handed out again while mapped (a canary written to every
 * later share never shows in the peer's kept mapping), deferred release
 * completes once the peer unmaps, and the page is then reused only for the
 * same peer. */
#include "gnt_util.h"
#include "umx_test.h"

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	umx_conn *c;
	umx_gnt *g;
	umx_gnt_map *m;
	char *va;

	gnt_mapper_start(p, &c, &g, &msg);
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, msg.refs, 0, NULL, NULL, &m));
	va = umx_gnt_map_addr(m);
	CHILD_CHECK(strcmp(va, "for you") == 0);
	/* Keep the mapping; let the granter try to end access and reuse. */
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	gnt_msa02_check_kept(va);
	CHILD_CHECK_OK(umx_gnt_unmap(g, m));
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 2));
	/* Stay alive: pages are reused only for the live domain they were
	 * first shared with. */
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	umx_gnt_share *s, *more[40], *other, *again;
	uint32_t busy_frame, i, j;
	umx_conn *c;
	umx_gnt *g;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	gnt_msa02_share_one(p, c, g, &s, &busy_frame);
	/* New pages for the same peer and for another one: never the busy page. */
	gnt_msa02_busy_then_canaries(p, g, s, busy_frame, more, 40);
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->m2g[0], NULL));
	/* The peer unmapped: the deferred release completes. */
	CHILD_CHECK(umx_gnt_reap(g) == 0);
	for (i = 0; i < 40; i++)
		CHILD_CHECK(umx_gnt_end_access(g, more[i]) == 0);
	/* Reusable, but only for the peer it was bound to. */
	CHILD_CHECK_OK(umx_gnt_share_pages(g, GNT_OTHER_PEER, 64, 0, &other));
	for (j = 0; j < 64; j++)
		CHILD_CHECK(umx_gnt_share_frame(other, j) != busy_frame);
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, &again));
	CHILD_CHECK(umx_gnt_share_frame(again, 0) == busy_frame);
	CHILD_CHECK(((char *)umx_gnt_share_addr(again))[0] == 0); /* handed out zeroed */
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 3));
	return gnt_done(c, g);
}

static void test_msa02_end_access_busy(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_msa02_end_access_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
