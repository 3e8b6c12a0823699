/* SPDX-License-Identifier: MIT */
/* A batch of refs maps contiguously and both sides see each other's
 * writes; unmap releases the pins so end access succeeds. */
#include <signal.h>

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
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, msg.count, msg.refs, 0, NULL, NULL, &m));
	va = umx_gnt_map_addr(m);
	CHILD_CHECK(strcmp(va, "page0") == 0);
	CHILD_CHECK(strcmp(va + UMX_PAGE_SIZE, "page1") == 0);
	CHILD_CHECK(strcmp(va + 2 * UMX_PAGE_SIZE, "page2") == 0);
	strcpy(va + UMX_PAGE_SIZE, "world");
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	CHILD_CHECK_OK(umx_gnt_unmap(g, m));
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 2));
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_conn *c;
	umx_gnt *g;
	umx_gnt_share *s;
	char *va;
	uint32_t i;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 3, 0, &s));
	va = umx_gnt_share_addr(s);
	for (i = 0; i < 3; i++) {
		CHILD_CHECK(va[i * UMX_PAGE_SIZE] == 0); /* shared pages start zeroed */
		va[i * UMX_PAGE_SIZE + 0] = 'p';
		strcpy(va + i * UMX_PAGE_SIZE, "page0");
		va[i * UMX_PAGE_SIZE + 4] = (char)('0' + i);
		msg.refs[i] = umx_gnt_share_ref(s, i);
	}
	msg.granter = umx_conn_domid(c);
	msg.count = 3;
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
	CHILD_CHECK(strcmp(va + UMX_PAGE_SIZE, "world") == 0);
	/* Still mapped: ending access must fail. */
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->m2g[0], NULL));
	CHILD_CHECK(umx_gnt_end_access(g, s) == 0);
	return gnt_done(c, g);
}

static void test_map_unmap_batch(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_map_unmap_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
