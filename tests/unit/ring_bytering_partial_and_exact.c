/* SPDX-License-Identifier: MIT */
/* Proves byte-ring partial reads/writes, all-or-nothing helpers (-EAGAIN, -EMSGSIZE, nothing
 * consumed), and a long stream across 32-bit wrap. */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/bytering.h"

static unsigned char buf[64];
static uint32_t cons, prod;

static void partial_and_exact(void **state)
{
	(void)state;
	struct umx_bytering r, w;
	unsigned char in[100], out[100];
	for (int i = 0; i < 100; i++)
		in[i] = (unsigned char)i;
	cons = prod = 0;
	assert_int_equal(umx_bytering_init(&w, UMX_BYTERING_WRITER, buf, 64, &cons, &prod), 0);
	assert_int_equal(umx_bytering_init(&r, UMX_BYTERING_READER, buf, 64, &cons, &prod), 0);
	assert_int_equal(umx_bytering_read(&r, out, 10), 0);
	assert_int_equal(umx_bytering_read_all(&r, out, 1), -EAGAIN);
	assert_int_equal(umx_bytering_write_all(&w, in, 65), -EMSGSIZE);
	assert_int_equal(umx_bytering_write(&w, in, 100), 64); /* partial */
	assert_int_equal(umx_bytering_space_avail(&w), 0);
	assert_int_equal(umx_bytering_write(&w, in, 1), 0);
	assert_int_equal(umx_bytering_write_all(&w, in, 1), -EAGAIN);
	assert_int_equal(umx_bytering_read_all(&r, out, 65), -EMSGSIZE);
	assert_int_equal(umx_bytering_read(&r, out, 10), 10);
	assert_memory_equal(out, in, 10);
	assert_int_equal(umx_bytering_write_all(&w, in, 11), -EAGAIN);
	assert_int_equal(prod, 64u); /* nothing written */
	assert_int_equal(umx_bytering_write_all(&w, in + 64, 10), 10);
	assert_int_equal(umx_bytering_data_avail(&r), 64);
	assert_int_equal(umx_bytering_read_all(&r, out, 54), 54);
	assert_memory_equal(out, in + 10, 54);
	assert_int_equal(umx_bytering_read_all(&r, out, 11), -EAGAIN);
	assert_int_equal(cons, 64u); /* nothing consumed */
	assert_int_equal(umx_bytering_read_all(&r, out, 10), 10);
	assert_memory_equal(out, in + 64, 10);
	assert_int_equal(umx_bytering_read_all(&r, out, 0), 0);
}

static void stream_across_wrap(void **state)
{
	(void)state;
	struct umx_bytering r, w;
	cons = prod = UINT32_MAX - 100;
	assert_int_equal(umx_bytering_init(&w, UMX_BYTERING_WRITER, buf, 64, &cons, &prod), 0);
	assert_int_equal(umx_bytering_init(&r, UMX_BYTERING_READER, buf, 64, &cons, &prod), 0);
	uint32_t wseq = 0, rseq = 0;
	for (int round = 0; round < 5000; round++) {
		unsigned char chunk[70], got[70];
		size_t k = (size_t)(round * 7) % 70;
		for (size_t i = 0; i < k; i++)
			chunk[i] = (unsigned char)(wseq + i);
		int n = umx_bytering_write(&w, chunk, k);
		assert_true(n >= 0 && (size_t)n <= k);
		wseq += (uint32_t)n;
		size_t m = (size_t)(round * 13) % 70;
		n = umx_bytering_read(&r, got, m);
		assert_true(n >= 0 && (size_t)n <= m);
		for (int i = 0; i < n; i++)
			assert_int_equal(got[i], (unsigned char)(rseq + (uint32_t)i));
		rseq += (uint32_t)n;
	}
	assert_true(rseq > 10000);
	assert_true(prod < 1000000u); /* wrapped */
	assert_null(umx_bytering_broken(&r));
	assert_null(umx_bytering_broken(&w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(partial_and_exact),
	        cmocka_unit_test(stream_across_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
