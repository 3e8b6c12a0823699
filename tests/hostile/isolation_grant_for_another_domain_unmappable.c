/* SPDX-License-Identifier: MIT */
/* A domain cannot map a page granted to another domain. The victim's
 * connection cannot be stolen (its process is not reachable: ESRCH), and
 * the attacker's own connection is its identity: mapping or copying the
 * victim's grant for a third domain fails with GNTST_general_error, as on
 * Xen, and so does every other ref of the victim's table; its read-only
 * grant cannot be mapped writable (GNTST_permission_denied). The third
 * domain still maps its page afterwards, unchanged. */
#include "isolation_util.h"

static void test_grant_for_another_domain_unmappable(void **state)
{
	(void)state;
	iso_attack_refused("map-foreign-grant", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_grant_for_another_domain_unmappable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
