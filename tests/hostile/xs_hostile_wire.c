/* SPDX-License-Identifier: MIT */
/* XenStore vs hostile clients: oversized/truncated/malformed messages, floods, watch storms,
 * transaction hoarding, dying clients. */
#include "umx_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_util.h"

static int setup(void **state)
{
	return xs_fx_setup(state, "evil", "good", false);
}

/* The well-behaved domain still gets prompt, correct service. */
static void others_fine(struct xs_fx *f)
{
	assert_int_equal(xs_raw_call(f->d6, XS_WRITE, 0, XS_V("data/ok\0fine"), &f->r), XS_WRITE);
	assert_int_equal(xs_raw_call(f->d6, XS_READ, 0, XS_A("data/ok"), &f->r), XS_READ);
	assert_string_equal(f->r.body, "fine");
	assert_int_equal(xs_raw_call(f->d0, XS_READ, 0, XS_A("/local/domain/6/name"), &f->r),
	                 XS_READ);
}

static void oversized_length(void **state)
{
	struct xs_fx *f = *state;
	struct xsd_sockmsg h = {XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1};
	assert_int_equal(xs_conn_feed(f->d5, &h, sizeof(h)), -EPIPE);
	assert_true(xs_conn_broken(f->d5));
	/* later input is refused, nothing is queued */
	assert_int_equal(xs_conn_feed(f->d5, "x", 1), -EPIPE);
	assert_int_equal(xs_conn_tx_pending(f->d5), 0);
	h.len = 0xffffffffu;
	assert_int_equal(xs_conn_feed(f->d6, &h, sizeof(h)), -EPIPE);
	struct xs_conn *d6 = xs_conn_new(f->st, 6, NULL, NULL);
	xs_conn_free(f->d6);
	f->d6 = d6;
	others_fine(f);
}

static void truncated_then_gone(void **state)
{
	struct xs_fx *f = *state;
	unsigned char buf[64];
	size_t n = xs_raw_encode(buf, XS_WRITE, 1, 0, XS_V("data/x\0value"));
	/* half a header, then half a payload: nothing happens yet */
	assert_int_equal(xs_conn_feed(f->d5, buf, 8), 8);
	assert_int_equal(xs_conn_tx_pending(f->d5), 0);
	assert_int_equal(xs_conn_feed(f->d5, buf + 8, n - 12), (long)(n - 12));
	assert_int_equal(xs_conn_tx_pending(f->d5), 0);
	others_fine(f);
	/* the client dies mid-message: nothing of it is applied */
	xs_conn_free(f->d5);
	f->d5 = NULL;
	assert_int_equal(xs_raw_call(f->d0, XS_READ, 0, XS_A("/local/domain/5/data/x"), &f->r),
	                 XS_ERROR);
	assert_string_equal(f->r.body, "ENOENT");
	others_fine(f);
}

