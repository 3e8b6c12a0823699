/* SPDX-License-Identifier: MIT */
/* A domain cannot signal a process outside itself: kill() of the victim,
 * umxd and the test, by pids given outright, fails with ESRCH, as does
 * pidfd_open, and kill(-1, 0) finds nothing to signal. Neither the victim
 * nor the test received a signal and umxd still runs. */
#include "isolation_util.h"

static void test_host_processes_cannot_be_signalled(void **state)
{
	(void)state;
	iso_attack_refused("signal-host", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_host_processes_cannot_be_signalled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
