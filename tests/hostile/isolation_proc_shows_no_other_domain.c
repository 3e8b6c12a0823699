/* SPDX-License-Identifier: MIT */
/* A domain sees no other domain: /proc lists no umxd, no other domain and
 * not the test, the host pids of all three are not there (ENOENT), and the
 * store does not list /local/domain or the victim's directory (EACCES). */
#include "isolation_util.h"

static void test_proc_shows_no_other_domain(void **state)
{
	(void)state;
	iso_attack_refused("list-proc", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_proc_shows_no_other_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
