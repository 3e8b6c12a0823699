/* SPDX-License-Identifier: MIT */
/* A domain that gets a dead domain's domid back cannot map (nor copy from)
 * the pages the dead one was granted, read-write or read-only: umxd answers
 * GNTST_permission_denied and the pages stay as the granter left them. The
 * granter's next share to the new domain comes from a fresh region, which
 * the new domain maps. */
#include <stdint.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/grant_table.h>

#include "domid_reuse_util.h"
#include "gnt_util.h"

#define OLD_TEXT "meant for the old domain"
#define NEW_TEXT "meant for the new domain"
#define DONE     0xd0e

static int keeper(void *arg)
{
	struct reuse *r = arg;
	umx_gnt_share *rw, *ro, *fresh;
	umx_conn *c;
	umx_gnt *g;
	uint32_t peer;
	int fd = r->from_k[1];

	if (gnt_open(&c, &g) < 0)
		return reuse_fail(fd, 10);
	peer = umx_test_get_u32(r->to_k[0]);
	if (umx_gnt_share_pages(g, peer, 1, 0, &rw) < 0 ||
	    umx_gnt_share_pages(g, peer, 1, UMX_GNT_SHARE_READONLY, &ro) < 0)
		return reuse_fail(fd, 11);
	memcpy(umx_gnt_share_addr(rw), OLD_TEXT, sizeof(OLD_TEXT));
	memcpy(umx_gnt_share_addr(ro), OLD_TEXT, sizeof(OLD_TEXT));
	umx_test_put_u32(fd, umx_gnt_share_ref(rw, 0));
	umx_test_put_u32(fd, umx_gnt_share_ref(ro, 0));
	/* The old domain is gone; the new one has its domid. */
	peer = umx_test_get_u32(r->to_k[0]);
	if (umx_gnt_share_pages(g, peer, 1, 0, &fresh) < 0)
		return reuse_fail(fd, 12);
	memcpy(umx_gnt_share_addr(fresh), NEW_TEXT, sizeof(NEW_TEXT));
	umx_test_put_u32(fd, umx_gnt_share_ref(fresh, 0));
	if (umx_test_get_u32(r->to_k[0]) != DONE)
		return reuse_fail(fd, 13);
	/* Nobody wrote the old pages, and nobody maps them. */
	if (memcmp(umx_gnt_share_addr(rw), OLD_TEXT, sizeof(OLD_TEXT)) ||
	    memcmp(umx_gnt_share_addr(ro), OLD_TEXT, sizeof(OLD_TEXT)))
		return reuse_fail(fd, 14);
	if (umx_gnt_end_access(g, rw) || umx_gnt_end_access(g, ro) || umx_gnt_end_access(g, fresh))
		return reuse_fail(fd, 15);
	umx_test_put_u32(fd, 0);
	return gnt_done(c, g);
}

static int map_text(umx_gnt *g, uint32_t granter, uint32_t ref, uint32_t flags, const char *want)
{
	umx_gnt_map *m;
	int ok;

	if (umx_gnt_map_refs(g, granter, 1, &ref, flags, NULL, NULL, &m) < 0)
		return -1;
	ok = !memcmp(umx_gnt_map_addr(m), want, strlen(want) + 1);
	umx_gnt_unmap(g, m);
	return ok ? 0 : -1;
}

static int old_domain(void *arg)
{
	struct reuse *r = arg;
	uint32_t rw, ro;
	umx_conn *c;
	umx_gnt *g;
	int fd = r->from_x[1];

	if (gnt_open(&c, &g) < 0)
		return reuse_fail(fd, 20);
	rw = umx_test_get_u32(r->to_x[0]);
	ro = umx_test_get_u32(r->to_x[0]);
	if (map_text(g, r->keeper, rw, 0, OLD_TEXT) < 0 ||
	    map_text(g, r->keeper, ro, UMX_GNT_MAP_READONLY, OLD_TEXT) < 0)
		return reuse_fail(fd, 21);
	umx_test_put_u32(fd, 0);
	return gnt_done(c, g);
}

static int new_domain(void *arg)
{
	struct reuse *r = arg;
	struct umx_gnt_copy_seg seg;
	uint32_t rw, ro, fresh;
	int16_t st[1];
	umx_gnt_map *m;
	umx_conn *c;
	umx_gnt *g;
	int fd = r->from_x[1];

	if (gnt_open(&c, &g) < 0)
		return reuse_fail(fd, 30);
	rw = umx_test_get_u32(r->to_x[0]);
	ro = umx_test_get_u32(r->to_x[0]);
	/* The entries name our domid; the pages were meant for the old one. */
	if (umx_gnt_map_refs(g, r->keeper, 1, &rw, 0, NULL, st, &m) != -EACCES ||
	    st[0] != GNTST_permission_denied)
		return reuse_fail(fd, 31);
	if (umx_gnt_map_refs(g, r->keeper, 1, &rw, UMX_GNT_MAP_READONLY, NULL, st, &m) != -EACCES)
		return reuse_fail(fd, 32);
	if (umx_gnt_map_refs(g, r->keeper, 1, &ro, UMX_GNT_MAP_READONLY, NULL, st, &m) != -EACCES)
		return reuse_fail(fd, 33);
	if (gnt_raw_map(c, r->keeper, 1, &ro, UMX_GNT_MAP_READONLY, st, NULL) != 0 ||
	    st[0] != GNTST_permission_denied)
		return reuse_fail(fd, 34);
	/* Nor through GNTTABOP_copy, either way. */
	memset(&seg, 0, sizeof(seg));
	seg.source = (struct umx_gnt_copy_side){.ref_or_frame = rw, .domid = r->keeper};
	seg.dest = (struct umx_gnt_copy_side){.ref_or_frame = rw, .domid = r->keeper};
	seg.len = 8;
	seg.flags = UMX_GNT_COPY_SOURCE_GREF | UMX_GNT_COPY_DEST_GREF;
	if (umx_gnt_copy(g, 1, &seg, st) < 0 || st[0] != GNTST_permission_denied)
		return reuse_fail(fd, 35);
	umx_test_put_u32(fd, 1);
	/* What the granter shares with us now is ours. */
	fresh = umx_test_get_u32(r->to_x[0]);
	if (map_text(g, r->keeper, fresh, 0, NEW_TEXT) < 0)
		return reuse_fail(fd, 36);
	umx_test_put_u32(fd, 0);
	return gnt_done(c, g);
}

static void test_reused_domid_inherits_no_grant(void **state)
{
	struct reuse r;
	uint32_t rw, ro;
	(void)state;

	reuse_start(&r, keeper, old_domain);
	umx_test_put_u32(r.to_k[1], r.old);
	rw = umx_test_get_u32(r.from_k[0]);
	ro = umx_test_get_u32(r.from_k[0]);
	umx_test_put_u32(r.to_x[1], rw);
	umx_test_put_u32(r.to_x[1], ro);
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 0); /* the old domain mapped both */
	reuse_cycle(&r, new_domain);
	umx_test_put_u32(r.to_x[1], rw);
	umx_test_put_u32(r.to_x[1], ro);
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 1); /* every attack refused */
	umx_test_put_u32(r.to_k[1], r.new_);
	umx_test_put_u32(r.to_x[1], umx_test_get_u32(r.from_k[0]));
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 0); /* the fresh share mapped */
	umx_test_put_u32(r.to_k[1], DONE);
	assert_int_equal(umx_test_get_u32(r.from_k[0]), 0); /* old pages untouched */
	reuse_finish(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reused_domid_inherits_no_grant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
