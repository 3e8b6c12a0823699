/* SPDX-License-Identifier: MIT */
/* Through the drop-in libxengnttab: xengnttab_grant_copy copies from a
 * grant to local memory, from local memory to a grant (also when the local
 * side crosses a page) and grant to grant; a bad ref, a wrong domain and a
 * read-only destination are that segment's GNTST status while the other
 * segments of the same call complete; and what Linux's gntdev refuses for
 * the whole call — a grant side crossing its page, a local -> local
 * segment — is -1/EINVAL, with nothing copied. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xengnttab.h>

#include "compat_util.h"
#include "umx_test.h"
#include "umx/grant.h"

static void *L;
#define G(fn) COMPAT_SYM(L, fn)

struct pipes {
	int g2c[2], c2g[2], self[2];
	uint32_t copier;
};

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static int granter(void *arg)
{
	struct pipes *p = arg;
	xengntshr_handle *s;
	uint32_t refs[2], ro, gdom;
	uint8_t *pages, *rop, src[1000];

	CHILD_CHECK((L = compat_lib("libxengnttab.so.1")));
	CHILD_CHECK((gdom = umx_test_get_u32(p->self[0])) != 0xffffffffu);
	CHILD_CHECK((s = G(xengntshr_open)(NULL, 0)));
	CHILD_CHECK((pages = G(xengntshr_share_pages)(s, p->copier, 2, refs, 1)));
	CHILD_CHECK((rop = G(xengntshr_share_pages)(s, p->copier, 1, &ro, 0)));
	for (size_t i = 0; i < UMX_PAGE_SIZE; i++)
		pages[i] = pat(i);
	memset(pages + UMX_PAGE_SIZE, 0xee, UMX_PAGE_SIZE);
	memset(rop, 0x11, UMX_PAGE_SIZE);
	CHILD_CHECK(umx_test_put_u32(p->g2c[1], gdom) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2c[1], refs[0]) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2c[1], refs[1]) == 0);
	CHILD_CHECK(umx_test_put_u32(p->g2c[1], ro) == 0);
	CHILD_CHECK(umx_test_get_u32(p->c2g[0]) == 1); /* copies done */

	/* local -> grant, 300 bytes at 96 */
	for (size_t i = 0; i < 300; i++)
		CHILD_CHECK(pages[UMX_PAGE_SIZE + 96 + i] == (uint8_t)(0xa0 ^ i));
	/* grant -> grant, 64 bytes of page 0 at 2000 */
	CHILD_CHECK(!memcmp(pages + UMX_PAGE_SIZE + 2000, pages, 64));
	/* local crossing a page -> grant, 1000 bytes at 3000 */
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i ^ 0x3c);
	CHILD_CHECK(!memcmp(pages + UMX_PAGE_SIZE + 3000, src, sizeof(src)));
	/* untouched elsewhere, read-only page untouched */
	CHILD_CHECK(pages[UMX_PAGE_SIZE + 95] == 0xee && pages[UMX_PAGE_SIZE + 396] == 0xee &&
	            pages[UMX_PAGE_SIZE + 1999] == 0xee);
	for (size_t i = 0; i < UMX_PAGE_SIZE; i++)
		CHILD_CHECK(rop[i] == 0x11);
	CHILD_CHECK(umx_test_put_u32(p->g2c[1], 2) == 0);
	CHILD_CHECK(umx_test_get_u32(p->c2g[0]) == 3);
	CHILD_CHECK(G(xengntshr_unshare)(s, pages, 2) == 0);
	CHILD_CHECK(G(xengntshr_unshare)(s, rop, 1) == 0);
	CHILD_CHECK(G(xengntshr_close)(s) == 0);
	return 0;
}

