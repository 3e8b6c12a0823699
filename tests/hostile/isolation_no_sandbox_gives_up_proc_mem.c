/* SPDX-License-Identifier: MIT */
/* What --no-sandbox gives up, shown with the attack the sandbox stops in
 * isolation_proc_mem_of_other_domain_unreachable: without it, a domain run
 * by root (as here) opens the victim's /proc/<pid>/mem and overwrites its
 * private heap, and the victim sees the change. This is also the proof
 * that the attack and the victim's check can fail. As another user, libumx
 * makes the victim non-dumpable, so the same open is refused (EACCES) but
 * the victim's pid is still there to see. */
#include "isolation_util.h"

static void test_no_sandbox_gives_up_proc_mem(void **state)
{
	struct iso t;
	char a[512];
	int rc;

	(void)state;
	iso_begin(&t, "proc-mem", ISO_NO_SANDBOX);
	rc = iso_attack(&t, NULL);
	iso_victim_check(&t, a, sizeof(a));
	if (geteuid() == 0) {
		assert_int_equal(rc, 1); /* BREACH */
		assert_string_equal(a, "changed heap");
	} else {
		/* Refused, but not the sandbox's way: the pid is visible. */
		assert_int_equal(rc, 3);
		assert_string_equal(a, "intact");
	}
	iso_end(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_sandbox_gives_up_proc_mem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
