/* SPDX-License-Identifier: MIT */
/* Hostile mapper on its unmap ring (the page where it posts unmapped
 * handles instead of sending UNMAP): a producer index far past what it
 * consumed, handles out of range or never mapped, one handle posted twice,
 * a second ring asked for. umxd stays up, skips what cannot be true,
 * releases exactly the handles validly posted (once), and leaves every
 * other mapping pinned: the granter's end of access succeeds for the
 * released page only and reports -EBUSY (MSA02) for the others until the
 * mapper unmaps them for real. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "gnt_util.h"
#include "umx/barrier.h"
#include "umx_test.h"

static int call0(umx_conn *c, uint32_t type, int *fd)
{
	unsigned nfds = 0;
	int r = umx_conn_call(c, type, NULL, 0, NULL, 0, NULL, fd, fd ? 1 : 0, &nfds);

	if (r == 0 && fd && nfds != 1)
		return -EPROTO;
	return r;
}

static void post(struct umx_gnt_unmap_ring *ring, uint32_t *prod, uint32_t h)
{
	umx_store_relaxed32(&ring->handle[*prod % UMX_GNT_UNMAP_RING_SLOTS], h);
	umx_store_release32(&ring->prod, ++*prod);
}

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	struct umx_gnt_unmap_ring *ring;
	uint32_t handles[3], prod;
	int16_t st[3];
	umx_conn *c;
	umx_gnt *g;
	int fd = -1;

	gnt_mapper_start(p, &c, &g, &msg);
	CHILD_CHECK_OK(call0(c, UMX_CTL_GNT_UNMAP_RING, &fd));
	CHILD_CHECK(call0(c, UMX_CTL_GNT_UNMAP_RING, NULL) == -EEXIST);
	ring = mmap(NULL, UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHILD_CHECK(ring != MAP_FAILED);
	close(fd);
	CHILD_CHECK(gnt_raw_map(c, msg.granter, 3, msg.refs, 0, st, handles) >= 1);
	CHILD_CHECK(st[0] == GNTST_okay && st[1] == GNTST_okay && st[2] == GNTST_okay);
	/* An index far ahead of what umxd consumed: skipped whole. */
	prod = 100000;
	umx_store_relaxed32(&ring->handle[0], handles[0]);
	umx_store_release32(&ring->prod, prod);
	CHILD_CHECK_OK(call0(c, UMX_CTL_GNT_SYNC, NULL));
	CHILD_CHECK(umx_load_acquire32(&ring->cons) == prod);
	/* Handles out of range, never mapped, and one of ours twice. */
	post(ring, &prod, UINT32_MAX);
	post(ring, &prod, 5000);
	post(ring, &prod, handles[1]);
	post(ring, &prod, handles[1]);
	CHILD_CHECK_OK(call0(c, UMX_CTL_GNT_SYNC, NULL));
	CHILD_CHECK(umx_load_acquire32(&ring->cons) == prod);
	/* Released once: an UNMAP of it now finds nothing. */
	CHILD_CHECK_OK(gnt_raw_unmap(c, 1, &handles[1], st));
	CHILD_CHECK(st[0] == GNTST_bad_handle);
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	/* The granter tried to end access to all three. */
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	handles[1] = handles[2];
	CHILD_CHECK_OK(gnt_raw_unmap(c, 2, handles, st));
	CHILD_CHECK(st[0] == GNTST_okay && st[1] == GNTST_okay);
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 2));
	munmap(ring, UMX_PAGE_SIZE);
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *s[3];
	uint32_t i;
	umx_conn *c;
	umx_gnt *g;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	for (i = 0; i < 3; i++) {
		CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, &s[i]));
		msg.refs[i] = umx_gnt_share_ref(s[i], 0);
	}
	msg.granter = umx_conn_domid(c);
	msg.count = 3;
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
	CHILD_CHECK(umx_gnt_end_access(g, s[0]) == -EBUSY);
	CHILD_CHECK(umx_gnt_end_access(g, s[1]) == 0);
	CHILD_CHECK(umx_gnt_end_access(g, s[2]) == -EBUSY);
	CHILD_CHECK(umx_gnt_reap(g) == 2);
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->m2g[0], NULL));
	CHILD_CHECK(umx_gnt_reap(g) == 0);
	return gnt_done(c, g);
}

static void test_unmap_ring_lies_release_only_posted_own_handles(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unmap_ring_lies_release_only_posted_own_handles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
