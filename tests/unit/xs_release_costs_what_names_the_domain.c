/* SPDX-License-Identifier: MIT */
/* A domain's release scrubs its permissions from every node that names it
 * (XSA-322) by visiting those nodes only, not the whole store: with 2000
 * domains introduced, each named by a backend node in another domain's
 * tree and by a node outside every domain's tree, a release visits the
 * two nodes that name it (none for a domain nothing names), whatever the
 * store's size. Permissions that change (directly, or through a committed
 * transaction) move the node to the new domain's list; once every domain
 * is released no node names any of them. Destroying N domains used to
 * cost N walks of a store that grows with N (5000 destroys: 853 s). */
#include "umx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore/xs_engine.h"
#include "xs_util.h"

#define N 2000u

static int setup(void **state)
{
	return xs_fx_setup(state, NULL, NULL, false);
}

/* dom0 request with a payload of NUL-separated @args (each ends in a NUL,
 * except a WRITE's value, which @trim_last drops). */
static int call(struct xs_fx *f, int type, uint32_t tx, bool trim_last, const char *const *args,
                unsigned n)
{
	char buf[512];
	size_t len = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(args[i]) + 1;
		assert_true(len + l <= sizeof(buf));
		memcpy(buf + len, args[i], l);
		len += l;
	}
	if (trim_last)
		len--;
	return xs_raw_call(f->d0, (uint32_t)type, tx, buf, (uint32_t)len, &f->r);
}

static void write_node(struct xs_fx *f, uint32_t tx, const char *path, const char *p0,
                       const char *p1)
{
	const char *w[2] = {path, "x"}, *sp[3] = {path, p0, p1};

	assert_int_equal(call(f, XS_WRITE, tx, true, w, 2), XS_WRITE);
	assert_int_equal(call(f, XS_SET_PERMS, tx, false, sp, p1 ? 3 : 2), XS_SET_PERMS);
}

/* @path's permissions are @want (@wlen bytes, NULs included). */
static void perms_are(struct xs_fx *f, const char *path, const char *want, size_t wlen)
{
	const char *a[1] = {path};

	assert_int_equal(call(f, XS_GET_PERMS, 0, false, a, 1), XS_GET_PERMS);
	assert_int_equal(f->r.h.len, wlen);
	assert_memory_equal(f->r.body, want, wlen);
}

/* Does any committed node's permission list name a domain in [lo, hi]? */
static bool any_names(struct xs_store *st, unsigned lo, unsigned hi)
{
	size_t bucket = 0;
	struct xs_node *n = NULL;

	while ((n = xs_map_next(&st->nodes, &bucket, n)))
		for (uint32_t i = 0; i < n->nperms; i++)
			if (n->perms[i].id >= lo && n->perms[i].id <= hi) {
				fprintf(stderr, "%s still names domain %u\n", n->path,
				        n->perms[i].id);
				return true;
			}
	return false;
}

static void release_visits_only_the_nodes_naming_it(void **state)
{
	struct xs_fx *f = *state;
	char path[96], own[16], peer[16];
	size_t nodes;
	uint32_t txid;

	for (unsigned d = 1; d <= N; d++) {
		snprintf(path, sizeof(path), "dom%u", d);
		assert_int_equal(xs_store_domain_introduce(f->st, d, path), 0);
	}
	for (unsigned d = 1; d <= N; d++) {
		unsigned be = d % N + 1; /* its backend lives in the next domain */

		snprintf(path, sizeof(path), "/local/domain/%u/backend/vif/%u/0", be, d);
		snprintf(own, sizeof(own), "n%u", be);
		snprintf(peer, sizeof(peer), "r%u", d);
		write_node(f, 0, path, own, peer);
		snprintf(path, sizeof(path), "/vm/%u", d);
		snprintf(peer, sizeof(peer), "b%u", d);
		write_node(f, 0, path, "n0", peer);
	}
	nodes = xs_store_node_count(f->st);
	assert_true(nodes > 20 * N);

	/* The store holds 20 nodes a domain; domain 1000 is named by two. */
	xs_store_domain_release(f->st, 1000);
	fprintf(stderr, "release of 1 of %u domains in a store of %zu nodes: %zu visited\n", N,
	        nodes, f->st->release_visits);
	assert_int_equal(f->st->release_visits, 2);
	perms_are(f, "/local/domain/1001/backend/vif/1000/0", "n1001", sizeof("n1001"));
	perms_are(f, "/vm/1000", "n0", sizeof("n0"));
	{
		const char *a[1] = {"/local/domain/1000"};
		xs_fx_is_err(f, call(f, XS_READ, 0, false, a, 1), "ENOENT");
	}
	/* Domain 1001's tree went, with the backend node that named 1000;
	 * what names 1001 is its own backend in 1002's tree and /vm/1001. */
	xs_store_domain_release(f->st, 1001);
	assert_int_equal(f->st->release_visits, 2);

	/* Permissions that change move the node between domains' lists. */
	write_node(f, 0, "/vm/moved", "n0", "r5");
	write_node(f, 0, "/vm/moved", "n0", "r6");
	xs_store_domain_release(f->st, 5);
	assert_int_equal(f->st->release_visits, 2); /* /vm/5 and 6's backend node */
	perms_are(f, "/vm/moved", "n0\0r6", sizeof("n0\0r6"));
	/* A transaction's permissions count once committed. */
	assert_int_equal(call(f, XS_TRANSACTION_START, 0, false, (const char *const[]){""}, 1),
	                 XS_TRANSACTION_START);
	txid = (uint32_t)strtoul(f->r.body, NULL, 10);
	write_node(f, txid, "/vm/in-tx", "n0", "r7");
	assert_int_equal(call(f, XS_TRANSACTION_END, txid, false, (const char *const[]){"T"}, 1),
	                 XS_TRANSACTION_END);
	xs_store_domain_release(f->st, 6);
	assert_int_equal(f->st->release_visits, 3); /* /vm/6, /vm/moved, 7's backend node */
	xs_store_domain_release(f->st, 7);
	assert_int_equal(f->st->release_visits, 3); /* /vm/7, /vm/in-tx, its backend node */
	perms_are(f, "/vm/in-tx", "n0", sizeof("n0"));

	/* A domain nothing names costs nothing beyond its own tree. */
	assert_int_equal(xs_store_domain_introduce(f->st, N + 1, "lonely"), 0);
	xs_store_domain_release(f->st, N + 1);
	assert_int_equal(f->st->release_visits, 0);

	/* Every domain released: no node names any of them. */
	for (unsigned d = 1; d <= N; d++)
		xs_store_domain_release(f->st, d);
	assert_false(any_names(f->st, 1, N + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(release_visits_only_the_nodes_naming_it, setup,
	                                        xs_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
