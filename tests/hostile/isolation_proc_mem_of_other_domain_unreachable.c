/* SPDX-License-Identifier: MIT */
/* A domain cannot read or write another domain's private heap. It scans
 * /proc and also opens /proc/<pid>/mem of the victim's host pid, umxd's and
 * the test's, given outright (ENOENT: not in its pid namespace), and calls
 * process_vm_readv/writev on the victim (EPERM, seccomp). The victim's heap,
 * grants and store node are unchanged afterwards. */
#include "isolation_util.h"

static void test_proc_mem_of_other_domain_unreachable(void **state)
{
	(void)state;
	iso_attack_refused("proc-mem", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_proc_mem_of_other_domain_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
