/* SPDX-License-Identifier: MIT */
/* A read-only grant stays read-only for its mapper: reopening its
 * descriptor O_RDWR through /proc/self/fd fails (EACCES), as do mmap
 * PROT_WRITE (EACCES), pwrite (EBADF), mprotect (EACCES) and writing through
 * /proc/self/mem (EIO); and the descriptor of a read-write grant from the
 * same granter does not reach the read-only page (its own region). The
 * victim's read-only page is unchanged afterwards. */
#include "isolation_util.h"

static void test_readonly_grant_cannot_be_written(void **state)
{
	(void)state;
	iso_attack_refused("readonly-grant", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_readonly_grant_cannot_be_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
