/* SPDX-License-Identifier: MIT */
/* A domain cannot act as the toolstack: $UMX_DIR/control and
 * $UMX_DIR/xenstored are not there for it (ENOENT), whether the path comes
 * from its environment, the test or the default, with $UMX_DIR under
 * /var/tmp (a domain's /tmp is its own anyway, so that would prove
 * nothing); toolstack requests on its own connection are refused (EPERM); in the store it can
 * neither read, write, chmod nor remove the victim's nodes, nor introduce, release or target
 * domains (EACCES). The victim and its store node are unchanged. */
#include "isolation_util.h"

static void test_toolstack_unreachable_from_domain(void **state)
{
	(void)state;
	iso_attack_refused("toolstack", NULL, ISO_DIR_OUTSIDE_TMP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_toolstack_unreachable_from_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
