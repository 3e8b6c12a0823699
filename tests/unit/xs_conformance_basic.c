/* SPDX-License-Identifier: MIT */
/* XenStore conformance: every basic request type, its reply bytes and its error paths. */
#include "umx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_util.h"

static int setup(void **state)
{
	return xs_fx_setup(state, NULL, NULL, false);
}

#define CALL(f, type, tx, ...) xs_raw_call((f)->d0, type, tx, __VA_ARGS__, &(f)->r)

static void expect_err(struct xs_fx *f, int type, const char *err)
{
	assert_int_equal(type, XS_ERROR);
	assert_string_equal(f->r.body, err);
	assert_int_equal(f->r.h.len, strlen(err) + 1);
}

static void write_read(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/a/b\0hello")), XS_WRITE);
	assert_int_equal(f->r.h.len, 3);
	assert_memory_equal(f->r.body, "OK", 3);
	assert_int_equal(CALL(f, XS_READ, 0, XS_A("/a/b")), XS_READ);
	assert_int_equal(f->r.h.len, 5); /* no NUL: Xen replies with the bytes */
	assert_memory_equal(f->r.body, "hello", 5);
	/* Implicit parent, empty value. */
	assert_int_equal(CALL(f, XS_READ, 0, XS_A("/a")), XS_READ);
	assert_int_equal(f->r.h.len, 0);
	/* Binary values and overwrite. */
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/a/b\0x\0y")), XS_WRITE);
	assert_int_equal(CALL(f, XS_READ, 0, XS_A("/a/b")), XS_READ);
	assert_int_equal(f->r.h.len, 3);
	assert_memory_equal(f->r.body, "x\0y", 3);
	/* Empty value. */
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/a/e\0")), XS_WRITE);
	assert_int_equal(CALL(f, XS_READ, 0, XS_A("/a/e")), XS_READ);
	assert_int_equal(f->r.h.len, 0);
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/nope")), "ENOENT");
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/a/b/c/d")), "ENOENT");
}

static void ids_echoed(void **state)
{
	struct xs_fx *f = *state;
	assert_true(xs_raw_send(f->d0, XS_READ, 0xdeadbeef, 0, XS_A("/tool")) > 0);
	assert_true(xs_raw_recv(f->d0, &f->r));
	assert_int_equal(f->r.h.req_id, 0xdeadbeef);
	assert_int_equal(f->r.h.tx_id, 0);
	assert_int_equal(f->r.h.type, XS_READ);
	/* Errors echo too. */
	assert_true(xs_raw_send(f->d0, XS_READ, 7, 0, XS_A("/none")) > 0);
	assert_true(xs_raw_recv(f->d0, &f->r));
	assert_int_equal(f->r.h.req_id, 7);
	assert_int_equal(f->r.h.type, XS_ERROR);
}

static void split_stream(void **state)
{
	/* Debian's client writes header and payload separately; any split works. */
	struct xs_fx *f = *state;
	unsigned char buf[64];
	size_t n = xs_raw_encode(buf, XS_WRITE, 1, 0, XS_V("/s\0v1"));
	n += xs_raw_encode(buf + n, XS_READ, 2, 0, XS_A("/s"));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(xs_conn_feed(f->d0, buf + i, 1), 1);
	assert_true(xs_raw_recv(f->d0, &f->r));
	assert_int_equal(f->r.h.type, XS_WRITE);
	assert_true(xs_raw_recv(f->d0, &f->r));
	assert_int_equal(f->r.h.type, XS_READ);
	assert_int_equal(f->r.h.req_id, 2);
	assert_string_equal(f->r.body, "v1");
	assert_false(xs_raw_recv(f->d0, &f->r));
}

static void mkdir_rm(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, XS_MKDIR, 0, XS_A("/m/n")), XS_MKDIR);
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/m/n\0v")), XS_WRITE);
	/* mkdir of an existing node keeps its value */
	assert_int_equal(CALL(f, XS_MKDIR, 0, XS_A("/m/n")), XS_MKDIR);
	assert_int_equal(CALL(f, XS_READ, 0, XS_A("/m/n")), XS_READ);
	assert_string_equal(f->r.body, "v");
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/m/n/o/p\0deep")), XS_WRITE);
	assert_int_equal(CALL(f, XS_RM, 0, XS_A("/m/n")), XS_RM);
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/m/n/o/p")), "ENOENT");
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/m/n")), "ENOENT");
	/* rm of a missing node: OK if the parent exists, else ENOENT */
	assert_int_equal(CALL(f, XS_RM, 0, XS_A("/m/n")), XS_RM);
	expect_err(f, CALL(f, XS_RM, 0, XS_A("/m/x/y")), "ENOENT");
	expect_err(f, CALL(f, XS_RM, 0, XS_A("/")), "EINVAL");
	assert_int_equal(CALL(f, XS_DIRECTORY, 0, XS_A("/m")), XS_DIRECTORY);
	assert_int_equal(f->r.h.len, 0);
}

