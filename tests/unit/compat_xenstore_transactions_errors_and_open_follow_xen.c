/* SPDX-License-Identifier: MIT */
/* Through the drop-in libxenstore.so.4: transactions (isolation, commit,
 * abort, EAGAIN on a conflicting write, ENOENT for an unknown id), Xen's
 * error convention (NULL/false + errno: ENOENT for a missing node, EINVAL
 * for a malformed path or permission, E2BIG over the payload limit,
 * EACCES for another domain's node),
 * and the ways to open a handle (xs_open flags, xs_daemon_open[_readonly],
 * xs_domain_open, $XENSTORED_PATH). */
#include <stdint.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenstore.h>

#include "compat_xs_group.h"
#include "umx_test.h"

static void put(struct xs_handle *h, xs_transaction_t t, const char *path, const char *v)
{
	assert_true(XS(xs_write)(h, t, path, v, (unsigned)strlen(v)));
}

static void expect_node(struct xs_handle *h, xs_transaction_t t, const char *path, const char *v)
{
	unsigned n = 0;
	char *got = XS(xs_read)(h, t, path, &n);

	assert_non_null(got);
	assert_int_equal(n, strlen(v));
	assert_string_equal(got, v);
	free(got);
}

static void expect_enoent(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	unsigned n;

	errno = 0;
	assert_null(XS(xs_read)(h, t, path, &n));
	assert_int_equal(errno, ENOENT);
}

static void transactions_isolate_commit_abort_and_conflict_with_eagain(void **state)
{
	struct xs_handle *h = XS(xs_open)(0), *o = XS(xs_open)(0);
	xs_transaction_t t;

	(void)state;
	assert_true(h && o);
	/* Isolation, then commit. */
	t = XS(xs_transaction_start)(h);
	assert_int_not_equal(t, XBT_NULL);
	put(h, t, "/tx/y", "in");
	expect_node(h, t, "/tx/y", "in");
	expect_enoent(o, XBT_NULL, "/tx/y");
	assert_true(XS(xs_transaction_end)(h, t, false));
	expect_node(o, XBT_NULL, "/tx/y", "in");

	/* Abort discards. */
	t = XS(xs_transaction_start)(h);
	assert_int_not_equal(t, XBT_NULL);
	put(h, t, "/tx/z", "never");
	assert_true(XS(xs_transaction_end)(h, t, true));
	expect_enoent(o, XBT_NULL, "/tx/z");

	/* A node the transaction read changes under it: EAGAIN, nothing of
	 * the transaction lands. */
	put(o, XBT_NULL, "/tx/x", "0");
	t = XS(xs_transaction_start)(h);
	assert_int_not_equal(t, XBT_NULL);
	expect_node(h, t, "/tx/x", "0");
	put(h, t, "/tx/x", "mine");
	put(h, t, "/tx/w", "mine");
	put(o, XBT_NULL, "/tx/x", "theirs");
	errno = 0;
	assert_false(XS(xs_transaction_end)(h, t, false));
	assert_int_equal(errno, EAGAIN);
	expect_node(o, XBT_NULL, "/tx/x", "theirs");
	expect_enoent(o, XBT_NULL, "/tx/w");

	/* The ended id is gone: ENOENT, as xenstored says. */
	errno = 0;
	assert_false(XS(xs_transaction_end)(h, t, false));
	assert_int_equal(errno, ENOENT);
	XS(xs_close)(o);
	XS(xs_close)(h);
}

