/* SPDX-License-Identifier: MIT */
/* A domain that gets a dead domain's domid back inherits no store right:
 * permissions granted to the dead one are gone at its death (XSA-322),
 * including those a toolstack transaction open across the death had set,
 * and permissions written while it is dead (by a toolstack or a peer that
 * has not yet seen @releaseDomain) are dropped. Its watches went with its
 * connections. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domid_reuse_util.h"
#include "umx/internal/ctl.h"
#include "umx/xs.h"
#include <xen/io/xs_wire.h>

#define DONE 0xd0e

/* The store connection of the domain this process is. */
static int dom_xs(umx_xs **xs)
{
	umx_conn *c;
	unsigned nfds = 0;
	int fd = -1;

	if (umx_conn_open_domain(&c) < 0 ||
	    umx_conn_call(c, UMX_CTL_XS_CONNECT, NULL, 0, NULL, 0, NULL, &fd, 1, &nfds) < 0 ||
	    nfds != 1)
		return -1;
	return umx_xs_open_fd(fd, xs);
}

static int can_read(umx_xs *xs, const char *path)
{
	char *v = NULL;
	int r = umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL);
	free(v);
	return r;
}

static int keeper(void *arg)
{
	struct reuse *r = arg;
	const char *perms[2] = {"n1", "r2"};
	umx_xs *xs;
	int fd = r->from_k[1];

	if (dom_xs(&xs) < 0)
		return reuse_fail(fd, 10);
	/* Told that domain 2 died: it shares a node with it all the same. */
	if (umx_test_get_u32(r->to_k[0]) != 2)
		return reuse_fail(fd, 11);
	if (umx_xs_write_str(xs, UMX_XS_NO_TX, "data/share", "for domain 2") < 0 ||
	    umx_xs_set_perms(xs, UMX_XS_NO_TX, "data/share", perms, 2) < 0)
		return reuse_fail(fd, 12);
	umx_test_put_u32(fd, 1);
	if (umx_test_get_u32(r->to_k[0]) != DONE)
		return reuse_fail(fd, 13);
	umx_xs_close(xs);
	umx_test_put_u32(fd, 0);
	return 0;
}

static int old_domain(void *arg)
{
	struct reuse *r = arg;
	umx_xs *xs;
	int fd = r->from_x[1];

	if (dom_xs(&xs) < 0)
		return reuse_fail(fd, 20);
	if (umx_test_get_u32(r->to_x[0]) != 1) /* the toolstack has granted it */
		return reuse_fail(fd, 22);
	if (can_read(xs, "/sec/old") < 0 || umx_xs_watch(xs, "/sec", "old-watch") < 0)
		return reuse_fail(fd, 21);
	umx_test_put_u32(fd, 0);
	return 0; /* dies holding the watch */
}