static void directory(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/d/zz\0")), XS_WRITE);
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/d/aa\0")), XS_WRITE);
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/d/mm\0")), XS_WRITE);
	assert_int_equal(CALL(f, XS_DIRECTORY, 0, XS_A("/d")), XS_DIRECTORY);
	/* creation order, each name NUL-terminated */
	assert_int_equal(f->r.h.len, 9);
	assert_memory_equal(f->r.body, "zz\0aa\0mm\0", 9);
	assert_int_equal(CALL(f, XS_RM, 0, XS_A("/d/aa")), XS_RM);
	assert_int_equal(CALL(f, XS_DIRECTORY, 0, XS_A("/d")), XS_DIRECTORY);
	assert_memory_equal(f->r.body, "zz\0mm\0", 6);
	expect_err(f, CALL(f, XS_DIRECTORY, 0, XS_A("/d/none")), "ENOENT");
}

static void directory_part(void **state)
{
	struct xs_fx *f = *state;
	char path[64];
	/* 600 children of 12-byte names: more than one 4096-byte part. */
	for (int i = 0; i < 600; i++) {
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "/dp/child%05d", i);
		assert_int_equal(xs_raw_call(f->d0, XS_WRITE, 0, msg, (uint32_t)n + 1, &f->r),
		                 XS_WRITE);
	}
	/* Too long for one DIRECTORY reply: E2BIG, as Xen; use DIRECTORY_PART. */
	expect_err(f, CALL(f, XS_DIRECTORY, 0, XS_A("/dp")), "E2BIG");
	unsigned off = 0, seen = 0;
	static char gen0[XENSTORE_PAYLOAD_MAX + 1];
	for (int round = 0; round < 10; round++) {
		char req[64];
		int n = snprintf(req, sizeof(req), "/dp%c%u", 0, off);
		assert_int_equal(
		        xs_raw_call(f->d0, XS_DIRECTORY_PART, 0, req, (uint32_t)n + 1, &f->r),
		        XS_DIRECTORY_PART);
		assert_true(f->r.h.len <= XENSTORE_PAYLOAD_MAX);
		const char *gen = f->r.body;
		if (!round)
			snprintf(gen0, sizeof(gen0), "%s", gen);
		assert_string_equal(gen, gen0); /* unchanged node: same generation */
		size_t p = strlen(gen) + 1;
		bool end = false;
		while (p < f->r.h.len) {
			size_t l = strlen(f->r.body + p);
			if (!l) {
				end = true;
				assert_int_equal(p + 1, f->r.h.len);
				break;
			}
			snprintf(path, sizeof(path), "child%05u", seen);
			assert_string_equal(f->r.body + p, path);
			seen++;
			off += (unsigned)l + 1;
			p += l + 1;
		}
		if (end)
			break;
	}
	assert_int_equal(seen, 600);
	/* Offset past the end: generation and an empty string. */
	assert_int_equal(CALL(f, XS_DIRECTORY_PART, 0,
	                      XS_A("/dp\0"
	                           "99999")),
	                 XS_DIRECTORY_PART);
	assert_int_equal(f->r.h.len, strlen(f->r.body) + 2);
	expect_err(f, CALL(f, XS_DIRECTORY_PART, 0, XS_A("/dp")), "EINVAL");
	expect_err(f, CALL(f, XS_DIRECTORY_PART, 0, XS_A("/dp\0x")), "EINVAL");
}

static void perms_wire(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, XS_GET_PERMS, 0, XS_A("/")), XS_GET_PERMS);
	assert_int_equal(f->r.h.len, 3);
	assert_memory_equal(f->r.body, "n0", 3);
	assert_int_equal(CALL(f, XS_WRITE, 0, XS_V("/p\0")), XS_WRITE);
	assert_int_equal(CALL(f, XS_SET_PERMS, 0, XS_A("/p\0w3\0r4\0b5\0n6")), XS_SET_PERMS);
	assert_int_equal(CALL(f, XS_GET_PERMS, 0, XS_A("/p")), XS_GET_PERMS);
	assert_int_equal(f->r.h.len, 12);
	assert_memory_equal(f->r.body, "w3\0r4\0b5\0n6\0", 12);
	expect_err(f, CALL(f, XS_SET_PERMS, 0, XS_A("/p\0x3")), "EINVAL");
	expect_err(f, CALL(f, XS_SET_PERMS, 0, XS_A("/p\0r")), "EINVAL");
	expect_err(f, CALL(f, XS_SET_PERMS, 0, XS_A("/p\0r70000")), "EINVAL");
	expect_err(f, CALL(f, XS_SET_PERMS, 0, XS_A("/p")), "EINVAL");
	expect_err(f, CALL(f, XS_SET_PERMS, 0, XS_A("/q\0n0")), "ENOENT");
	/* Special paths have permissions too. */
	assert_int_equal(CALL(f, XS_GET_PERMS, 0, XS_A("@releaseDomain")), XS_GET_PERMS);
	assert_memory_equal(f->r.body, "n0", 3);
	assert_int_equal(CALL(f, XS_SET_PERMS, 0, XS_A("@releaseDomain\0n0\0r7")), XS_SET_PERMS);
	assert_int_equal(CALL(f, XS_GET_PERMS, 0, XS_A("@releaseDomain")), XS_GET_PERMS);
	assert_memory_equal(f->r.body, "n0\0r7", 6);
	expect_err(f, CALL(f, XS_GET_PERMS, 0, XS_A("@other")), "ENOENT");
}

