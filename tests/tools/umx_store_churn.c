/* SPDX-License-Identifier: MIT */
/*
 * umx_store_churn — a store client for the chaos driver (scripts/soak.sh):
 * inside a domain, ROUNDS times: a transaction that reads a counter under
 * its own data/ directory and writes counter+1 and a shadow copy (retried
 * on a conflict), a watch on the counter that must fire for the write, and
 * a read-back that must see both nodes equal to the new value.
 *
 *   umx run -- umx_store_churn ROUNDS
 *
 * Exit 0: every round held. 1: the store failed a request (umxd going away
 * or refusing: reported, not wrong). 2: the store answered wrongly (a lost
 * write, a torn transaction, a watch that never fired): the soak's
 * "wrongly reported success" column, which must stay 0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umx/platform.h"
#include "umx/xs.h"

static int read_ulong(umx_xs *xs, uint32_t tx, const char *path, unsigned long *v)
{
	char *s = NULL;
	int r = umx_xs_read(xs, tx, path, &s, NULL);

	if (r == -ENOENT) {
		*v = 0;
		return 0;
	}
	if (r < 0)
		return r;
	*v = strtoul(s, NULL, 10);
	free(s);
	return 0;
}

static int fail(const char *what, int r)
{
	fprintf(stderr, "umx_store_churn: %s: %s\n", what, strerror(-r));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	char ctr[96], shadow[96], buf[32];
	umx_plat *p;
	umx_xs *xs;
	int r;

	if ((r = umx_plat_open(NULL, &p)) < 0)
		return fail("platform", r);
	xs = umx_plat_xs(p);
	snprintf(ctr, sizeof(ctr), "/local/domain/%u/data/churn/ctr", umx_plat_domid(p));
	snprintf(shadow, sizeof(shadow), "/local/domain/%u/data/churn/shadow", umx_plat_domid(p));
	if ((r = umx_xs_watch(xs, ctr, "ctr")) < 0)
		return fail("watch", r);
	{
		/* A new watch fires once at once (Xen's rule): take that one. */
		char *path, *token;
		if ((r = umx_xs_read_watch(xs, &path, &token, 10000)) < 0)
			return fail("first watch event", r);
		free(path);
		free(token);
	}
	for (unsigned long i = 0; i < rounds; i++) {
		unsigned long v = 0, a, b;
		char *path, *token;
		bool fired = false;

		for (int tries = 0;; tries++) {
			uint32_t tx;
			if ((r = umx_xs_transaction_start(xs, &tx)) < 0)
				return fail("transaction start", r);
			if ((r = read_ulong(xs, tx, ctr, &v)) < 0)
				return fail("read in transaction", r);
			snprintf(buf, sizeof(buf), "%lu", v + 1);
			if ((r = umx_xs_write_str(xs, tx, ctr, buf)) < 0 ||
			    (r = umx_xs_write_str(xs, tx, shadow, buf)) < 0)
				return fail("write in transaction", r);
			r = umx_xs_transaction_end(xs, tx, true);
			if (r == 0)
				break;
			if (r != -EAGAIN || tries > 100)
				return fail("commit", r);
		}
		if (v != i) {
			fprintf(stderr, "umx_store_churn: round %lu read counter %lu\n", i, v);
			return 2;
		}
		/* The commit fires the watch (the first event may be the one the
		 * watch itself fires when set). */
		while (!fired) {
			r = umx_xs_read_watch(xs, &path, &token, 10000);
			if (r == -ETIMEDOUT) {
				fprintf(stderr, "umx_store_churn: round %lu: no watch event\n", i);
				return 2;
			}
			if (r < 0)
				return fail("watch event", r);
			fired = !strcmp(token, "ctr") && !strcmp(path, ctr);
			free(path);
			free(token);
		}
		if ((r = read_ulong(xs, 0, ctr, &a)) < 0 || (r = read_ulong(xs, 0, shadow, &b)) < 0)
			return fail("read back", r);
		if (a != i + 1 || b != i + 1) {
			fprintf(stderr, "umx_store_churn: round %lu: counter %lu, shadow %lu\n", i,
			        a, b);
			return 2;
		}
	}
	printf("umx_store_churn: %lu rounds ok\n", rounds);
	umx_plat_close(p);
	return 0;
}