static void malformed_payloads(void **state)
{
	struct xs_fx *f = *state;
	static const struct {
		uint32_t type;
		const char *p;
		uint32_t len;
	} bad[] = {
	        {XS_READ, "data", 4},                 /* no NUL */
	        {XS_READ, "", 0},                     /* empty */
	        {XS_READ, "a\0b", 3},                 /* trailing bytes */
	        {XS_WRITE, "data/x", 6},              /* no NUL after the path */
	        {XS_WATCH, "data\0tok", 8},           /* token without NUL */
	        {XS_SET_PERMS, "data\0r5\0q", 9},     /* last perm without NUL */
	        {XS_SET_PERMS, "data\0", 5},          /* no perms */
	        {XS_TRANSACTION_END, "T", 1},         /* no transaction */
	        {XS_DIRECTORY_PART, "data\0-1\0", 8}, /* bad offset */
	        {XS_GET_DOMAIN_PATH, "99999999\0", 9},
	        {XS_WRITE, "/../x\0v", 7},
	        {XS_WRITE, "data/\xff\0v", 8},
	        {XS_MKDIR, "@introduceDomain\0", 17},
	        {XS_WATCH, "data/\x01\0t\0", 10},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(xs_raw_call(f->d5, bad[i].type, 0, bad[i].p, bad[i].len, &f->r),
		                 XS_ERROR);
		assert_true(!strcmp(f->r.body, "EINVAL") || !strcmp(f->r.body, "EACCES"));
		assert_false(xs_conn_broken(f->d5));
	}
	for (uint32_t t = XS_TYPE_COUNT; t < XS_TYPE_COUNT + 100; t++) {
		assert_int_equal(xs_raw_call(f->d5, t, 0, XS_A("x"), &f->r), XS_ERROR);
		assert_string_equal(f->r.body, "ENOSYS");
	}
	/* random garbage with valid lengths: never crashes, always one reply */
	srand(5);
	for (int i = 0; i < 3000; i++) {
		unsigned char p[64];
		uint32_t len = (uint32_t)(rand() % 64);
		for (uint32_t k = 0; k < len; k++)
			p[k] = (unsigned char)(rand() % 4 ? 'a' + rand() % 3 : rand() % 256);
		uint32_t type = (uint32_t)(rand() % (XS_TYPE_COUNT + 2));
		assert_true(xs_raw_send(f->d5, type, 1, 0, p, len) > 0);
		while (xs_raw_recv(f->d5, &f->r))
			;
		if (xs_conn_broken(f->d5))
			break;
	}
	others_fine(f);
}

static void flood_is_throttled(void **state)
{
	/* A domain that sends without reading replies: input stops being
	 * taken once "outstanding" replies are queued; memory stays bounded. */
	struct xs_fx *f = *state;
	unsigned char buf[64];
	size_t n = xs_raw_encode(buf, XS_READ, 1, 0, XS_A("name"));
	long taken = 0;
	for (int i = 0; i < 100000; i++) {
		long k = xs_conn_feed(f->d5, buf, n);
		assert_true(k >= 0);
		taken += k;
		if (k < (long)n)
			break;
	}
	assert_true(taken <= (long)(n * (xs_store_quota_get(f->st, XS_Q_OUTSTANDING) + 1)));
	assert_true(xs_conn_tx_pending(f->d5) < 4096);
	others_fine(f);
	/* reading resumes service */
	while (xs_raw_recv(f->d5, &f->r))
		assert_int_equal(f->r.h.type, XS_READ);
	assert_int_equal(xs_conn_rx_commit(f->d5, 0), 0);
	assert_true(xs_conn_feed(f->d5, buf, n) > 0);
}

static void watch_storm(void **state)
{
	/* 128 watches on a busy subtree, events never read: the watcher is cut
	 * off at its memory quota, the writers are not slowed or failed. */
	struct xs_fx *f = *state;
	char msg[128];
	for (int i = 0; i < 128; i++) {
		int n = snprintf(msg, sizeof(msg), "data%ctok%d", 0, i);
		assert_true(xs_raw_send(f->d5, XS_WATCH, 1, 0, msg, (uint32_t)n + 1) > 0);
		while (xs_raw_recv(f->d5, &f->r)) /* OK and the first event */
			assert_int_not_equal(f->r.h.type, XS_ERROR);
	}
	size_t before = xs_store_conn_bytes(f->st);
	for (int i = 0; i < 2000 && !xs_conn_broken(f->d5); i++) {
		int n = snprintf(msg, sizeof(msg), "/local/domain/5/data/n%d", i % 50);
		assert_int_equal(xs_raw_call(f->d0, XS_WRITE, 0, msg, (uint32_t)n + 1, &f->r),
		                 XS_WRITE);
	}
	assert_true(xs_conn_broken(f->d5));
	assert_true(xs_store_conn_bytes(f->st) < before + 64 * 1024);
	others_fine(f);
}

