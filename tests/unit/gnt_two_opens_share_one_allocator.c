/* SPDX-License-Identifier: MIT */
/* Two grant handles (or platform handles) in one domain share the domain's
 * one grant table and allocator: refs they hand out never collide. */
#include <string.h>

#include "umx_test.h"
#include "umx/grant.h"
#include "umx/platform.h"

static int two_handles(void *arg)
{
	umx_conn *c;
	umx_gnt *g1, *g2;
	umx_gnt_share *s1[8], *s2[8];
	umx_plat *p1, *p2;
	umx_plat_shared *ps1, *ps2;
	uint32_t peer = *(uint32_t *)arg;

	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	CHILD_CHECK_OK(umx_gnt_open(&g1));
	CHILD_CHECK_OK(umx_gnt_open(&g2));
	for (int i = 0; i < 8; i++) {
		CHILD_CHECK_OK(umx_gnt_share_pages(g1, peer, 1, 0, &s1[i]));
		CHILD_CHECK_OK(umx_gnt_share_pages(g2, peer, 1, 0, &s2[i]));
	}
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			CHILD_CHECK(umx_gnt_share_ref(s1[i], 0) != umx_gnt_share_ref(s2[j], 0));
	umx_gnt_close(g2); /* g1 still works after one close */
	for (int i = 0; i < 8; i++) {
		CHILD_CHECK_OK(umx_gnt_end_access(g1, s1[i]));
		CHILD_CHECK_OK(umx_gnt_end_access(g1, s2[i]));
	}
	umx_gnt_close(g1);
	CHILD_CHECK_OK(umx_plat_open("umxd", &p1));
	CHILD_CHECK_OK(umx_plat_open("umxd", &p2));
	CHILD_CHECK_OK(umx_plat_share(p1, peer, 1, false, NULL, &ps1));
	CHILD_CHECK_OK(umx_plat_share(p2, peer, 1, false, NULL, &ps2));
	CHILD_CHECK(umx_plat_share_ref(ps1, 0) != umx_plat_share_ref(ps2, 0));
	umx_plat_unshare(p1, ps1);
	umx_plat_unshare(p2, ps2);
	umx_plat_close(p2);
	umx_plat_close(p1);
	return 0;
}

static int idle(void *arg)
{
	(void)arg;
	return 0;
}

static void test_two_opens_share_one_allocator(void **state)
{
	uint32_t peer = 0;
	(void)state;
	umx_test_two_domains("peer", idle, 0, "sharer", two_handles, 0, &peer, &peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_two_opens_share_one_allocator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