static int copier(void *arg)
{
	struct pipes *p = arg;
	xengnttab_handle *h;
	xengnttab_grant_copy_segment_t seg[7], bad;
	uint32_t gdom, r0, r1, ro;
	uint8_t dst[200], wrong[16], *local, local2[8];

	CHILD_CHECK((L = compat_lib("libxengnttab.so.1")));
	CHILD_CHECK((h = G(xengnttab_open)(NULL, 0)));
	gdom = umx_test_get_u32(p->g2c[0]);
	r0 = umx_test_get_u32(p->g2c[0]);
	r1 = umx_test_get_u32(p->g2c[0]);
	ro = umx_test_get_u32(p->g2c[0]);
	CHILD_CHECK(ro != 0xffffffffu);
	/* two pages, so a local buffer can cross from one to the other */
	local = mmap(NULL, 2 * UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	             -1, 0);
	CHILD_CHECK(local != MAP_FAILED);
	for (size_t i = 0; i < 300; i++)
		local[i] = (uint8_t)(0xa0 ^ i);
	for (size_t i = 0; i < 1000; i++)
		local[UMX_PAGE_SIZE - 500 + i] = (uint8_t)(i ^ 0x3c);
	memset(dst, 0, sizeof(dst));
	memset(wrong, 0x77, sizeof(wrong));

	memset(seg, 0, sizeof(seg));
	/* 0: grant -> local */
	seg[0].flags = GNTCOPY_source_gref;
	seg[0].source.foreign.ref = r0;
	seg[0].source.foreign.domid = (uint16_t)gdom;
	seg[0].source.foreign.offset = 100;
	seg[0].dest.virt = dst;
	seg[0].len = sizeof(dst);
	/* 1: local -> grant */
	seg[1].flags = GNTCOPY_dest_gref;
	seg[1].source.virt = local;
	seg[1].dest.foreign.ref = r1;
	seg[1].dest.foreign.domid = (uint16_t)gdom;
	seg[1].dest.foreign.offset = 96;
	seg[1].len = 300;
	/* 2: grant -> grant */
	seg[2].flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
	seg[2].source.foreign.ref = r0;
	seg[2].source.foreign.domid = (uint16_t)gdom;
	seg[2].dest.foreign.ref = r1;
	seg[2].dest.foreign.domid = (uint16_t)gdom;
	seg[2].dest.foreign.offset = 2000;
	seg[2].len = 64;
	/* 3: a ref never granted */
	seg[3] = seg[0];
	seg[3].source.foreign.ref = 9999;
	seg[3].dest.virt = wrong;
	seg[3].len = sizeof(wrong);
	/* 4: the right ref, the wrong domain */
	seg[4] = seg[3];
	seg[4].source.foreign.ref = r0;
	seg[4].source.foreign.domid = 0x7000;
	/* 5: into a read-only grant */
	seg[5] = seg[1];
	seg[5].dest.foreign.ref = ro;
	seg[5].dest.foreign.offset = 0;
	seg[5].len = 16;
	/* 6: local side crossing a page (allowed) -> grant */
	seg[6] = seg[1];
	seg[6].source.virt = local + UMX_PAGE_SIZE - 500;
	seg[6].dest.foreign.offset = 3000;
	seg[6].len = 1000;
	for (int i = 0; i < 7; i++)
		seg[i].status = 42;

	CHILD_CHECK(G(xengnttab_grant_copy)(h, 7, seg) == 0);
	CHILD_CHECK(seg[0].status == GNTST_okay);
	CHILD_CHECK(seg[1].status == GNTST_okay);
	CHILD_CHECK(seg[2].status == GNTST_okay);
	CHILD_CHECK(seg[3].status == GNTST_bad_gntref);
	CHILD_CHECK(seg[4].status < 0 && seg[4].status != 42);
	CHILD_CHECK(seg[5].status == GNTST_permission_denied);
	CHILD_CHECK(seg[6].status == GNTST_okay);
	for (size_t i = 0; i < sizeof(dst); i++)
		CHILD_CHECK(dst[i] == pat(100 + i));
	for (size_t i = 0; i < sizeof(wrong); i++)
		CHILD_CHECK(wrong[i] == 0x77);

	/* Whole-call errors, as gntdev's: nothing copied, -1/EINVAL. */
	bad = seg[1];
	bad.dest.foreign.offset = UMX_PAGE_SIZE - 100;
	bad.len = 200;
	memset(dst, 0, sizeof(dst));
	seg[0].status = 42;
	{
		xengnttab_grant_copy_segment_t two[2] = {seg[0], bad};

		errno = 0;
		CHILD_CHECK(G(xengnttab_grant_copy)(h, 2, two) == -1 && errno == EINVAL);
		CHILD_CHECK(dst[0] == 0 && dst[199] == 0); /* the good one was not done either */
	}
	bad = seg[0];
	bad.source.foreign.offset = UMX_PAGE_SIZE - 1;
	bad.len = 2;
	errno = 0;
	CHILD_CHECK(G(xengnttab_grant_copy)(h, 1, &bad) == -1 && errno == EINVAL);
	memset(&bad, 0, sizeof(bad));
	bad.source.virt = local;
	bad.dest.virt = local2;
	bad.len = sizeof(local2);
	errno = 0;
	CHILD_CHECK(G(xengnttab_grant_copy)(h, 1, &bad) == -1 && errno == EINVAL);
	CHILD_CHECK(G(xengnttab_grant_copy)(h, 0, seg) == 0);

	CHILD_CHECK(umx_test_put_u32(p->c2g[1], 1) == 0);
	CHILD_CHECK(umx_test_get_u32(p->g2c[0]) == 2);
	CHILD_CHECK(umx_test_put_u32(p->c2g[1], 3) == 0);
	CHILD_CHECK(G(xengnttab_close)(h) == 0);
	return 0;
}

static void grant_copy_both_ways_statuses_per_segment_and_einval_per_call(void **state)
{
	struct umx_test_daemon d;
	struct pipes p;
	uint32_t cdom, gdom;
	pid_t cpid, gpid;

	(void)state;
	assert_int_equal(pipe(p.g2c), 0);
	assert_int_equal(pipe(p.c2g), 0);
	assert_int_equal(pipe(p.self), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "copier", copier, &p, &cdom, &cpid), 0);
	p.copier = cdom;
	assert_int_equal(umx_test_domain_fork(&d, "granter", granter, &p, &gdom, &gpid), 0);
	assert_int_equal(umx_test_put_u32(p.self[1], gdom), 0);
	for (int i = 0; i < 2; i++) {
		close(p.g2c[i]);
		close(p.c2g[i]);
	}
	assert_int_equal(umx_test_domain_reap(&d, cdom, cpid), 0);
	assert_int_equal(umx_test_domain_reap(&d, gdom, gpid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(grant_copy_both_ways_statuses_per_segment_and_einval_per_call),
	};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