static int new_domain(void *arg)
{
	struct reuse *r = arg;
	static const char *const denied[] = {"/sec/old", "/sec/late", "/sec/txn-across",
	                                     "/sec/txn-after", "/local/domain/1/data/share"};
	umx_xs *xs;
	char *path, *token;
	int fd = r->from_x[1];

	if (dom_xs(&xs) < 0)
		return reuse_fail(fd, 30);
	for (unsigned i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (can_read(xs, denied[i]) != -EACCES)
			return reuse_fail(fd, 31 + (int)i);
	/* Nothing of the old domain's watch reaches us. */
	if (umx_xs_read_watch(xs, &path, &token, 0) != -ETIMEDOUT)
		return reuse_fail(fd, 40);
	umx_test_put_u32(fd, 0);
	/* Alive while the toolstack grants us something new. */
	if (umx_test_get_u32(r->to_x[0]) != DONE || can_read(xs, "/sec/late") < 0)
		return reuse_fail(fd, 41);
	umx_xs_close(xs);
	umx_test_put_u32(fd, 0);
	return 0;
}

/* The toolstack's view of @path's permissions, joined by spaces. */
static void perms_are(umx_xs *ts, const char *path, const char *want)
{
	char **p, buf[128] = "";
	unsigned n;

	assert_int_equal(umx_xs_get_perms(ts, UMX_XS_NO_TX, path, &p, &n), 0);
	for (unsigned i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", p[i]);
	free(p);
	assert_string_equal(buf, want);
}

static void test_reused_domid_inherits_no_store_right(void **state)
{
	const char *to_old[2] = {"n0", "r2"};
	char path[128], *rep = NULL;
	struct reuse r;
	uint32_t across, after;
	umx_xs *ts;
	(void)state;

	reuse_start(&r, keeper, old_domain);
	snprintf(path, sizeof(path), "%s/xenstored", r.d.dir);
	assert_int_equal(umx_xs_open_path(path, &ts), 0);
	for (unsigned i = 0; i < 4; i++) {
		static const char *const nodes[] = {"/sec/old", "/sec/late", "/sec/txn-across",
		                                    "/sec/txn-after"};
		assert_int_equal(umx_xs_write_str(ts, UMX_XS_NO_TX, nodes[i], "secret"), 0);
	}
	assert_int_equal(umx_xs_set_perms(ts, UMX_XS_NO_TX, "/sec/old", to_old, 2), 0);
	/* One transaction grants domain 2 before it dies, one after; both
	 * commit after. */
	assert_int_equal(umx_xs_transaction_start(ts, &across), 0);
	assert_int_equal(umx_xs_transaction_start(ts, &after), 0);
	assert_int_equal(umx_xs_set_perms(ts, across, "/sec/txn-across", to_old, 2), 0);
	umx_test_put_u32(r.to_x[1], 1);
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 0); /* the old domain read it, watches */
	reuse_old_gone(&r);
	/* Its watch went with it. */
	assert_int_equal(
	        umx_xs_request(ts, XS_CONTROL, UMX_XS_NO_TX, "quota-domain\0002", 15, &rep, NULL),
	        0);
	assert_non_null(strstr(rep, "watches 0"));
	free(rep);
	/* Written while domain 2 is dead: by the toolstack, in a transaction,
	 * and by the keeper, which has not looked at @releaseDomain. */
	assert_int_equal(umx_xs_set_perms(ts, UMX_XS_NO_TX, "/sec/late", to_old, 2), 0);
	assert_int_equal(umx_xs_set_perms(ts, after, "/sec/txn-after", to_old, 2), 0);
	assert_int_equal(umx_xs_transaction_end(ts, across, true), 0);
	assert_int_equal(umx_xs_transaction_end(ts, after, true), 0);
	umx_test_put_u32(r.to_k[1], 2);
	assert_int_equal(umx_test_get_u32(r.from_k[0]), 1);
	perms_are(ts, "/sec/old", "n0");
	perms_are(ts, "/sec/late", "n0");
	perms_are(ts, "/sec/txn-across", "n0");
	perms_are(ts, "/sec/txn-after", "n0");
	perms_are(ts, "/local/domain/1/data/share", "n1");
	/* A node cannot be given to a dead domain. */
	{
		const char *give[1] = {"n2"};
		assert_int_equal(umx_xs_set_perms(ts, UMX_XS_NO_TX, "/sec/late", give, 1), -ENOENT);
	}
	reuse_new(&r, new_domain);
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 0); /* nothing readable */
	/* A grant made while the new domain lives stands. */
	assert_int_equal(umx_xs_set_perms(ts, UMX_XS_NO_TX, "/sec/late", to_old, 2), 0);
	perms_are(ts, "/sec/late", "n0 r2");
	umx_test_put_u32(r.to_x[1], DONE);
	assert_int_equal(umx_test_get_u32(r.from_x[0]), 0); /* and it reads */
	umx_test_put_u32(r.to_k[1], DONE);
	assert_int_equal(umx_test_get_u32(r.from_k[0]), 0);
	umx_xs_close(ts);
	reuse_finish(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reused_domid_inherits_no_store_right),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
