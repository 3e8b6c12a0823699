/* SPDX-License-Identifier: MIT */
/* Proves the byte ring drives vchan's (libxenvchan.h) and the console's (console.h) shared layouts:
 * the right index fields move, data lands at the right offsets. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <xen/io/console.h>
#include <xen/io/libxenvchan.h>

#include "umx_test.h"
#include "umx/bytering.h"
#include "umx/grant.h"

_Static_assert(offsetof(struct vchan_interface, left) == 0, "vchan left ring");
_Static_assert(offsetof(struct vchan_interface, right) == 8, "vchan right ring");
_Static_assert(offsetof(struct ring_shared, cons) == 0, "vchan cons first");
_Static_assert(offsetof(struct ring_shared, prod) == 4, "vchan prod second");
_Static_assert(sizeof(XENCONS_RING_IDX) == sizeof(uint32_t), "console index is 32-bit");
_Static_assert(offsetof(struct xencons_interface, out) == 1024, "console out");
_Static_assert(offsetof(struct xencons_interface, in_cons) == 3072, "console in_cons");
_Static_assert(offsetof(struct xencons_interface, in_prod) == 3076, "console in_prod");
_Static_assert(offsetof(struct xencons_interface, out_cons) == 3080, "console out_cons");
_Static_assert(offsetof(struct xencons_interface, out_prod) == 3084, "console out_prod");

static _Alignas(UMX_PAGE_SIZE) unsigned char vpage[UMX_PAGE_SIZE];

static void vchan_order10_left_ring(void **state)
{
	(void)state;
	/* Server reads the left ring (client writes), order 10: buffer at 1024. */
	struct vchan_interface *vi = (struct vchan_interface *)vpage;
	memset(vpage, 0, sizeof(vpage));
	vi->left_order = 10;
	vi->right_order = 11;
	struct umx_bytering w, r;
	assert_int_equal(umx_bytering_init(&w, UMX_BYTERING_WRITER, vpage + 1024, 1024,
	                                   &vi->left.cons, &vi->left.prod),
	                 0);
	assert_int_equal(umx_bytering_init(&r, UMX_BYTERING_READER, vpage + 1024, 1024,
	                                   &vi->left.cons, &vi->left.prod),
	                 0);
	assert_int_equal(umx_bytering_write(&w, "hello", 5), 5);
	assert_int_equal(vi->left.prod, 5u);
	assert_int_equal(vi->left.cons, 0u);
	assert_memory_equal(vpage + 1024, "hello", 5);
	assert_int_equal(vi->right.prod, 0u); /* the other ring is untouched */
	char buf[8];
	assert_int_equal(umx_bytering_read(&r, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(vi->left.cons, 5u);
}

static void vchan_order11_right_ring(void **state)
{
	(void)state;
	struct vchan_interface *vi = (struct vchan_interface *)vpage;
	memset(vpage, 0, sizeof(vpage));
	vi->right.cons = vi->right.prod = 2040; /* attach mid-stream */
	struct umx_bytering w, r;
	assert_int_equal(umx_bytering_init(&w, UMX_BYTERING_WRITER, vpage + 2048, 2048,
	                                   &vi->right.cons, &vi->right.prod),
	                 0);
	assert_int_equal(umx_bytering_init(&r, UMX_BYTERING_READER, vpage + 2048, 2048,
	                                   &vi->right.cons, &vi->right.prod),
	                 0);
	assert_int_equal(umx_bytering_write_all(&w, "0123456789abcdef", 16), 16);
	assert_int_equal(vi->right.prod, 2056u);
	/* Wrapped: 8 bytes at the end of the buffer, 8 at its start. */
	assert_memory_equal(vpage + 2048 + 2040, "01234567", 8);
	assert_memory_equal(vpage + 2048, "89abcdef", 8);
	char buf[16];
	assert_int_equal(umx_bytering_read_all(&r, buf, 16), 16);
	assert_memory_equal(buf, "0123456789abcdef", 16);
	assert_int_equal(vi->right.cons, 2056u);
	assert_int_equal(vi->left.prod, 0u);
}

static void console_in_and_out(void **state)
{
	(void)state;
	static struct xencons_interface ci;
	memset(&ci, 0, sizeof(ci));
	/* Guest writes out[], backend reads it; backend writes in[], guest reads. */
	struct umx_bytering gout, bout, bin, gin;
	assert_int_equal(umx_bytering_init(&gout, UMX_BYTERING_WRITER, ci.out, sizeof(ci.out),
	                                   &ci.out_cons, &ci.out_prod),
	                 0);
	assert_int_equal(umx_bytering_init(&bout, UMX_BYTERING_READER, ci.out, sizeof(ci.out),
	                                   &ci.out_cons, &ci.out_prod),
	                 0);
	assert_int_equal(umx_bytering_init(&bin, UMX_BYTERING_WRITER, ci.in, sizeof(ci.in),
	                                   &ci.in_cons, &ci.in_prod),
	                 0);
	assert_int_equal(umx_bytering_init(&gin, UMX_BYTERING_READER, ci.in, sizeof(ci.in),
	                                   &ci.in_cons, &ci.in_prod),
	                 0);
	assert_int_equal(umx_bytering_write(&gout, "login: ", 7), 7);
	assert_int_equal(ci.out_prod, 7u);
	assert_memory_equal(&ci.out[MASK_XENCONS_IDX(0, ci.out)], "login: ", 7);
	assert_int_equal(umx_bytering_write(&bin, "root\n", 5), 5);
	assert_int_equal(ci.in_prod, 5u);
	assert_int_equal(ci.out_cons + ci.in_cons, 0u);
	char buf[16];
	assert_int_equal(umx_bytering_read(&bout, buf, sizeof(buf)), 7);
	assert_int_equal(ci.out_cons, 7u);
	assert_int_equal(umx_bytering_read(&gin, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "root\n", 5);
	assert_int_equal(ci.in_cons, 5u);
}

static void init_rejects_bad_geometry(void **state)
{
	(void)state;
	uint32_t c = 0, p = 0;
	struct umx_bytering b;
	assert_int_equal(umx_bytering_init(&b, UMX_BYTERING_READER, vpage, 1000, &c, &p), -EINVAL);
	assert_int_equal(umx_bytering_init(&b, UMX_BYTERING_READER, vpage, 0, &c, &p), -EINVAL);
	assert_int_equal(umx_bytering_init(&b, UMX_BYTERING_READER, NULL, 1024, &c, &p), -EINVAL);
	assert_int_equal(umx_bytering_init(&b, (enum umx_bytering_role)0, vpage, 1024, &c, &p),
	                 -EINVAL);
	assert_int_equal(umx_bytering_init(&b, UMX_BYTERING_READER, vpage, 1024, &c, &p), 0);
	assert_int_equal(umx_bytering_space_avail(&b), -EINVAL);
	assert_int_equal(umx_bytering_write(&b, "x", 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(vchan_order10_left_ring),
	        cmocka_unit_test(vchan_order11_right_ring),
	        cmocka_unit_test(console_in_and_out),
	        cmocka_unit_test(init_rejects_bad_geometry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
