/* SPDX-License-Identifier: MIT */
/* A domain cannot take another process's descriptors: it holds nothing but
 * stdio and its own connection; /proc/<pid>/fd of umxd, the victim and the
 * test is not there (ENOENT) so no memfd can be reopened read-write;
 * pidfd_open of them fails (ESRCH); pidfd_getfd and kcmp are denied even on
 * itself (EPERM). The victim is unchanged afterwards. */
#include "isolation_util.h"

static void test_descriptors_of_umxd_and_domains_unstealable(void **state)
{
	(void)state;
	iso_attack_refused("steal-fds", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_descriptors_of_umxd_and_domains_unstealable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
