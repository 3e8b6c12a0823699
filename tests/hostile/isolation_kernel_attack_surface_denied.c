/* SPDX-License-Identifier: MIT */
/* A domain cannot reach the kernel interfaces a sandbox denies: bpf,
 * perf_event_open, keyctl, add_key, request_key, mount, chroot,
 * userfaultfd, open_by_handle_at, TIOCSTI on its terminal, kcmp and
 * process_vm_readv/writev all fail with EPERM, even aimed at itself. */
#include "isolation_util.h"

static void test_kernel_attack_surface_denied(void **state)
{
	(void)state;
	iso_attack_refused("kernel-surface", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_kernel_attack_surface_denied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
