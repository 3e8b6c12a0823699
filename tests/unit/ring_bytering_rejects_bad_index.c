/* SPDX-License-Identifier: MIT */
/* Proves the byte ring breaks (sticky, -EPROTO) on a producer overrun or retreat (reader) and a
 * consumer outside [last cons, prod] (writer). */
#include <errno.h>
#include <string.h>

#include "umx_test.h"
#include "umx/bytering.h"

static unsigned char buf[64];
static uint32_t cons, prod;

static void reader(struct umx_bytering *b, uint32_t start)
{
	cons = prod = start;
	assert_int_equal(umx_bytering_init(b, UMX_BYTERING_READER, buf, sizeof(buf), &cons, &prod),
	                 0);
}

static void writer(struct umx_bytering *b, uint32_t start)
{
	cons = prod = start;
	assert_int_equal(umx_bytering_init(b, UMX_BYTERING_WRITER, buf, sizeof(buf), &cons, &prod),
	                 0);
}

static void reader_rejects_overrun(void **state)
{
	(void)state;
	struct umx_bytering b;
	char out[128];
	const uint32_t starts[] = {0, 100, UINT32_MAX - 10};
	for (size_t i = 0; i < 3; i++) {
		reader(&b, starts[i]);
		prod = starts[i] + 64;
		assert_int_equal(umx_bytering_data_avail(&b), 64);
		assert_int_equal(umx_bytering_read(&b, out, sizeof(out)), 64);
		prod = starts[i] + 64 + 65;
		assert_int_equal(umx_bytering_read(&b, out, sizeof(out)), -EPROTO);
		assert_non_null(strstr(umx_bytering_broken(&b), "overruns"));
		prod = starts[i] + 64;
		assert_int_equal(umx_bytering_read(&b, out, sizeof(out)), -EPROTO);
		assert_int_equal(umx_bytering_data_avail(&b), -EPROTO);
		assert_int_equal(umx_bytering_read_all(&b, out, 1), -EPROTO);
	}
}

static void reader_rejects_retreat(void **state)
{
	(void)state;
	struct umx_bytering b;
	char out[8];
	reader(&b, 10);
	prod = 30;
	assert_int_equal(umx_bytering_read(&b, out, 8), 8);
	prod = 25; /* still >= cons 18, but went back */
	assert_int_equal(umx_bytering_read(&b, out, 8), -EPROTO);
	assert_non_null(strstr(umx_bytering_broken(&b), "backwards"));
	reader(&b, 10);
	prod = 9;
	assert_int_equal(umx_bytering_data_avail(&b), -EPROTO);
}

static void writer_rejects_bad_consumer(void **state)
{
	(void)state;
	struct umx_bytering b;
	char in[64] = {0};
	writer(&b, UINT32_MAX - 3);
	assert_int_equal(umx_bytering_write(&b, in, 64), 64);
	cons = UINT32_MAX - 3 + 65; /* ahead of prod */
	assert_int_equal(umx_bytering_write(&b, in, 1), -EPROTO);
	assert_int_equal(umx_bytering_space_avail(&b), -EPROTO);
	writer(&b, 50);
	assert_int_equal(umx_bytering_write(&b, in, 40), 40);
	cons = 70;
	assert_int_equal(umx_bytering_space_avail(&b), 44);
	cons = 60; /* backwards */
	assert_int_equal(umx_bytering_write_all(&b, in, 1), -EPROTO);
	assert_non_null(strstr(umx_bytering_broken(&b), "backwards"));
	writer(&b, 50);
	cons = 49; /* attached mid-stream: one byte may still be unread */
	assert_int_equal(umx_bytering_space_avail(&b), 63);
	cons = 48; /* but the consumer may not move back from there */
	assert_int_equal(umx_bytering_space_avail(&b), -EPROTO);
	assert_int_equal(umx_bytering_mark_broken(&b, "again"), -EPROTO);
	assert_null(strstr(umx_bytering_broken(&b), "again"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(reader_rejects_overrun),
	        cmocka_unit_test(reader_rejects_retreat),
	        cmocka_unit_test(writer_rejects_bad_consumer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
