/* SPDX-License-Identifier: MIT */
/* A domid that comes back after its domain died inherits nothing. The
 * victim grants a page to domain X, offers it an event channel and lets it
 * read a store node; X is destroyed; the toolstack cycles domids until the
 * next domain started the normal way gets X's id: that domain (the
 * attacker) cannot map or copy the grant (GNTST_permission_denied), bind the port
 * (EINVAL) or read or write the node (EACCES). The victim's page, grant
 * entries and nodes are unchanged, and the third domain still maps its. */
#include "isolation_util.h"

/* The last domid our umxd hands out before wrapping (UMXD_MAX_DOMID), so
 * that a domid comes back after a few domains, not 32751. */
#define DOMID_LAST 8u

/* Create and drop domains until the last one created had @last: the next
 * domain gets the lowest free domid. */
static void cycle_domids(struct iso *t, uint32_t last)
{
	uint32_t domid = 0;
	unsigned n = 0;
	int fd;

	while (domid != last) {
		assert_int_equal(umx_domain_create(t->d.ts, NULL, 1, &domid, &fd), 0);
		close(fd); /* its connection: the domain dies */
		assert_int_equal(umx_domain_exited(t->d.ts, domid, 0), 0);
		assert_true(++n <= last);
	}
	fprintf(stderr, "cycled %u domids\n", n);
}

static void test_recycled_domid_inherits_nothing(void **state)
{
	struct iso t;
	struct iso_dom doomed = {.in = -1, .out = -1};
	char q[64], a[512], offer[512], extra[1024];

	(void)state;
	memset(&t, 0, sizeof(t));
	t.victim.in = t.victim.out = t.third.in = t.third.out = -1;
	t.attacker.in = t.attacker.out = -1;
	signal(SIGUSR1, iso_on_signal);
	signal(SIGPIPE, SIG_IGN);
	setenv("UMXD_MAX_DOMID", "8", 1);
	assert_int_equal(umx_test_daemon_start(&t.d), 0);
	/* First, so it has the lowest domid: the first one handed out again. */
	assert_int_equal(iso_spawn(&t, &doomed, "doomed", "peer"), 0);
	assert_int_equal(iso_spawn(&t, &t.third, "third", "peer"), 0);
	assert_int_equal(iso_spawn(&t, &t.victim, "victim", "victim"), 0);
	snprintf(q, sizeof(q), "setup 0 %u", t.third.domid);
	assert_int_equal(iso_ask(&t.victim, q, a, sizeof(a)), 0);
	assert_memory_equal(a, "ok ", 3);
	snprintf(t.victim_info, sizeof(t.victim_info), "%s", a + 3);
	t.victim_host_pid = iso_host_pid(t.victim.pid, "victim", 0);
	snprintf(q, sizeof(q), "offer %u", doomed.domid);
	assert_int_equal(iso_ask(&t.victim, q, offer, sizeof(offer)), 0);
	assert_memory_equal(offer, "ok ", 3);

	assert_int_equal(umx_domain_destroy(t.d.ts, doomed.domid), 0);
	assert_int_equal(iso_reap(&t, &doomed), 128 + SIGKILL);
	cycle_domids(&t, DOMID_LAST);
	assert_int_equal(iso_spawn(&t, &t.attacker, "attacker", "recycled-domid"), 0);
	assert_int_equal(t.attacker.domid, doomed.domid);
	snprintf(extra, sizeof(extra), "%s", offer + 3);
	assert_int_equal(iso_attack(&t, extra), 0);
	iso_victim_check(&t, a, sizeof(a));
	assert_string_equal(a, "intact");
	iso_end(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_recycled_domid_inherits_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
