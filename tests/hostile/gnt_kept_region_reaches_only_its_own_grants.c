/* SPDX-License-Identifier: MIT */
/* A mapper keeps the regions it was sent across unmaps (libumx keeps each
 * mapped whole, so that a map+unmap passes no descriptor). A lying mapper
 * can use what it keeps: any page of those regions at any time, also after
 * the granter ended access. What that gives it is bounded by the region's
 * binding: every region it holds, scanned whole, never shows what the granter wrote
 * into pages shared with another domain; a page it wrote through its kept
 * mapping after end of access comes back zeroed when the granter shares
 * it again (with it: pages never change peer); and the end of access
 * itself succeeds as soon as the mapper has unmapped (the unmap ring is
 * read on the granter's behalf). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "gnt_util.h"
#include "umx_test.h"

/* Regions may be allocated for a domid no domain holds (bound to no one). */
#define OTHER_PEER 999u
#define MINE       "for the mapper"
#define SECRET     "SECRET-of-the-granter"
#define LATE       "written-after-end-of-access"

/* Every region we hold mapped (libumx keeps a region it was sent whole,
 * as one mapping, across unmaps): calls @fn on each; returns how many
 * there were, or -1. */
static int each_region(int (*fn)(uint8_t *p, size_t len, bool writable))
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];

		if (!strstr(line, "memfd:umx-grant-region") ||
		    sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r')
			continue;
		if (fn((uint8_t *)lo, hi - lo, perms[1] == 'w') < 0) {
			fclose(f);
			return -1;
		}
		n++;
	}
	fclose(f);
	return n;
}

static int no_secret(uint8_t *p, size_t len, bool writable)
{
	(void)writable;
	for (size_t i = 0; i + sizeof(SECRET) - 1 <= len; i++)
		if (memcmp(p + i, SECRET, sizeof(SECRET) - 1) == 0)
			return -1;
	return 0;
}

/* Write LATE over our old page (found by its text) through the kept
 * mapping, after the granter ended access to it. */
static int wrote_late;
static int write_late(uint8_t *p, size_t len, bool writable)
{
	for (size_t off = 0; writable && off < len; off += UMX_PAGE_SIZE) {
		if (memcmp(p + off, MINE, sizeof(MINE)) == 0) {
			memcpy(p + off, LATE, sizeof(LATE));
			wrote_late++;
		}
	}
	return 0;
}

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	umx_gnt_map *m;
	umx_conn *c;
	umx_gnt *g;

	gnt_mapper_start(p, &c, &g, &msg);
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, msg.refs, 0, NULL, NULL, &m));
	CHILD_CHECK(strcmp(umx_gnt_map_addr(m), MINE) == 0);
	CHILD_CHECK_OK(umx_gnt_unmap(g, m));
	/* The granter ends access (which must succeed now) and fills pages
	 * shared with someone else. */
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	/* The premise: we still hold the region, mapped whole. */
	CHILD_CHECK(each_region(no_secret) >= 1);
	CHILD_CHECK(each_region(write_late) >= 1);
	CHILD_CHECK(wrote_late == 1);
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 2));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	/* The granter shared more with the other domain meanwhile. */
	CHILD_CHECK(each_region(no_secret) >= 1);
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *s, *other[8], *again;
	uint32_t frame, i;
	umx_conn *c;
	umx_gnt *g;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, &s));
	strcpy(umx_gnt_share_addr(s), MINE);
	frame = umx_gnt_share_frame(s, 0);
	msg.granter = umx_conn_domid(c);
	msg.count = 1;
	msg.refs[0] = umx_gnt_share_ref(s, 0);
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
	/* Unmapped: the end of access succeeds at once (MSA02's other half). */
	CHILD_CHECK(umx_gnt_end_access(g, s) == 0);
	for (i = 0; i < 4; i++) {
		CHILD_CHECK_OK(umx_gnt_share_pages(g, OTHER_PEER, 1, 0, &other[i]));
		strcpy(umx_gnt_share_addr(other[i]), SECRET);
	}
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->m2g[0], NULL));
	/* The mapper wrote into the ended page: the next share of it (with
	 * the same mapper) is zeroed all the same. */
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, &again));
	CHILD_CHECK(umx_gnt_share_frame(again, 0) == frame);
	for (i = 0; i < UMX_PAGE_SIZE; i++)
		CHILD_CHECK(((uint8_t *)umx_gnt_share_addr(again))[i] == 0);
	for (i = 4; i < 8; i++) {
		CHILD_CHECK_OK(umx_gnt_share_pages(g, OTHER_PEER, 1, 0, &other[i]));
		strcpy(umx_gnt_share_addr(other[i]), SECRET);
	}
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 2));
	CHILD_CHECK(umx_gnt_end_access(g, again) == 0);
	for (i = 0; i < 8; i++)
		CHILD_CHECK(umx_gnt_end_access(g, other[i]) == 0);
	return gnt_done(c, g);
}

static void test_kept_region_reaches_only_its_own_grants(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_kept_region_reaches_only_its_own_grants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
