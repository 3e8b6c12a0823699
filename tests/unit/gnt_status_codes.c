/* SPDX-License-Identifier: MIT */
/* Every GNTST_* path of map, unmap and copy: bad_domain, bad_gntref,
 * general_error (not granted, granted to another domain, frame outside the
 * regions bound to us), permission_denied (read-only as writable),
 * bad_handle, bad_copy_arg, eagain (descriptor room) and the library's
 * retry of it. */
#include <stdint.h>
#include <sys/mman.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "gnt_util.h"
#include "umx_test.h"

#define OTHER_PEER    999u
#define FORGED_REF    2000u
#define UNGRANTED_REF 1500u

enum {
	R_RW,
	R_RO,
	R_OTHER,
	R_FORGED,
	R_UNGRANTED,
	R_REGION0
};
#define NREGIONS 9u

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	uint32_t ref, h, handles[NREGIONS], refs[NREGIONS], i;
	int16_t st[NREGIONS];
	struct umx_gnt_copy_seg seg;
	umx_gnt_map *m;
	umx_conn *c;
	umx_gnt *g;

	gnt_mapper_start(p, &c, &g, &msg);
	ref = msg.refs[R_RW];
	CHILD_CHECK_OK(gnt_raw_map(c, 5000, 1, &ref, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_bad_domain);
	ref = 1u << 20;
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, &ref, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_bad_gntref);
	CHILD_CHECK(umx_gnt_map_refs(g, msg.granter, 1, &ref, 0, NULL, st, &m) == -EINVAL);
	ref = msg.refs[R_UNGRANTED];
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, &ref, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_general_error);
	ref = msg.refs[R_OTHER];
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, &ref, UMX_GNT_MAP_READONLY, st, NULL));
	CHILD_CHECK(st[0] == GNTST_general_error);
	ref = msg.refs[R_FORGED];
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, &ref, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_general_error);
	ref = msg.refs[R_RO];
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, &ref, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_permission_denied);
	CHILD_CHECK(umx_gnt_map_refs(g, msg.granter, 1, &ref, 0, NULL, NULL, &m) == -EACCES);
	h = 12345;
	CHILD_CHECK_OK(gnt_raw_unmap(c, 1, &h, st));
	CHILD_CHECK(st[0] == GNTST_bad_handle);
	/* Nine new regions in one request: eight descriptors fit. */
	for (i = 0; i < NREGIONS; i++)
		refs[i] = msg.refs[R_REGION0 + i];
	CHILD_CHECK(gnt_raw_map(c, msg.granter, NREGIONS, refs, 0, st, handles) == 8);
	for (i = 0; i < NREGIONS - 1; i++)
		CHILD_CHECK(st[i] == GNTST_okay);
	CHILD_CHECK(st[NREGIONS - 1] == GNTST_eagain);
	CHILD_CHECK_OK(gnt_raw_unmap(c, NREGIONS - 1, handles, st));
	CHILD_CHECK(st[0] == GNTST_okay);
	/* Unmapping twice: the handle is gone. */
	CHILD_CHECK_OK(gnt_raw_unmap(c, 1, handles, st));
	CHILD_CHECK(st[0] == GNTST_bad_handle);
	/* The library retries eagain ops. */
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, NREGIONS, refs, 0, NULL, st, &m));
	CHILD_CHECK_OK(umx_gnt_unmap(g, m));
	memset(&seg, 0, sizeof(seg));
	seg.source.ref_or_frame = msg.refs[R_RW];
	seg.source.domid = msg.granter;
	seg.dest.ref_or_frame = msg.refs[R_RW];
	seg.dest.domid = msg.granter;
	seg.flags = UMX_GNT_COPY_SOURCE_GREF | UMX_GNT_COPY_DEST_GREF;
	seg.len = 16;
	seg.source.offset = 4090;
	CHILD_CHECK_OK(umx_gnt_copy(g, 1, &seg, st));
	CHILD_CHECK(st[0] == GNTST_bad_copy_arg);
	seg.source.offset = 0;
	seg.dest.ref_or_frame = msg.refs[R_RO];
	CHILD_CHECK_OK(umx_gnt_copy(g, 1, &seg, st));
	CHILD_CHECK(st[0] == GNTST_permission_denied);
	seg.dest.ref_or_frame = msg.refs[R_RW];
	seg.dest.domid = 5000;
	CHILD_CHECK_OK(umx_gnt_copy(g, 1, &seg, st));
	CHILD_CHECK(st[0] == GNTST_bad_domain);
	seg.dest.domid = msg.granter;
	seg.dest.offset = 100;
	CHILD_CHECK_OK(umx_gnt_copy(g, 1, &seg, st));
	CHILD_CHECK(st[0] == GNTST_okay);
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *s[R_REGION0 + NREGIONS];
	grant_entry_v1_t *table;
	uint32_t frames, i;
	umx_conn *c;
	umx_gnt *g;
	int tfd;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, &s[R_RW]));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, UMX_GNT_SHARE_READONLY, &s[R_RO]));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, OTHER_PEER, 1, 0, &s[R_OTHER]));
	strcpy(umx_gnt_share_addr(s[R_RW]), "0123456789abcdef");
	msg.refs[R_RW] = umx_gnt_share_ref(s[R_RW], 0);
	msg.refs[R_RO] = umx_gnt_share_ref(s[R_RO], 0);
	msg.refs[R_OTHER] = umx_gnt_share_ref(s[R_OTHER], 0);
	/* A hand-written entry naming a frame of the region bound to another
	 * peer, granted to the mapper. */
	tfd = umx_conn_grant_table_fd(c, &frames);
	table = mmap(NULL, frames * UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	CHILD_CHECK(table != MAP_FAILED);
	table[FORGED_REF].frame = umx_gnt_share_frame(s[R_OTHER], 0);
	table[FORGED_REF].domid = (domid_t)p->peer;
	__atomic_store_n(&table[FORGED_REF].flags, GTF_permit_access, __ATOMIC_RELEASE);
	msg.refs[R_FORGED] = FORGED_REF;
	msg.refs[R_UNGRANTED] = UNGRANTED_REF;
	for (i = 0; i < NREGIONS; i++) {
		/* 64 pages fill a pool region: each share starts a new one. */
		CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 64, 0, &s[R_REGION0 + i]));
		msg.refs[R_REGION0 + i] = umx_gnt_share_ref(s[R_REGION0 + i], 0);
	}
	msg.granter = umx_conn_domid(c);
	msg.count = R_REGION0 + NREGIONS;
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
	CHILD_CHECK(memcmp((char *)umx_gnt_share_addr(s[R_RW]) + 100, "0123456789abcdef", 16) ==
	            0); /* the copy landed */
	return gnt_done(c, g);
}

static void test_status_codes(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_status_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
