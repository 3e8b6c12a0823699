/* SPDX-License-Identifier: MIT */
/* Hostile mapper: refs not granted to it, out of range, bad entry types and
 * op flags, read-only as writable, unmap of handles never mapped, pin-count
 * and map-count overflow, and a malformed MAP message (which only costs the
 * sender its connection). umxd stays up and the granter can end access on
 * every ref afterwards. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "gnt_util.h"
#include "umx_test.h"

#define NSHARE 260u

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	uint32_t refs[UMX_GNT_BATCH_MAX], *handles, nh = 0, i, j, h;
	int16_t st[UMX_GNT_BATCH_MAX];
	umx_conn *c;
	umx_gnt *g;

	gnt_mapper_start(p, &c, &g, &msg);
	/* refs[0]: granted to another domain; [1]: GTF_transitive type;
	 * [2]: read-only; [3..]: NSHARE writable pages. */
	refs[0] = msg.refs[0];
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, refs, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_general_error);
	refs[0] = msg.refs[1];
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, refs, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_general_error);
	refs[0] = msg.refs[2];
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, refs, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_permission_denied);
	refs[0] = msg.refs[3];
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, refs, 0x80, st, NULL));
	CHILD_CHECK(/* unknown op flag */ st[0] == GNTST_general_error);
	refs[0] = UINT32_MAX;
	CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, 1, refs, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_bad_gntref);
	CHILD_CHECK_OK(gnt_raw_map(c, UINT32_MAX, 1, refs, 0, st, NULL));
	CHILD_CHECK(st[0] == GNTST_bad_domain);
	for (h = 0; h < 1000; h += 7) {
		CHILD_CHECK_OK(gnt_raw_unmap(c, 1, &h, st));
		CHILD_CHECK(st[0] == GNTST_bad_handle);
	}
	/* Map-count overflow: 255 pins per ref, then 64K handles in all. */
	handles = malloc(70000 * sizeof(*handles));
	CHILD_CHECK(handles);
	for (i = 0; i < UMX_GNT_BATCH_MAX; i++)
		refs[i] = msg.refs[3];
	for (j = 0; j < 4; j++) {
		CHILD_CHECK_OK(
		        gnt_raw_map(c, msg.granter, UMX_GNT_BATCH_MAX, refs, 0, st, handles + nh));
		for (i = 0; i < UMX_GNT_BATCH_MAX; i++) {
			CHILD_CHECK(st[i] == (nh < 255 ? GNTST_okay : GNTST_general_error));
			if (st[i] == GNTST_okay)
				nh++;
		}
	}
	for (j = 1; j < NSHARE && nh < 70000 - UMX_GNT_BATCH_MAX; j++) {
		unsigned k;
		for (k = 0; k < 4; k++) {
			uint32_t base = nh;
			for (i = 0; i < UMX_GNT_BATCH_MAX; i++)
				refs[i] = msg.refs[3 + j];
			CHILD_CHECK_OK(gnt_raw_map(c, msg.granter, k < 3 ? 64 : 63, refs, 0, st,
			                           handles + base));
			for (i = 0; i < (k < 3 ? 64u : 63u); i++) {
				if (st[i] == GNTST_okay)
					handles[nh++] = handles[base + i];
				else if (st[i] == GNTST_no_device_space)
					goto full;
				else
					CHILD_FAIL("a map batch failed other than at the cap");
			}
		}
	}
	CHILD_FAIL("70000 maps never hit the per-domain cap");
full:
	CHILD_CHECK(nh == 64u * 1024u);
	for (i = 0; i < nh; i += UMX_GNT_BATCH_MAX) {
		uint32_t n = nh - i < UMX_GNT_BATCH_MAX ? nh - i : UMX_GNT_BATCH_MAX;
		CHILD_CHECK_OK(gnt_raw_unmap(c, n, handles + i, st));
		CHILD_CHECK(st[0] == GNTST_okay);
		CHILD_CHECK(st[n - 1] == GNTST_okay);
	}
	free(handles);
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	return gnt_done(c, g);
}

/* Sends a MAP whose count disagrees with its length: umxd drops us. */
static int garbage(void *arg)
{
	uint32_t req[4 + 4] = {1, 5, 8, 0, 0, 0, 0, 0};
	umx_conn *c;
	uint8_t rep[64];
	size_t rlen;
	(void)arg;

	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	CHILD_CHECK(umx_conn_call(c, UMX_CTL_GNT_MAP, req, sizeof(req), rep, sizeof(rep), &rlen,
	                          NULL, 0, NULL) == -ECONNRESET);
	return 0;
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *other, *ro, *rw;
	grant_entry_v1_t *t;
	uint32_t frames, i;
	umx_conn *c;
	umx_gnt *g;
	int tfd;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, 999, 1, 0, &other));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, UMX_GNT_SHARE_READONLY, &ro));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, NSHARE, 0, &rw));
	tfd = umx_conn_grant_table_fd(c, &frames);
	t = mmap(NULL, frames * UMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	CHILD_CHECK(t != MAP_FAILED);
	/* A transitive entry (v2-only type) naming a good frame. */
	t[1900].frame = umx_gnt_share_frame(rw, 0);
	t[1900].domid = (domid_t)p->peer;
	__atomic_store_n(&t[1900].flags, GTF_transitive, __ATOMIC_RELEASE);
	msg.granter = umx_conn_domid(c);
	msg.refs[0] = umx_gnt_share_ref(other, 0);
	msg.refs[1] = 1900;
	msg.refs[2] = umx_gnt_share_ref(ro, 0);
	for (i = 0; i < NSHARE; i++)
		msg.refs[3 + i] = umx_gnt_share_ref(rw, i);
	msg.count = 3 + NSHARE;
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
	/* Every pin was dropped: end access succeeds on every ref. */
	CHILD_CHECK(umx_gnt_end_access(g, rw) == 0);
	CHILD_CHECK(umx_gnt_end_access(g, ro) == 0);
	CHILD_CHECK(umx_gnt_end_access(g, other) == 0);
	return gnt_done(c, g);
}

static void test_bad_refs(void **state)
{
	struct umx_test_daemon d;
	struct gnt_pipes p;
	uint32_t dm, dg, dx;
	pid_t pm, pg, px;
	(void)state;

	assert_int_equal(gnt_pipes_init(&p), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "mapper", mapper, &p, &dm, &pm), 0);
	p.peer = dm;
	assert_int_equal(umx_test_domain_fork(&d, "granter", granter, &p, &dg, &pg), 0);
	assert_int_equal(umx_test_domain_fork(&d, "garbage", garbage, &p, &dx, &px), 0);
	assert_int_equal(umx_test_domain_reap(&d, dx, px), 0);
	assert_int_equal(umx_test_domain_reap(&d, dm, pm), 0);
	assert_int_equal(umx_test_domain_reap(&d, dg, pg), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
	gnt_pipes_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bad_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
