/* SPDX-License-Identifier: MIT */
/* Proves umx_proc_read_num() reads a kernel text file's number exactly: the
 * file's first number, or that of the line starting with the key (a key
 * inside a line does not count), -ENOENT for a missing key, -EINVAL where no
 * number stands, the open's error for a missing file; and that it reads our
 * own PPid from /proc/self/status as getppid() says. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/internal/proc.h"

static char path[64];

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void first_number_and_keyed_lines(void **state)
{
	long v = 7;

	(void)state;
	put("42\n");
	assert_int_equal(umx_proc_read_num(path, NULL, &v), 0);
	assert_int_equal(v, 42);
	put("-3");
	assert_int_equal(umx_proc_read_num(path, NULL, &v), 0);
	assert_int_equal(v, -3);
	put("Name:\tx\nTracerPid:\t5\nPPid:\t17\n");
	assert_int_equal(umx_proc_read_num(path, "PPid:", &v), 0);
	assert_int_equal(v, 17);
	put("PPid:\t9\nPid:\t1\n");
	assert_int_equal(umx_proc_read_num(path, "PPid:", &v), 0);
	assert_int_equal(v, 9);
}

static void no_key_no_number_no_file(void **state)
{
	long v = 7;

	(void)state;
	put("XPPid:\t5\nName: PPid:\t6\n"); /* the key only inside lines */
	assert_int_equal(umx_proc_read_num(path, "PPid:", &v), -ENOENT);
	put("PPid:\tnone\n");
	assert_int_equal(umx_proc_read_num(path, "PPid:", &v), -EINVAL);
	put("");
	assert_int_equal(umx_proc_read_num(path, NULL, &v), -EINVAL);
	assert_int_equal(v, 7);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(umx_proc_read_num(path, NULL, &v), -ENOENT);
}

static void own_parent_from_proc(void **state)
{
	long v = 0;

	(void)state;
	assert_int_equal(umx_proc_read_num("/proc/self/status", "PPid:", &v), 0);
	assert_int_equal(v, getppid());
}

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/umx-proc-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(first_number_and_keyed_lines, setup, teardown),
	        cmocka_unit_test_setup_teardown(no_key_no_number_no_file, setup, teardown),
	        cmocka_unit_test(own_parent_from_proc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
