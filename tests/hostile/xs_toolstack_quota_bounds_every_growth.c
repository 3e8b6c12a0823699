/* SPDX-License-Identifier: MIT */
/* The toolstack (domain 0) has no per-domain store quotas but one total
 * cap: nodes, transactions, watches, unread replies over many connections
 * and unread watch events all stop at it (ENOSPC, or the hoarding
 * connection is cut off), the cap cannot be raised over the wire, domains
 * keep their service, and freeing brings the toolstack back under it. */
#include "umx_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_util.h"

#define CAP   (1u << 20)
#define SLACK (64u << 10) /* one request's growth past the check, and then some */

static int setup(void **state)
{
	int r = xs_fx_setup(state, "dom5", "dom6", true);
	struct xs_fx *f = *state;
	xs_store_quota_set(f->st, XS_Q_TOOLSTACK_MEMORY, CAP);
	return r;
}

static size_t ts_bytes(struct xs_fx *f)
{
	return xs_store_domain_bytes(f->st, 0);
}

static void domains_served(struct xs_fx *f)
{
	assert_int_equal(xs_raw_call(f->d6, XS_WRITE, 0, XS_V("data/ok\0fine"), &f->r), XS_WRITE);
	assert_int_equal(xs_raw_call(f->d6, XS_READ, 0, XS_A("data/ok"), &f->r), XS_READ);
	assert_string_equal(f->r.body, "fine");
}

/* WRITE of a @len-byte value at /big/<i> by @c; the reply's type. */
static int write_big(struct xs_fx *f, struct xs_conn *c, unsigned i, size_t len)
{
	static char msg[64 + 4096];
	int n = snprintf(msg, 64, "/big/%u", i);
	memset(msg + n + 1, 'v', len);
	return xs_raw_call(c, XS_WRITE, 0, msg, (uint32_t)(n + 1 + len), &f->r);
}

static void nodes(void **state)
{
	struct xs_fx *f = *state;
	unsigned i;
	int t = XS_WRITE;

	for (i = 0; i < 100000 && t == XS_WRITE; i++)
		t = write_big(f, f->d0, i, 4000);
	xs_fx_is_err(f, t, "ENOSPC");
	assert_true(i > 100); /* the cap, not something else */
	assert_true(ts_bytes(f) <= CAP + SLACK);
	/* Nothing else that grows the store either. */
	xs_fx_is_err(f, xs_raw_call(f->d0, XS_MKDIR, 0, XS_A("/more"), &f->r), "ENOSPC");
	xs_fx_is_err(f, xs_raw_call(f->d0, XS_WATCH, 0, XS_A("/big\0tok"), &f->r), "ENOSPC");
	xs_fx_is_err(f, xs_raw_call(f->d0, XS_TRANSACTION_START, 0, XS_A(""), &f->r), "ENOSPC");
	/* Reading is fine. */
	assert_int_equal(xs_raw_call(f->d0, XS_READ, 0, XS_A("/big/0"), &f->r), XS_READ);
	/* The toolstack cannot lift its own cap. */
	xs_fx_is_err(f,
	             xs_raw_call(f->d0, XS_CONTROL, 0, XS_A("quota\0toolstack-memory\0999999999"),
	                         &f->r),
	             "EACCES");
	assert_int_equal(xs_store_quota_get(f->st, XS_Q_TOOLSTACK_MEMORY), CAP);
	/* Domains have their own quotas and are served. */
	domains_served(f);
	/* Freeing brings it back. */
	assert_int_equal(xs_raw_call(f->d0, XS_RM, 0, XS_A("/big"), &f->r), XS_RM);
	assert_true(ts_bytes(f) < CAP / 4);
	assert_int_equal(write_big(f, f->d0, 0, 4000), XS_WRITE);
}

