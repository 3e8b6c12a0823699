/* SPDX-License-Identifier: MIT */
/* A domain cannot trace its parent, the victim or umxd (PTRACE_ATTACH:
 * EPERM), nor ask to be traced (PTRACE_TRACEME: EPERM). */
#include "isolation_util.h"

static void test_parent_cannot_be_traced(void **state)
{
	(void)state;
	iso_attack_refused("ptrace-parent", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parent_cannot_be_traced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
