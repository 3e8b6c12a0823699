/* SPDX-License-Identifier: MIT */
/* GNTTABOP_copy semantics: gref to own frame and own frame to gref, in one
 * batch, with per-op statuses; nothing stays pinned afterwards. */
#include "gnt_util.h"
#include "umx_test.h"

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	struct umx_gnt_copy_seg seg[2];
	umx_gnt_share *own;
	int16_t st[2];
	umx_conn *c;
	umx_gnt *g;
	char *mine;

	gnt_mapper_start(p, &c, &g, &msg);
	/* Our own page (a frame of ours) to copy into and out of. */
	CHILD_CHECK_OK(umx_gnt_share_pages(g, msg.granter, 1, 0, &own));
	mine = umx_gnt_share_addr(own);
	strcpy(mine + 2000, "from the mapper");
	memset(seg, 0, sizeof(seg));
	seg[0].source.ref_or_frame = msg.refs[0];
	seg[0].source.domid = msg.granter;
	seg[0].source.offset = 10;
	seg[0].dest.ref_or_frame = umx_gnt_share_frame(own, 0);
	seg[0].dest.offset = 0;
	seg[0].len = 16;
	seg[0].flags = UMX_GNT_COPY_SOURCE_GREF;
	seg[1].source.ref_or_frame = umx_gnt_share_frame(own, 0);
	seg[1].source.offset = 2000;
	seg[1].dest.ref_or_frame = msg.refs[0];
	seg[1].dest.domid = msg.granter;
	seg[1].dest.offset = UMX_PAGE_SIZE - 16;
	seg[1].len = 16;
	seg[1].flags = UMX_GNT_COPY_DEST_GREF;
	CHILD_CHECK_OK(umx_gnt_copy(g, 2, seg, st));
	CHILD_CHECK(st[0] == 0);
	CHILD_CHECK(st[1] == 0);
	CHILD_CHECK(strcmp(mine, "from the granter") == 0);
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *s;
	umx_conn *c;
	umx_gnt *g;
	char *va;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, &s));
	va = umx_gnt_share_addr(s);
	strcpy(va + 10, "from the granter");
	msg.granter = umx_conn_domid(c);
	msg.count = 1;
	msg.refs[0] = umx_gnt_share_ref(s, 0);
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
	CHILD_CHECK(memcmp(va + UMX_PAGE_SIZE - 16, "from the mapper", 16) == 0);
	/* Copies pin transiently: nothing is left mapped. */
	CHILD_CHECK(umx_gnt_end_access(g, s) == 0);
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 1));
	return gnt_done(c, g);
}

static void test_copy(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
