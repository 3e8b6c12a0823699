/* SPDX-License-Identifier: MIT */
/* The XenStore client library: every call against umxd's store, from the
 * toolstack and from inside a domain (own identity, relative paths),
 * including watches queued behind replies and transaction conflicts. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx_test.h"
#include "umx/xs.h"

static int in_domain(void *arg)
{
	umx_xs *xs;
	char *v, *p, *t;
	char want[16];
	int r;
	(void)arg;

	CHILD_CHECK_OK(umx_xs_open(&xs));
	CHILD_CHECK_OK(umx_xs_read(xs, 0, "domid", &v, NULL));
	snprintf(want, sizeof(want), "%s", v);
	free(v);
	CHILD_CHECK_OK(umx_xs_write_str(xs, 0, "data/x", "42"));
	r = umx_xs_read(xs, 0, "/local/domain/0/name", &v, NULL);
	CHILD_CHECK(r == -EACCES || r == -ENOENT);
	CHILD_CHECK_OK(umx_xs_watch(xs, "data", "tok"));
	CHILD_CHECK_OK(umx_xs_read_watch(xs, &p, &t, 2000));
	CHILD_CHECK(strcmp(t, "tok") == 0);
	CHILD_CHECK(strcmp(p, "data") == 0); /* the initial event, reported relative */
	free(p);
	free(t);
	CHILD_CHECK_OK(umx_xs_write_str(xs, 0, "data/y", "1"));
	CHILD_CHECK_OK(umx_xs_read_watch(xs, &p, &t, 2000));
	CHILD_CHECK(strcmp(p, "data/y") == 0);
	free(p);
	free(t);
	umx_xs_close(xs);
	(void)want;
	return 0;
}

static void test_toolstack_calls(void **state)
{
	struct umx_test_daemon d;
	umx_xs *xs, *xs2;
	char *v, **names, **perms, *p, *t;
	unsigned n;
	uint32_t tx, tx2;
	size_t len;
	const char *np[] = {"n0", "r3"};
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_xs_open(&xs), 0);
	assert_int_equal(umx_xs_open(&xs2), 0);
	assert_int_equal(umx_xs_write(xs, 0, "/a/b", "hi\0there", 8), 0);
	assert_int_equal(umx_xs_read(xs, 0, "/a/b", &v, &len), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(v, "hi\0there", 8);
	free(v);
	assert_int_equal(umx_xs_read(xs, 0, "/nope", &v, NULL), -ENOENT);
	assert_int_equal(umx_xs_mkdir(xs, 0, "/a/c"), 0);
	assert_int_equal(umx_xs_directory(xs, 0, "/a", &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "b");
	assert_string_equal(names[1], "c");
	free(names);
	assert_int_equal(umx_xs_set_perms(xs, 0, "/a/b", np, 2), 0);
	assert_int_equal(umx_xs_get_perms(xs, 0, "/a/b", &perms, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(perms[1], "r3");
	free(perms);
	assert_int_equal(umx_xs_get_domain_path(xs, 7, &v), 0);
	assert_string_equal(v, "/local/domain/7");
	free(v);

	/* A watch event that arrives while a reply is awaited is kept. */
	assert_int_equal(umx_xs_watch(xs, "/w", "t1"), 0);
	assert_int_equal(umx_xs_write_str(xs, 0, "/w/z", "1"), 0);
	assert_int_equal(umx_xs_read_watch(xs, &p, &t, 1000), 0);
	assert_string_equal(p, "/w");
	free(p);
	free(t);
	assert_int_equal(umx_xs_read_watch(xs, &p, &t, 1000), 0);
	assert_string_equal(p, "/w/z");
	assert_string_equal(t, "t1");
	free(p);
	free(t);
	assert_int_equal(umx_xs_read_watch(xs, &p, &t, 50), -ETIMEDOUT);
	assert_int_equal(umx_xs_unwatch(xs, "/w", "t1"), 0);

	/* Transactions: isolation and a conflict reported as -EAGAIN. */
	assert_int_equal(umx_xs_transaction_start(xs, &tx), 0);
	assert_int_equal(umx_xs_transaction_start(xs2, &tx2), 0);
	assert_int_equal(umx_xs_write_str(xs, tx, "/t", "one"), 0);
	assert_int_equal(umx_xs_read(xs2, tx2, "/t", &v, NULL), -ENOENT);
	assert_int_equal(umx_xs_write_str(xs2, tx2, "/t", "two"), 0);
	assert_int_equal(umx_xs_transaction_end(xs, tx, true), 0);
	assert_int_equal(umx_xs_transaction_end(xs2, tx2, true), -EAGAIN);
	assert_int_equal(umx_xs_read(xs2, 0, "/t", &v, NULL), 0);
	assert_string_equal(v, "one");
	free(v);
	umx_xs_close(xs2);
	umx_xs_close(xs);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static void test_domain_calls(void **state)
{
	struct umx_test_daemon d;
	uint32_t domid;
	pid_t pid;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_test_domain_fork(&d, "xsc", in_domain, NULL, &domid, &pid), 0);
	assert_int_equal(umx_test_domain_reap(&d, domid, pid), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_toolstack_calls),
	        cmocka_unit_test(test_domain_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