static void errors_are_null_or_false_with_xen_errno(void **state)
{
	struct xs_handle *h = XS(xs_open)(0);
	struct xs_permissions p[2];
	unsigned n;

	(void)state;
	assert_non_null(h);
	expect_enoent(h, XBT_NULL, "/missing/node");
	errno = 0;
	assert_null(XS(xs_directory)(h, XBT_NULL, "/missing", &n));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(XS(xs_get_permissions)(h, XBT_NULL, "/missing", &n));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_false(XS(xs_write)(h, XBT_NULL, "/bad//path", "v", 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_false(XS(xs_write)(h, XBT_NULL, "/bad path", "v", 1));
	assert_int_equal(errno, EINVAL);
	/* Permissions: a bit Xen does not know, or a malformed string. */
	put(h, XBT_NULL, "/perm", "v");
	p[0] = (struct xs_permissions){.id = 0, .perms = 0x10};
	errno = 0;
	assert_false(XS(xs_set_permissions)(h, XBT_NULL, "/perm", p, 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_false(XS(xs_strings_to_perms)(p, 1, "x5"));
	assert_int_equal(errno, EINVAL);
	assert_true(XS(xs_strings_to_perms)(p, 2, "n0\0r7"));
	assert_int_equal(p[1].id, 7);
	assert_int_equal(p[1].perms, XS_PERM_READ);
	assert_true(XS(xs_set_permissions)(h, XBT_NULL, "/perm", p, 2));
	{
		struct xs_permissions *got = XS(xs_get_permissions)(h, XBT_NULL, "/perm", &n);

		assert_non_null(got);
		assert_int_equal(n, 2);
		assert_int_equal(got[0].id, 0);
		assert_int_equal(got[0].perms, XS_PERM_NONE);
		assert_int_equal(got[1].id, 7);
		assert_int_equal(got[1].perms, XS_PERM_READ);
		free(got);
	}
	/* Over XENSTORE_PAYLOAD_MAX: E2BIG before anything is sent. */
	{
		static char big[XENSTORE_PAYLOAD_MAX + 1];

		errno = 0;
		assert_false(XS(xs_write)(h, XBT_NULL, "/big", big, sizeof(big)));
		assert_int_equal(errno, E2BIG);
		expect_enoent(h, XBT_NULL, "/big");
	}
	/* A node without children lists as an empty vector, not an error. */
	{
		char **none;

		put(h, XBT_NULL, "/leaf", "v");
		none = XS(xs_directory)(h, XBT_NULL, "/leaf", &n);
		assert_non_null(none);
		assert_int_equal(n, 0);
		free(none);
	}
	/* A directory listing is one allocation with the names after it. */
	put(h, XBT_NULL, "/dir/a", "");
	put(h, XBT_NULL, "/dir/b", "");
	{
		char **names = XS(xs_directory)(h, XBT_NULL, "/dir", &n);

		assert_non_null(names);
		assert_int_equal(n, 2);
		assert_true((!strcmp(names[0], "a") && !strcmp(names[1], "b")) ||
		            (!strcmp(names[0], "b") && !strcmp(names[1], "a")));
		free(names);
	}
	XS(xs_close)(h);
	XS(xs_close)(NULL); /* as Xen's: a no-op */
}

static void every_open_call_gives_a_working_handle(void **state)
{
	struct xs_handle *hs[5];
	char *dir = NULL;
	const char *saved = getenv("XENSTORED_PATH");

	(void)state;
	assert_null(saved);
	hs[0] = XS(xs_daemon_open)();
	hs[1] = XS(xs_daemon_open_readonly)();
	hs[2] = XS(xs_domain_open)();
	hs[3] = XS(xs_open)(XS_OPEN_READONLY);
	hs[4] = XS(xs_open)(XS_OPEN_SOCKETONLY | XS_UNWATCH_FILTER);
	for (int i = 0; i < 5; i++) {
		char path[32];

		assert_non_null(hs[i]);
		snprintf(path, sizeof(path), "/open/%d", i);
		/* Read-only changes nothing, as in Xen since 4.9 (one socket,
		 * xs_daemon_socket_ro() == xs_daemon_socket()). */
		put(hs[i], XBT_NULL, path, "ok");
		expect_node(hs[i], XBT_NULL, path, "ok");
	}
	for (int i = 0; i < 5; i++)
		XS(xs_daemon_close)(hs[i]);

	/* $XENSTORED_PATH wins over $UMX_DIR, and a missing socket is the
	 * connect's errno. */
	assert_int_equal(asprintf(&dir, "%s/xenstored", compat_xs.d.dir) > 0, 1);
	setenv("XENSTORED_PATH", dir, 1);
	assert_string_equal(XS(xs_daemon_socket)(), dir);
	hs[0] = XS(xs_open)(0);
	assert_non_null(hs[0]);
	expect_node(hs[0], XBT_NULL, "/open/0", "ok");
	XS(xs_close)(hs[0]);
	setenv("XENSTORED_PATH", "/nonexistent/umx/socket", 1);
	errno = 0;
	assert_null(XS(xs_open)(0));
	assert_int_equal(errno, ENOENT);
	unsetenv("XENSTORED_PATH");
	free(dir);
}

/* Domain A writes a node of its own and waits; domain B, another domain,
 * may neither read nor write it. */
struct two {
	int done[2];
	int unused[2]; /* the other side's ends: closed, so a death is EOF */
	uint32_t a;
};

static int owner(void *arg)
{
	struct two *t = arg;
	struct xs_handle *h;
	char c;

	close(t->unused[0]);
	close(t->unused[1]);
	CHILD_CHECK((compat_xs_lib = compat_lib("libxenstore.so.4")));
	CHILD_CHECK((h = XS(xs_open)(0)));
	/* Relative: lands in /local/domain/<A>/data, the domain's to write. */
	CHILD_CHECK(XS(xs_write)(h, XBT_NULL, "data/secret", "s", 1));
	CHILD_CHECK(umx_test_put_u32(t->done[1], 1) == 0);
	CHILD_CHECK(read(t->done[0], &c, 1) == 1);
	XS(xs_close)(h);
	return 0;
}

static int other(void *arg)
{
	struct two *t = arg;
	struct xs_handle *h;
	char path[64], *v;
	unsigned n;

	close(t->unused[0]);
	close(t->unused[1]);
	CHILD_CHECK((compat_xs_lib = compat_lib("libxenstore.so.4")));
	CHILD_CHECK(umx_test_get_u32(t->done[0]) == 1); /* A has written */
	CHILD_CHECK((h = XS(xs_open)(0)));
	snprintf(path, sizeof(path), "/local/domain/%u/data/secret", t->a);
	errno = 0;
	v = XS(xs_read)(h, XBT_NULL, path, &n);
	CHILD_CHECK(v == NULL && errno == EACCES);
	errno = 0;
	CHILD_CHECK(!XS(xs_write)(h, XBT_NULL, path, "x", 1) && errno == EACCES);
	errno = 0;
	CHILD_CHECK(!XS(xs_rm)(h, XBT_NULL, path) && errno == EACCES);
	/* Its own area is fine. */
	CHILD_CHECK(XS(xs_write)(h, XBT_NULL, "data/mine", "m", 1));
	XS(xs_close)(h);
	CHILD_CHECK(write(t->done[1], "x", 1) == 1);
	return 0;
}

static void another_domains_node_is_eacces(void **state)
{
	struct two t;
	int a2b[2], b2a[2];

	(void)state;
	assert_int_equal(pipe(a2b), 0);
	assert_int_equal(pipe(b2a), 0);
	/* owner writes a2b and reads b2a; other the reverse. */
	t = (struct two){{b2a[0], a2b[1]}, {a2b[0], b2a[1]}, 0};
	{
		struct umx_test_daemon d;
		struct two tb;
		uint32_t da, db;
		pid_t pa, pb;

		assert_int_equal(umx_test_daemon_start(&d), 0);
		assert_int_equal(umx_test_domain_fork(&d, "owner", owner, &t, &da, &pa), 0);
		tb = (struct two){{a2b[0], b2a[1]}, {b2a[0], a2b[1]}, da};
		assert_int_equal(umx_test_domain_fork(&d, "other", other, &tb, &db, &pb), 0);
		for (int i = 0; i < 2; i++) {
			close(a2b[i]);
			close(b2a[i]);
		}
		assert_int_equal(umx_test_domain_reap(&d, db, pb), 0);
		assert_int_equal(umx_test_domain_reap(&d, da, pa), 0);
		assert_int_equal(umx_test_daemon_stop(&d), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(transactions_isolate_commit_abort_and_conflict_with_eagain),
	        cmocka_unit_test(errors_are_null_or_false_with_xen_errno),
	        cmocka_unit_test(every_open_call_gives_a_working_handle),
	        cmocka_unit_test(another_domains_node_is_eacces),
	};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, compat_xs_setup, compat_xs_teardown);
}
