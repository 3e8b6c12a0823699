/* SPDX-License-Identifier: MIT */
/* A domain that dies while another maps a page it granted stays listed as
 * dead (its domid reserved, the page alive and intact for the mapper) until
 * the mapping goes; then its record and domid are released. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/grant.h"

struct link {
	int to_mapper[2];
	int to_granter[2];
	uint32_t mapper_domid;
};

static int granter(void *arg)
{
	struct link *l = arg;
	umx_conn *c;
	umx_gnt *g;
	umx_gnt_share *s;
	uint32_t msg[2];
	char ch;

	CHILD_CHECK(read(l->to_granter[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	CHILD_CHECK_OK(umx_gnt_open(&g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, l->mapper_domid, 1, 0, &s));
	strcpy(umx_gnt_share_addr(s), "still here");
	msg[0] = umx_conn_domid(c);
	msg[1] = umx_gnt_share_ref(s, 0);
	CHILD_CHECK(write(l->to_mapper[1], msg, sizeof(msg)) == sizeof(msg));
	pause(); /* killed while mapped */
	return 0;
}

static int mapper(void *arg)
{
	struct link *l = arg;
	umx_conn *c;
	umx_gnt *g;
	umx_gnt_map *m;
	uint32_t msg[2];
	char ch;

	CHILD_CHECK_OK(umx_conn_open_domain(&c));
	CHILD_CHECK_OK(umx_gnt_open(&g));
	CHILD_CHECK(write(l->to_granter[1], "g", 1) == 1);
	CHILD_CHECK(read(l->to_mapper[0], msg, sizeof(msg)) == sizeof(msg));
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg[0], 1, &msg[1], 0, NULL, NULL, &m));
	CHILD_CHECK(write(l->to_granter[1], "m", 1) == 1);
	/* Told: the granter is dead. The page must still be readable. */
	CHILD_CHECK(read(l->to_mapper[0], &ch, 1) == 1);
	CHILD_CHECK(strcmp(umx_gnt_map_addr(m), "still here") == 0);
	CHILD_CHECK_OK(umx_gnt_unmap(g, m));
	umx_gnt_close(g);
	return 0;
}

static int find(struct umx_test_daemon *d, uint32_t domid, struct umx_ctl_domain_info *out)
{
	struct umx_ctl_domain_info info[8];
	int n = umx_domain_list(d->ts, 0, info, 8);
	for (int i = 0; i < n; i++)
		if (info[i].domid == domid) {
			*out = info[i];
			return 1;
		}
	return 0;
}

static void test_record_outlives_death_while_mapped(void **state)
{
	struct umx_test_daemon d;
	struct umx_ctl_domain_info info;
	struct link l;
	uint32_t gdom, mdom;
	pid_t gpid, mpid;
	char ch;
	int found = 1;
	(void)state;

	assert_int_equal(pipe(l.to_mapper), 0);
	assert_int_equal(pipe(l.to_granter), 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "mapper", mapper, &l, &mdom, &mpid), 0);
	l.mapper_domid = mdom;
	assert_int_equal(umx_test_domain_fork(&d, "granter", granter, &l, &gdom, &gpid), 0);
	/* Wait until umxd counts the mapper's map of the granter's page. */
	for (int i = 0; i < 500; i++) {
		if (find(&d, gdom, &info) && info.grants_active == 1)
			break;
		usleep(10000);
	}
	assert_int_equal(info.grants_active, 1);
	kill(gpid, SIGKILL);
	assert_int_equal(umx_test_domain_reap(&d, gdom, gpid), 128 + SIGKILL);
	for (int i = 0; i < 500 && !(find(&d, gdom, &info) && info.state == UMX_DOM_DEAD); i++)
		usleep(10000);
	assert_true(find(&d, gdom, &info));
	assert_int_equal(info.state, UMX_DOM_DEAD);
	/* A new domain does not get the dead one's domid. */
	{
		uint32_t nd;
		int fd;
		assert_int_equal(umx_domain_create(d.ts, "newcomer", 0, &nd, &fd), 0);
		assert_int_not_equal(nd, gdom);
		close(fd);
	}
	ch = 'x';
	assert_int_equal(write(l.to_mapper[1], &ch, 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, mdom, mpid), 0);
	for (int i = 0; i < 500 && (found = find(&d, gdom, &info)); i++)
		usleep(10000);
	assert_false(found);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_record_outlives_death_while_mapped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