static void hoarded_transactions(void **state)
{
	struct xs_fx *f = *state;
	int ok = 0;
	/* a domain: limited by its quota */
	for (int i = 0; i < 5000; i++) {
		int t = xs_raw_call(f->d5, XS_TRANSACTION_START, 0, XS_A(""), &f->r);
		if (t == XS_TRANSACTION_START)
			ok++;
		else
			assert_string_equal(f->r.body, "ENOSPC");
	}
	assert_int_equal(ok, (int)xs_store_quota_get(f->st, XS_Q_TRANSACTIONS));
	/* dom0 (no quota): thousands are fine and cost little each */
	size_t before = xs_store_conn_bytes(f->st);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(xs_raw_call(f->d0, XS_TRANSACTION_START, 0, XS_A(""), &f->r),
		                 XS_TRANSACTION_START);
	assert_true(xs_store_conn_bytes(f->st) - before < 5000 * 256);
	others_fine(f);
}

static void client_dies_mid_transaction(void **state)
{
	struct xs_fx *f = *state;
	assert_int_equal(xs_raw_call(f->d5, XS_TRANSACTION_START, 0, XS_A(""), &f->r),
	                 XS_TRANSACTION_START);
	uint32_t id = (uint32_t)atoi(f->r.body);
	for (int i = 0; i < 100; i++) {
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "data/t%d%cv", i, 0);
		assert_int_equal(xs_raw_call(f->d5, XS_WRITE, id, msg, (uint32_t)n + 1, &f->r),
		                 XS_WRITE);
	}
	/* a transaction of another domain touching the same parent */
	assert_int_equal(xs_raw_call(f->d0, XS_TRANSACTION_START, 0, XS_A(""), &f->r),
	                 XS_TRANSACTION_START);
	uint32_t id0 = (uint32_t)atoi(f->r.body);
	assert_int_equal(
	        xs_raw_call(f->d0, XS_WRITE, id0, XS_V("/local/domain/5/data/z\0z"), &f->r),
	        XS_WRITE);
	size_t before = xs_store_conn_bytes(f->st);
	xs_conn_free(f->d5);
	f->d5 = NULL;
	assert_true(xs_store_conn_bytes(f->st) < before);
	assert_int_equal(xs_raw_call(f->d0, XS_DIRECTORY, 0, XS_A("/local/domain/5/data"), &f->r),
	                 XS_DIRECTORY);
	assert_int_equal(f->r.h.len, 0); /* nothing applied */
	assert_int_equal(xs_raw_call(f->d0, XS_TRANSACTION_END, id0, XS_A("T"), &f->r),
	                 XS_TRANSACTION_END); /* no conflict with what never committed */
	others_fine(f);
}

static void deep_tree(void **state)
{
	/* Depth ~1500 (the path limit): create, list, remove, release — all
	 * iterative. */
	struct xs_fx *f = *state;
	static char path[XENSTORE_ABS_PATH_MAX + 1];
	size_t n = (size_t)snprintf(path, sizeof(path), "/local/domain/5/data");
	while (n + 2 <= XENSTORE_ABS_PATH_MAX) {
		path[n++] = '/';
		path[n++] = 'a';
	}
	path[n] = '\0';
	assert_int_equal(xs_raw_call(f->d0, XS_WRITE, 0, path, (uint32_t)n + 1, &f->r), XS_WRITE);
	size_t nodes = xs_store_node_count(f->st);
	assert_int_equal(xs_raw_call(f->d0, XS_RM, 0, XS_A("/local/domain/5/data/a"), &f->r),
	                 XS_RM);
	assert_true(xs_store_node_count(f->st) < nodes - 1000);
	assert_int_equal(xs_raw_call(f->d0, XS_WRITE, 0, path, (uint32_t)n + 1, &f->r), XS_WRITE);
	xs_store_domain_release(f->st, 5);
	f->d5 = NULL; /* cut off; freed with the store */
	others_fine(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(oversized_length, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(truncated_then_gone, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(malformed_payloads, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(flood_is_throttled, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(watch_storm, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(hoarded_transactions, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(client_dies_mid_transaction, setup, xs_fx_teardown),
	        cmocka_unit_test_setup_teardown(deep_tree, setup, xs_fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
