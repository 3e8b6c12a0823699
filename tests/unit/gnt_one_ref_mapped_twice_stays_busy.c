/* SPDX-License-Identifier: MIT */
/* One grant ref mapped twice by the same peer (read-only twice; read-only
 * and read-write), then one mapping gone: the ref is still in use, so
 * ending access is -EBUSY (umxd must not clear GTF_reading while another
 * mapping of the ref is live), the page is never handed out again, and no
 * canary written to later shares shows in the surviving mapping; once the
 * survivor goes, the deferred release completes. */
#include "gnt_util.h"
#include "umx_test.h"

#define LATER 40u

enum variant {
	RO_RO,         /* read-only twice, the first unmapped */
	RO_RW_KEEP_RW, /* read-only and read-write, the read-only one unmapped */
	RO_RW_KEEP_RO, /* read-only and read-write, the read-write one unmapped */
};

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	enum variant var = (enum variant)p->arg;
	umx_gnt_map *first, *second, *gone, *kept;
	umx_conn *c;
	umx_gnt *g;

	gnt_mapper_start(p, &c, &g, &msg);
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, msg.refs, UMX_GNT_MAP_READONLY, NULL,
	                                NULL, &first));
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, msg.refs,
	                                var == RO_RO ? UMX_GNT_MAP_READONLY : 0, NULL, NULL,
	                                &second));
	CHILD_CHECK(strcmp(umx_gnt_map_addr(first), "for you") == 0);
	CHILD_CHECK(strcmp(umx_gnt_map_addr(second), "for you") == 0);
	gone = var == RO_RW_KEEP_RO ? second : first;
	kept = var == RO_RW_KEEP_RO ? first : second;
	CHILD_CHECK_OK(umx_gnt_unmap(g, gone));
	/* One mapping left: let the granter try to end access and reuse. */
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	gnt_msa02_check_kept(umx_gnt_map_addr(kept));
	CHILD_CHECK_OK(umx_gnt_unmap(g, kept));
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 2));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	umx_gnt_share *s, *later[LATER];
	uint32_t busy_frame, i;
	umx_conn *c;
	umx_gnt *g;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	/* Returns once the mapper mapped twice and unmapped once; then one
	 * of two mappings is live and end-access must be -EBUSY. */
	gnt_msa02_share_one(p, c, g, &s, &busy_frame);
	gnt_msa02_busy_then_canaries(p, g, s, busy_frame, later, LATER);
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->m2g[0], NULL));
	/* The last mapping is gone: the deferred release completes. */
	CHILD_CHECK(umx_gnt_reap(g) == 0);
	for (i = 0; i < LATER; i++)
		CHILD_CHECK(umx_gnt_end_access(g, later[i]) == 0);
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 2));
	return gnt_done(c, g);
}

static void run(enum variant var)
{
	struct gnt_pipes p;

	assert_int_equal(gnt_pipes_init(&p), 0);
	p.arg = var;
	umx_test_two_domains("mapper", mapper, 0, "granter", granter, 0, &p, &p.peer);
	gnt_pipes_close(&p);
}

static void test_read_only_twice_one_unmapped(void **state)
{
	(void)state;
	run(RO_RO);
}

static void test_read_only_and_read_write_keep_read_write(void **state)
{
	(void)state;
	run(RO_RW_KEEP_RW);
}

static void test_read_only_and_read_write_keep_read_only(void **state)
{
	(void)state;
	run(RO_RW_KEEP_RO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_read_only_twice_one_unmapped),
	        cmocka_unit_test(test_read_only_and_read_write_keep_read_write),
	        cmocka_unit_test(test_read_only_and_read_write_keep_read_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