static void paths(void **state)
{
	struct xs_fx *f = *state;
	char big[XENSTORE_ABS_PATH_MAX + 8];
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/a//b")), "EINVAL");
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/a/")), "EINVAL");
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/a b")), "EINVAL");
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/a.b")), "EINVAL");
	expect_err(f, CALL(f, XS_READ, 0, XS_A("@introduceDomain")), "EINVAL");
	expect_err(f, CALL(f, XS_READ, 0, XS_A("")), "EINVAL"); /* relative "" */
	/* Relative paths resolve against /local/domain/0 for dom0. */
	assert_int_equal(CALL(f, XS_READ, 0, XS_A("name")), XS_READ);
	assert_string_equal(f->r.body, "Domain-0");
	/* Length limit: XENSTORE_ABS_PATH_MAX accepted, one more refused. */
	big[0] = '/';
	memset(big + 1, 'x', XENSTORE_ABS_PATH_MAX - 1);
	big[XENSTORE_ABS_PATH_MAX] = '\0';
	assert_int_equal(xs_raw_call(f->d0, XS_WRITE, 0, big, XENSTORE_ABS_PATH_MAX + 1, &f->r),
	                 XS_WRITE);
	big[XENSTORE_ABS_PATH_MAX] = 'x';
	big[XENSTORE_ABS_PATH_MAX + 1] = '\0';
	expect_err(f, xs_raw_call(f->d0, XS_WRITE, 0, big, XENSTORE_ABS_PATH_MAX + 2, &f->r),
	           "EINVAL");
}

static void missing_nul(void **state)
{
	struct xs_fx *f = *state;
	expect_err(f, CALL(f, XS_READ, 0, XS_V("/tool")), "EINVAL");
	expect_err(f, CALL(f, XS_READ, 0, XS_A("/tool\0/x")), "EINVAL");
	expect_err(f, CALL(f, XS_WRITE, 0, XS_V("/nonul")), "EINVAL");
	expect_err(f, CALL(f, XS_WATCH, 0, XS_A("/tool")), "EINVAL");
	expect_err(f, CALL(f, XS_READ, 0, NULL, 0), "EINVAL");
}

static void domain_path_and_introduced(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(CALL(f, XS_GET_DOMAIN_PATH, 0, XS_A("7")), XS_GET_DOMAIN_PATH);
	assert_int_equal(f->r.h.len, sizeof("/local/domain/7"));
	assert_string_equal(f->r.body, "/local/domain/7");
	expect_err(f, CALL(f, XS_GET_DOMAIN_PATH, 0, XS_A("x7")), "EINVAL");
	assert_int_equal(CALL(f, XS_IS_DOMAIN_INTRODUCED, 0, XS_A("0")), XS_IS_DOMAIN_INTRODUCED);
	assert_memory_equal(f->r.body, "T", 2);
	assert_int_equal(CALL(f, XS_IS_DOMAIN_INTRODUCED, 0, XS_A("9")), XS_IS_DOMAIN_INTRODUCED);
	assert_memory_equal(f->r.body, "F", 2);
	assert_int_equal(xs_store_domain_introduce(f->st, 9, "nine"), 0);
	assert_int_equal(CALL(f, XS_IS_DOMAIN_INTRODUCED, 0, XS_A("9")), XS_IS_DOMAIN_INTRODUCED);
	assert_memory_equal(f->r.body, "T", 2);
}

static void unknown_types(void **state)
{
	struct xs_fx *f = *state;
	expect_err(f, CALL(f, XS_TYPE_COUNT, 0, XS_A("/")), "ENOSYS");
	expect_err(f, CALL(f, XS_WATCH_EVENT, 0, XS_A("/")), "ENOSYS");
	expect_err(f, CALL(f, XS_ERROR, 0, XS_A("/")), "ENOSYS");
	expect_err(f, CALL(f, 20, 0, XS_A("/")), "ENOSYS"); /* removed XS_RESTRICT */
	expect_err(f, CALL(f, XS_INVALID, 0, XS_A("/")), "ENOSYS");
	/* the connection is still fine */
	assert_int_equal(CALL(f, XS_READ, 0, XS_A("/local/domain/0/domid")), XS_READ);
	assert_string_equal(f->r.body, "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(write_read, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(ids_echoed, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(split_stream, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(mkdir_rm, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(directory, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(directory_part, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(perms_wire, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(paths, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(missing_nul, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(domain_path_and_introduced, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(unknown_types, setup, xs_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
