/* SPDX-License-Identifier: MIT */
/* Platform selection: an explicit or environment choice is honoured, an
 * unknown one is refused, and the xen backend fails cleanly (no crash, no
 * leaked descriptor) on a machine without Xen's devices. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/platform.h"

static void test_selection(void **state)
{
	umx_plat *p = NULL;
	int before = umx_test_count_fds(getpid());
	(void)state;

	assert_int_equal(umx_plat_open("bogus", &p), -ENOTSUP);
	if (access("/dev/xen/gntalloc", F_OK) == 0) {
		print_message("running on Xen: the xen backend is exercised by tests/xen\n");
	} else {
		assert_int_equal(umx_plat_open("xen", &p), -ENOENT);
		setenv("UMX_PLATFORM", "xen", 1);
		assert_int_equal(umx_plat_open(NULL, &p), -ENOENT);
		unsetenv("UMX_PLATFORM");
	}
	/* Not a domain and no Xen: the umxd backend says so. */
	unsetenv("UMX_DOMAIN_FD");
	assert_int_equal(umx_plat_open(NULL, &p), -ENOENT);
	assert_int_equal(umx_test_count_fds(getpid()), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_selection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
