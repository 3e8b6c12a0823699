/* SPDX-License-Identifier: MIT */
/* MSA02: ending access to a page the peer still maps reports -EBUSY, the
 * page is never handed out again while mapped (a canary written to every
 * later share never shows in the peer's kept mapping), deferred release
 * completes once the peer unmaps, and the page is then reused only for the
 * same peer. */
#include "gnt_util.h"
#include "umx_test.h"

#define OTHER_PEER 999u /* regions may be bound to a domid not yet running */

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	umx_conn *c;
	umx_gnt *g;
	umx_gnt_map *m;
	char *va;
	size_t i;
	int rc;

	if ((rc = gnt_mapper_start(p, &c, &g, &msg)) != 0)
		return rc;
	if (umx_gnt_map_refs(g, msg.granter, 1, msg.refs, 0, NULL, NULL, &m) < 0)
		return 12;
	va = umx_gnt_map_addr(m);
	if (strcmp(va, "for you"))
		return 13;
	/* Keep the mapping; let the granter try to end access and reuse. */
	if (gnt_ack(p->m2g[1], 1) < 0 || gnt_wait(p->g2m[0], NULL) < 0)
		return 14;
	for (i = 0; i + 6 <= 4096; i++)
		if (!memcmp(va + i, "SECRET", 6))
			return 15; /* the bug MSA02 is about */
	if (strcmp(va, "for you"))
		return 16;
	if (umx_gnt_unmap(g, m) < 0)
		return 17;
	if (gnt_ack(p->m2g[1], 2) < 0)
		return 18;
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *s, *more[40], *other, *again;
	uint32_t busy_frame, i, j;
	umx_conn *c;
	umx_gnt *g;

	if (gnt_open(&c, &g) < 0)
		return 20;
	if (umx_gnt_share_pages(g, p->peer, 1, 0, &s) < 0)
		return 21;
	strcpy(umx_gnt_share_addr(s), "for you");
	busy_frame = umx_gnt_share_frame(s, 0);
	msg.granter = umx_conn_domid(c);
	msg.count = 1;
	msg.refs[0] = umx_gnt_share_ref(s, 0);
	if (gnt_send_refs(p, &msg) < 0)
		return 22;
	if (umx_gnt_end_access(g, s) != -EBUSY)
		return 23;
	if (umx_gnt_reap(g) != 1)
		return 24;
	/* New pages for the same peer and for another one: never the busy page. */
	for (i = 0; i < 40; i++) {
		if (umx_gnt_share_pages(g, i % 2 ? p->peer : OTHER_PEER, 1, 0, &more[i]) < 0)
			return 25;
		if (umx_gnt_share_frame(more[i], 0) == busy_frame)
			return 26;
		memcpy(umx_gnt_share_addr(more[i]), "SECRET", 6);
	}
	if (gnt_ack(p->g2m[1], 1) < 0 || gnt_wait(p->m2g[0], NULL) < 0)
		return 27;
	/* The peer unmapped: the deferred release completes. */
	if (umx_gnt_reap(g) != 0)
		return 28;
	for (i = 0; i < 40; i++)
		if (umx_gnt_end_access(g, more[i]) != 0)
			return 29;
	/* Reusable, but only for the peer it was bound to. */
	if (umx_gnt_share_pages(g, OTHER_PEER, 64, 0, &other) < 0)
		return 30;
	for (j = 0; j < 64; j++)
		if (umx_gnt_share_frame(other, j) == busy_frame)
			return 31;
	if (umx_gnt_share_pages(g, p->peer, 1, 0, &again) < 0)
		return 32;
	if (umx_gnt_share_frame(again, 0) != busy_frame)
		return 33;
	if (((char *)umx_gnt_share_addr(again))[0] != 0)
		return 34; /* handed out zeroed */
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
