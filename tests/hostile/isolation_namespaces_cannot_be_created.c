/* SPDX-License-Identifier: MIT */
/* A domain cannot create or enter namespaces: unshare of each kind,
 * clone(CLONE_NEWUSER) and setns fail with EPERM (seccomp), clone3 with
 * ENOSYS (the filter cannot read its flags, so it refuses it whole). */
#include "isolation_util.h"

static void test_namespaces_cannot_be_created(void **state)
{
	(void)state;
	iso_attack_refused("namespaces", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_namespaces_cannot_be_created),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
