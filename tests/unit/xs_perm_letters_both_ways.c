/* SPDX-License-Identifier: MIT */
/* Proves the one permission mapping shared by libxenstore's compat and umxd's
 * store: each of n/r/w/b maps to Xen's flags and back, any other letter
 * (a peer's byte) is -EINVAL, and the letter ignores non read/write bits. */
#include <errno.h>

#include "umx_test.h"
#include "umx/xs.h"

static void letters_map_to_xen_flags_and_back(void **state)
{
	static const struct {
		char letter;
		int flags;
	} xen[] = {
	        {'n', 0},
	        {'r', 1}, /* XS_PERM_READ */
	        {'w', 2}, /* XS_PERM_WRITE */
	        {'b', 3},
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(xen) / sizeof(xen[0]); i++) {
		assert_int_equal(umx_xs_perm_from_letter(xen[i].letter), xen[i].flags);
		assert_int_equal(umx_xs_perm_letter((unsigned)xen[i].flags), xen[i].letter);
	}
}

static void other_letters_are_rejected(void **state)
{
	(void)state;
	for (int c = -128; c < 128; c++) {
		if (c == 'n' || c == 'r' || c == 'w' || c == 'b')
			continue;
		assert_int_equal(umx_xs_perm_from_letter((char)c), -EINVAL);
	}
}

static void letter_ignores_other_bits(void **state)
{
	(void)state;
	assert_int_equal(umx_xs_perm_letter(4u | 1u), 'r'); /* XS_PERM_OWNER in umxd */
	assert_int_equal(umx_xs_perm_letter(0xf0u | 2u), 'w');
	assert_int_equal(umx_xs_perm_letter(~0u), 'b');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(letters_map_to_xen_flags_and_back),
	        cmocka_unit_test(other_letters_are_rejected),
	        cmocka_unit_test(letter_ignores_other_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