static void transactions(void **state)
{
	struct xs_fx *f = *state;
	int t = XS_WRITE;
	unsigned i, opened = 0;

	/* A few nodes to copy into transactions. */
	for (i = 0; i < 16; i++)
		assert_int_equal(write_big(f, f->d0, i, 4000), XS_WRITE);
	for (i = 0; i < 100000; i++) {
		t = xs_raw_call(f->d0, XS_TRANSACTION_START, 0, XS_A(""), &f->r);
		if (t != XS_TRANSACTION_START)
			break;
		opened++;
		uint32_t id = (uint32_t)atoi(f->r.body);
		/* Reads copy nodes into the transaction; writes grow them. */
		for (unsigned k = 0; k < 16 && t != XS_ERROR; k++) {
			char p[32];
			int n = snprintf(p, sizeof(p), "/big/%u", k);
			t = xs_raw_call(f->d0, XS_READ, id, p, (uint32_t)n + 1, &f->r);
		}
		if (t == XS_ERROR)
			break;
	}
	xs_fx_is_err(f, t, "ENOSPC");
	assert_true(opened > 2);
	assert_true(ts_bytes(f) <= CAP + SLACK);
	domains_served(f);
	/* Ending them all frees their copies. */
	xs_conn_free(f->d0);
	f->d0 = xs_conn_new(f->st, 0, NULL, NULL);
	assert_non_null(f->d0);
	assert_true(ts_bytes(f) < CAP / 2);
}

static void watches(void **state)
{
	struct xs_fx *f = *state;
	char msg[2100];
	unsigned i;
	int t = XS_WATCH;

	for (i = 0; i < 100000 && t == XS_WATCH; i++) {
		/* Long tokens: each watch costs about 2 KiB. */
		int n = snprintf(msg, sizeof(msg), "/w%c%u-", 0, i);
		memset(msg + n, 't', 2000);
		msg[n + 2000] = '\0';
		t = xs_raw_call(f->d0, XS_WATCH, 0, msg, (uint32_t)(n + 2001), &f->r);
		while (t == XS_WATCH && xs_raw_recv(f->d0, &f->r)) /* the first event */
			;
	}
	xs_fx_is_err(f, t, "ENOSPC");
	assert_true(i > 100);
	assert_true(ts_bytes(f) <= CAP + SLACK);
	domains_served(f);
}

static void unread_replies_on_many_connections(void **state)
{
	struct xs_fx *f = *state;
	struct xs_conn *c[XS_DOM0_CONNS_MAX];
	unsigned n = 0, refused = 0;

	assert_int_equal(write_big(f, f->d0, 0, 4000), XS_WRITE);
	/* Connections as the socket glue admits them; each asks for the
	 * 4 KB node again and again without reading a reply. */
	for (unsigned i = 0; i < 2 * XS_DOM0_CONNS_MAX; i++) {
		int r = xs_store_conn_admit(f->st, 0, 0);
		if (r < 0) {
			assert_true(r == -ENOSPC || r == -EMFILE);
			refused++;
			continue;
		}
		assert_true(n < XS_DOM0_CONNS_MAX);
		c[n] = xs_conn_new(f->st, 0, NULL, NULL);
		assert_non_null(c[n]);
		for (unsigned k = 0; k < 1000; k++)
			if (xs_raw_send(c[n], XS_READ, k, 0, XS_A("/big/0")) <= 0)
				break; /* paused: it reads no more until it drains */
		n++;
	}
	assert_true(refused > 0);
	/* Each connection holds at most one reply past the cap. */
	assert_true(ts_bytes(f) <= CAP + SLACK + n * (16 + 4096));
	domains_served(f);
	for (unsigned i = 0; i < n; i++)
		xs_conn_free(c[i]);
	assert_true(ts_bytes(f) < CAP / 4);
}

static void unread_watch_events(void **state)
{
	struct xs_fx *f = *state;
	unsigned i;

	/* w0 watches everything and never reads; dom0 then fills its cap. */
	assert_int_equal(xs_raw_call(f->w0, XS_WATCH, 0, XS_A("/\0all"), &f->r), XS_WATCH);
	for (i = 0; i < 100000 && write_big(f, f->d0, i, 4000) == XS_WRITE; i++)
		;
	/* Domains write on: each write is one more event for w0. */
	for (i = 0; i < 100000 && !xs_conn_broken(f->w0); i++) {
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "data/n%u%cv", i % 50, 0);
		assert_int_equal(xs_raw_call(f->d5, XS_WRITE, 0, msg, (uint32_t)n + 2, &f->r),
		                 XS_WRITE);
	}
	assert_true(xs_conn_broken(f->w0));
	assert_true(ts_bytes(f) <= CAP + SLACK + XS_DOM0_OUTQ_OVER_CAP);
	domains_served(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(nodes, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(transactions, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(watches, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(unread_replies_on_many_connections, setup,
	                                        xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(unread_watch_events, setup, xs_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
