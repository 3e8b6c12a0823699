/* SPDX-License-Identifier: MIT */
/* MSA02 seen by `umx trace`: a granter ends access to a page its peer
 * still maps; the trace shows the peer's map of that ref (GNTST_okay), the
 * granter's end-access naming the peer, with the peer's one map of it and
 * -EBUSY (the page stays the grant's). (The unmap that follows may reach
 * umxd on the mapper's unmap ring, which the trace does not decode yet.) */
#include "gnt_util.h"
#include "umx/trace.h"
#include "umx_test.h"

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	umx_conn *c;
	umx_gnt *g;
	umx_gnt_map *m;

	gnt_mapper_start(p, &c, &g, &msg);
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, msg.refs, 0, NULL, NULL, &m));
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL)); /* the granter tried */
	CHILD_CHECK_OK(umx_gnt_unmap(g, m));
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 2));
	CHILD_CHECK_OK(gnt_wait(p->g2m[0], NULL));
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	umx_gnt_share *s;
	uint32_t frame;
	umx_conn *c;
	umx_gnt *g;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	gnt_msa02_share_one(p, c, g, &s, &frame);
	CHILD_CHECK(umx_gnt_end_access(g, s) == -EBUSY);
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 1));
	CHILD_CHECK_OK(gnt_wait(p->m2g[0], NULL));
	CHILD_CHECK(umx_gnt_reap(g) == 0); /* the deferred release completes */
	CHILD_CHECK_OK(gnt_ack(p->g2m[1], 3));
	return gnt_done(c, g);
}

/* The next grant record of @type, within the test's patience. */
static const struct umx_trace_rec *next_of(struct umx_trace_reader *rd, uint16_t type)
{
	const struct umx_trace_rec *rec;

	while (umx_trace_next(rd, 5000, &rec) == 1)
		if (rec->type == type)
			return rec;
	return NULL;
}

static void end_access_busy_traced(void **state)
{
	static struct umx_trace_reader rd;
	struct umx_trace_filter f = {.mask = UMX_TRACE_GRANTS};
	struct umx_test_daemon d;
	struct gnt_pipes p;
	const struct umx_trace_rec *rec;
	uint32_t mdom, gdom, ref;
	pid_t mpid, gpid;

	(void)state;
	assert_int_equal(gnt_pipes_init(&p), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_trace_open(d.ts, &f, &rd.fd), 0);
	assert_int_equal(umx_test_domain_fork(&d, "mapper", mapper, &p, &mdom, &mpid), 0);
	p.peer = mdom;
	assert_int_equal(umx_test_domain_fork(&d, "granter", granter, &p, &gdom, &gpid), 0);
	{
		uint32_t dom[2] = {mdom, gdom};
		pid_t pid[2] = {mpid, gpid};
		int want[2] = {0, 0};
		umx_test_domains_reap(&d, 2, dom, pid, want);
	}

	assert_non_null(rec = next_of(&rd, UMX_TR_GNT_MAP));
	assert_int_equal(rec->domid, mdom);
	assert_int_equal(rec->peer, gdom);
	assert_int_equal(rec->result, 0); /* GNTST_okay */
	ref = rec->a;
	assert_non_null(rec = next_of(&rd, UMX_TR_GNT_END_ACCESS));
	assert_int_equal(rec->domid, gdom);
	assert_int_equal(rec->peer, mdom);
	assert_int_equal(rec->a, ref);
	assert_int_equal(rec->b + rec->c, 1); /* one map of it */
	assert_int_equal(rec->result, -EBUSY);
	close(rd.fd);
	gnt_pipes_close(&p);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(end_access_busy_traced)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
